"""The client's address, the one helper for lock-outs (django-axes, bad API keys, password
spraying) and the security log.

`PROXY_COUNT` says how many trusted reverse proxies stand in front of the application. Each proxy
appends the address it received the request from to `X-Forwarded-For`, so the client is the
`PROXY_COUNT`-th entry from the right; anything further left was written by the client and is
ignored (it can be forged). With `PROXY_COUNT = 0` the header is ignored altogether and the socket
address (`REMOTE_ADDR`) is the client. A request that passed fewer proxies than configured (an
internal health check, say) falls back to `REMOTE_ADDR`. django-ipware does the parsing.
"""

from django.conf import settings
from ipware import get_client_ip


def client_ip(request) -> str | None:
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.PROXY_COUNT
    if proxies <= 0:
        return remote
    # django-ipware counts the proxies listed in the header; the last one is REMOTE_ADDR.
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        strict=False,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
    )
    return address or remote
