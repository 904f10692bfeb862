import logging

from rest_framework.throttling import SimpleRateThrottle

from core.api.auth import principal_id
from core.cache import increment

logger = logging.getLogger(__name__)


class PrincipalRateThrottle(SimpleRateThrottle):
    """A request budget per API key (or per signed-in user), shared by all web processes via the cache.

    A fixed window counted with the cache's atomic increment: one small counter per principal and
    window, where DRF's default keeps a list of every request's time in the last window, reads and
    writes it whole on each request (its size grows with the rate) and loses counts when two
    processes update it at once. A principal may burst to twice the rate across a window's edge,
    which the budget tolerates. With the cache unreachable the request is served uncounted (and
    logged), as authentication goes on without the cache.
    """

    scope = "principal"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return self.cache_format % {"scope": "anonymous", "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": principal_id(request.user)}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.remaining = (window + 1) * self.duration - now
        try:
            count = increment(f"{key}:{window}", timeout=2 * self.duration)
        except Exception:  # the cache down: serve the request rather than fail it
            logger.warning("Request budget not counted: the cache is unavailable", exc_info=True)
            return True
        return count <= self.num_requests

    def wait(self):
        return self.remaining
