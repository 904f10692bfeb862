from rest_framework.throttling import SimpleRateThrottle

from core.api.auth import principal_id


class PrincipalRateThrottle(SimpleRateThrottle):
    """A request budget per API key (or per signed-in user), shared by all web processes via the cache."""

    scope = "principal"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return self.cache_format % {"scope": "anonymous", "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": principal_id(request.user)}
