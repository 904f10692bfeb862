"""Outgoing webhook requests may not reach inside our own network (SSRF).

A webhook URL is typed by a person or an integrator, and our servers then send requests to it.
Left alone, `http://169.254.169.254/` would read the cloud provider's metadata (credentials), and
`http://10.0.0.5:6379/` would talk to internal services. So a target must be a public address:
loopback, private, shared (CGNAT), link-local (cloud metadata), multicast, reserved and
unspecified addresses are refused, IPv4 inside IPv6 included. The check runs twice:
- at registration (admin, API): literal addresses and names that resolve to such addresses are
  refused with a clear message (a name that does not resolve yet is accepted and checked later);
- at every connection: the name is resolved again and the connection goes only to an address
  that passes, so a name that changes its answer later (DNS rebinding) gains nothing.
Proxies from the environment are ignored and redirects are not followed.
For on-premise receivers, WEBHOOK_ALLOWED_NETWORKS lists ranges that are allowed anyway.
"""

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

BLOCKED_NAMES = {"localhost", "metadata", "metadata.google.internal", "instance-data"}


class BlockedTarget(OSError):
    """The target resolves to an address webhooks may not reach."""


def _allowed_networks():
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.WEBHOOK_ALLOWED_NETWORKS]


def _forbidden_kind(address: str) -> str | None:
    """What kind of non-public address this is ("a loopback address"), or None when allowed."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if any(ip in network for network in _allowed_networks()):
        return None
    mapped = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
    if mapped is not None:
        return _forbidden_kind(str(mapped))
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (this includes cloud metadata services)"
    if ip.is_private:
        return "a private network address"
    if not ip.is_global or ip.is_multicast:
        return "not a public internet address"
    return None


def refusal(address: str) -> str | None:
    """Why `address` may not be contacted, or None when it may."""
    kind = _forbidden_kind(address)
    return None if kind is None else f"{address} is {kind}."


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def target_problem(url: str) -> str | None:
    """At registration: why webhooks may not be sent to `url`, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// address."
    host = parts.hostname.rstrip(".").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "The port is not valid."
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        if (host in BLOCKED_NAMES or host.endswith(".localhost") or host.endswith(".internal")) and not (
            _allowed_networks()
        ):
            return f"{host} names a host inside the network; webhooks go to public addresses only."
        try:
            addresses = _resolve(host, port)
        except (OSError, UnicodeError):
            return None  # not resolvable today: every connection checks again
    for address in addresses:
        kind = _forbidden_kind(address)
        if kind:
            where = address if address == host else f"{host} resolves to {address}, which"
            return f"Webhooks go to public addresses only: {where} is {kind}."
    return None


def _guarded_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **kwargs):
    """`socket.create_connection`, connecting only to an address that passes `refusal`."""
    host, port = address
    last_error: OSError | None = None
    for candidate in _resolve(host, port):
        problem = refusal(candidate)
        if problem:
            last_error = BlockedTarget(f"Refused to connect to {host}: {problem}")
            continue
        try:
            return socket.create_connection((candidate, port), timeout, source_address)
        except OSError as error:
            last_error = error
    raise last_error or BlockedTarget(f"{host} did not resolve to any address.")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx answer is the receiver's answer: reported, not followed


def opener() -> urllib.request.OpenerDirector:
    """An opener for webhook deliveries: guarded connections, no proxies, no redirects."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), _GuardedHTTPHandler, _GuardedHTTPSHandler, _NoRedirects
    )
