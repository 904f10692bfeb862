"""Password spraying: one address trying many user names.

django-axes locks a user name from an address after a few failures (AXES_FAILURE_LIMIT). An
attacker who tries one password against many user names never trips that, so every failed
sign-in from an address is also counted across user names; past ADDRESS_FAILURE_LIMIT in one
cool-off (ADDRESS_COOLOFF) every sign-in form refuses that address, whatever the user name.
"""

import contextlib

from django.conf import settings
from django.core.cache import cache

from core.cache import increment
from core.client_ip import client_ip
from core.security_log import log_event


def _key(request) -> str:
    return f"address-sign-in-failures:{client_ip(request)}"


def record_failure(request) -> None:
    if request is None:
        return
    try:
        count = increment(_key(request), timeout=int(settings.ADDRESS_COOLOFF.total_seconds()))
    except Exception:  # the cache being down must not break signing in; axes still counts
        return
    if count == settings.ADDRESS_FAILURE_LIMIT:
        log_event("address_lockout", ip=client_ip(request), path=request.path, reason="password spraying")


def address_locked(request) -> bool:
    if request is None:
        return False
    with contextlib.suppress(Exception):
        return (cache.get(_key(request)) or 0) >= settings.ADDRESS_FAILURE_LIMIT
    return False


def locked_message() -> str:
    minutes = int(settings.ADDRESS_COOLOFF.total_seconds() // 60)
    return (
        "Too many failed sign-ins have come from your network. Signing in from it is paused for "
        f"{minutes} minutes."
    )


class AddressLimitMixin:
    """For authentication forms: refuse before checking any password once the address is locked."""

    def clean(self):
        if address_locked(self.request):
            from django import forms

            log_event("address_lockout_refused", ip=client_ip(self.request), path=self.request.path)
            raise forms.ValidationError(locked_message(), code="address_locked")
        return super().clean()
