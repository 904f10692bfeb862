"""Security events from Django's and django-axes' signals (connected in CoreConfig.ready)."""

from axes.signals import user_locked_out
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from core.models import User
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


@receiver(user_logged_in, dispatch_uid="session-idle-clock-starts")
def start_idle_clock(sender, request=None, user=None, **kwargs):
    """A fresh sign-in starts the idle clock (core.middleware.IdleSessionTimeoutMiddleware)."""
    import time

    from core.middleware import IDLE_KEY

    session = getattr(request, "session", None)
    if session is not None:
        session[IDLE_KEY] = int(time.time())


@receiver(user_locked_out, dispatch_uid="security-locked-out")
def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    log_event("lockout", email=username, ip=ip_address or client_ip(request), surface=_surface(request))


def _acting(request=None) -> tuple[str | None, str | None]:
    """Who is acting (the signed-in person of the current request, if any) and from where."""
    from simple_history.models import HistoricalRecords

    from core.audit import actor_label

    request = request or getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return "system", None
    return actor_label(getattr(request, "user", None)) or "anonymous", client_ip(request)


PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "is_active")


@receiver(post_save, sender=User, dispatch_uid="security-user-privileges")
def user_privileges_changed(sender, instance, created, update_fields=None, **kwargs):
    before = getattr(instance, "_privileges_loaded", None)
    now = {field: getattr(instance, field) for field in PRIVILEGE_FIELDS}
    instance._privileges_loaded = now
    if created:
        changed = {field: [None, True] for field in ("is_staff", "is_superuser") if now[field]}
    elif before is None:
        return
    else:
        changed = {
            field: [before[field], now[field]] for field in PRIVILEGE_FIELDS if before[field] != now[field]
        }
    if changed:
        actor, ip = _acting()
        log_event(
            "permission_changed",
            actor=actor,
            ip=ip,
            email=instance.email,
            change=", ".join(f"{field}: {old} → {new}" for field, (old, new) in sorted(changed.items())),
        )


def _names(model, pk_set) -> str:
    if not pk_set:
        return "all"
    if model is Group:
        return ", ".join(sorted(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True)))
    return ", ".join(
        sorted(
            f"{p.content_type.app_label}.{p.codename}"
            for p in model.objects.filter(pk__in=pk_set).select_related("content_type")
        )
    )


def _relation_changed(what: str):
    def receiver_(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action not in ("post_add", "post_remove", "post_clear") or (action != "post_clear" and not pk_set):
            return
        verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
        actor, ip = _acting()
        if reverse:  # changed from the other side: e.g. a group's members edited on the group
            log_event(
                "permission_changed",
                actor=actor,
                ip=ip,
                model=what,
                change=f"{verb} for {len(pk_set or [])} record(s) of {instance}",
            )
            return
        log_event(
            "permission_changed",
            actor=actor,
            ip=ip,
            email=getattr(instance, "email", None),
            model=what,
            object=None if isinstance(instance, User) else str(instance),
            change=f"{verb}: {_names(model, pk_set)}",
        )

    return receiver_


m2m_changed.connect(
    _relation_changed("user groups"),
    sender=User.groups.through,
    weak=False,
    dispatch_uid="security-user-groups",
)
m2m_changed.connect(
    _relation_changed("user permissions"),
    sender=User.user_permissions.through,
    weak=False,
    dispatch_uid="security-user-perms",
)
m2m_changed.connect(
    _relation_changed("group permissions"),
    sender=Group.permissions.through,
    weak=False,
    dispatch_uid="security-group-perms",
)
