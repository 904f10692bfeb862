"""Absolute links for e-mails and webhooks: to the admin for staff, to the portal for sponsors."""

from django.conf import settings
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str) -> str:
    """The `next` parameter when it points back at this site, else `default` (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def admin_link(obj) -> str:
    opts = obj._meta
    return absolute(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))


def admin_changelist_link(model, query: str = "") -> str:
    opts = model._meta
    path = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return absolute(f"{path}?{query}" if query else path)


def portal_link(name: str, *args) -> str:
    return absolute(reverse(f"portal:{name}", args=args))
