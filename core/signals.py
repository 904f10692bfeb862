"""Security events from Django's and django-axes' signals (connected in CoreConfig.ready)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from core.security_log import client_ip, log_event


def _surface(request) -> str:
    path = getattr(request, "path", "") or ""
    return "admin" if path.startswith("/admin/") else "portal" if path.startswith("/portal/") else "other"


@receiver(user_login_failed, dispatch_uid="security-login-failed")
def login_failed(sender, credentials=None, request=None, **kwargs):
    # `credentials` has the password blanked by Django; only the e-mail is kept.
    from core import lockout

    lockout.record_failure(request)
    log_event(
        "login_failed",
        email=(credentials or {}).get("username") or (credentials or {}).get("email"),
        ip=client_ip(request),
        path=getattr(request, "path", None),
        surface=_surface(request),
    )


@receiver(user_locked_out, dispatch_uid="security-locked-out")
def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    log_event("lockout", email=username, ip=ip_address or client_ip(request), surface=_surface(request))
