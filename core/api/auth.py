"""API-key authentication: `Authorization: Api-Key <prefix>.<secret>`."""

import contextlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.cache import increment
from core.models import API_KEY_CACHE_SECONDS, ApiKey, ApiKeyScope, api_key_cache_key
from core.security_log import client_ip, log_event
from core.two_factor import second_factor_required

KEYWORD = "Api-Key"
# The last use is written at most once a minute, when the row is read (not cached): to about 2 minutes.
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class KeyActor:
    """The principal behind an API key, shaped like a user for permissions and selectors."""

    key: ApiKey

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    @property
    def is_staff(self) -> bool:
        return self.key.scope == ApiKeyScope.STAFF

    @property
    def bound_sponsor_id(self):
        return self.key.sponsor_id

    @property
    def principal_id(self) -> str:
        return f"key:{self.key.prefix}"

    def __str__(self) -> str:
        return f"API key {self.key.prefix} ({self.key.name})"


def _failure_key(request) -> str:
    return f"api-key-failures:{client_ip(request)}"


def _failures_and_cached_key(request, prefix: str | None) -> tuple[int, Any]:
    """The address's count of bad keys and the cache's entry for `prefix`, in one round trip."""
    # Issued prefixes are letters and digits; anything else cannot name a key (nor a cache entry).
    cached = prefix is not None and prefix.isascii() and prefix.isalnum()
    keys = [_failure_key(request)] + ([api_key_cache_key(prefix)] if cached else [])
    try:
        found = cache.get_many(keys)
    except Exception:  # the cache being down must not take authentication down with it
        return 0, None
    return found.get(keys[0], 0), found.get(keys[-1]) if cached else None


def _record_failure(request, event: str, prefix: str | None, message: str):
    """Count a bad key from this address and refuse; too many in a row lock the address out."""
    try:
        count = increment(_failure_key(request), timeout=int(settings.API_KEY_COOLOFF.total_seconds()))
    except Exception:
        count = 0
    log_event(event, ip=client_ip(request), path=request.path, key_prefix=prefix, surface="api")
    if count >= settings.API_KEY_FAILURE_LIMIT:
        log_event("api_key_lockout", ip=client_ip(request), path=request.path, surface="api")
    return exceptions.AuthenticationFailed(message)


def _locked_out() -> exceptions.Throttled:
    minutes = int(settings.API_KEY_COOLOFF.total_seconds() // 60)
    return exceptions.Throttled(
        wait=settings.API_KEY_COOLOFF.total_seconds(),
        detail=f"Too many invalid API keys from this address; try again in {minutes} minutes.",
    )


# A raw query of the unique prefix skips the ORM's query compiler (a third of the Python
# `ApiKey.objects.get(prefix=…)` costs). No join: the actor needs only `sponsor_id`.
_BY_PREFIX = 'SELECT * FROM "core_apikey" WHERE "prefix" = %s'


def _key_from_database(prefix: str, cached) -> ApiKey | None:
    """The key row, recording its use (to the minute) and caching it unless a change marked it stale."""
    key = next(iter(ApiKey.objects.raw(_BY_PREFIX, [prefix])), None)
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    if cached is None:
        with contextlib.suppress(Exception):
            cache.add(api_key_cache_key(prefix), key, timeout=API_KEY_CACHE_SECONDS)
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """The key comes from the cache (one round trip with the address's lock-out count) or, once a
    minute per key and after any change to it, from the database; see `core.models.forget_api_keys`.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword != KEYWORD:
            return None
        raw = raw.strip()
        prefix = raw.partition(".")[0][:8] if raw and " " not in raw else None
        failures, cached = _failures_and_cached_key(request, prefix)
        # A locked-out address still lets a valid key through: clients behind one NAT or proxy
        # must not lose their access to somebody else's bad keys. Only bad keys wait.
        locked_out = failures >= settings.API_KEY_FAILURE_LIMIT
        if prefix is None:
            if locked_out:
                raise _locked_out()
            raise _record_failure(
                request, "api_key_invalid", None, "Malformed API key header: use 'Api-Key <key>'."
            )
        key = cached if isinstance(cached, ApiKey) else _key_from_database(prefix, cached)
        if key is None or not key.is_valid(raw):
            if locked_out:
                raise _locked_out()
            raise _record_failure(request, "api_key_invalid", prefix, "Invalid API key.")
        if key.revoked:
            raise _record_failure(request, "api_key_revoked_used", prefix, "This API key has been revoked.")
        if key.has_expired:
            raise _record_failure(request, "api_key_expired_used", prefix, "This API key has expired.")
        return KeyActor(key), key

    def authenticate_header(self, request) -> str:
        return KEYWORD


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The browser session, accepted only once it passed its second factor where one is required
    (staff always; portal members per `core.two_factor.second_factor_required`). A password alone
    opens nothing here that it cannot open in the admin or the portal."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if second_factor_required(user) and not user.is_verified():
            log_event(
                "session_unverified_refused",
                actor=f"user:{user.email}",
                ip=client_ip(request),
                path=request.path,
                method=request.method,
                surface="api",
            )
            raise exceptions.AuthenticationFailed(
                "This session has not passed two-factor authentication. Finish signing in with "
                "your authenticator code, or use an API key."
            )
        return result


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.auth.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The admin's or the portal's session, after its second factor.",
        }


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>`, issued by staff in the admin.",
        }


def principal_id(actor) -> str:
    """A stable identity for throttling and idempotency: the key or the user."""
    if isinstance(actor, KeyActor):
        return actor.principal_id
    return f"user:{actor.pk}"


def acting_user(actor):
    """The person to credit with a change (None for an API key: the key is recorded instead)."""
    return None if isinstance(actor, KeyActor) else actor
