"""API-key authentication: `Authorization: Api-Key <prefix>.<secret>`."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from core.cache import increment
from core.models import ApiKey, ApiKeyScope
from core.security_log import client_ip, log_event

KEYWORD = "Api-Key"
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


def _failures(request) -> int:
    try:
        return cache.get(_failure_key(request), 0)
    except Exception:  # the cache being down must not take authentication down with it
        return 0


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


# On every API request: a raw query of the unique prefix skips the ORM's query compiler (a third
# of the Python `ApiKey.objects.get(prefix=…)` costs). No join: the actor needs only `sponsor_id`.
_BY_PREFIX = 'SELECT * FROM "core_apikey" WHERE "prefix" = %s'


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, raw = header.partition(" ")
        if keyword != KEYWORD:
            return None
        if _failures(request) >= settings.API_KEY_FAILURE_LIMIT:
            minutes = int(settings.API_KEY_COOLOFF.total_seconds() // 60)
            raise exceptions.Throttled(
                wait=settings.API_KEY_COOLOFF.total_seconds(),
                detail=f"Too many invalid API keys from this address; try again in {minutes} minutes.",
            )
        raw = raw.strip()
        if not raw or " " in raw:
            raise _record_failure(
                request, "api_key_invalid", None, "Malformed API key header: use 'Api-Key <key>'."
            )
        prefix = raw.partition(".")[0][:8]
        key = next(iter(ApiKey.objects.raw(_BY_PREFIX, [prefix])), None)
        if key is None or not key.is_valid(raw):
            raise _record_failure(request, "api_key_invalid", prefix, "Invalid API key.")
        if key.revoked:
            raise _record_failure(request, "api_key_revoked_used", prefix, "This API key has been revoked.")
        if key.has_expired:
            raise _record_failure(request, "api_key_expired_used", prefix, "This API key has expired.")
        now = timezone.now()
        if (
            key.last_used_at is None
            or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
        ):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return KeyActor(key), key

    def authenticate_header(self, request) -> str:
        return KEYWORD


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
