"""The portal's door: who may enter, which sponsor they are acting for, and second factors.

Every portal view is wrapped in `portal_view`. It refuses staff (they work in the admin), asks
for a second factor where required, and settles the active sponsor: a member of several sponsors
chooses explicitly, and every page then only shows that sponsor's data.
"""

from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render

from core.security_log import log_access_refused
from engagements.models import MembershipRole, Sponsor, SponsorMembership

SESSION_KEY = "portal_sponsor_id"
STASH_KEY = "portal_unsaved_answers"


@dataclass(frozen=True)
class PortalAccess:
    sponsor: Sponsor
    membership: SponsorMembership
    sponsor_count: int

    @property
    def can_answer(self) -> bool:
        return self.membership.role in (MembershipRole.ADMIN, MembershipRole.CONTRIBUTOR)


def memberships_of(user):
    return SponsorMembership.objects.filter(user=user).select_related("sponsor").order_by("sponsor__name")


def two_factor_required(user, sponsor: Sponsor | None) -> bool:
    from django_otp import user_has_device

    return (
        settings.PORTAL_REQUIRE_2FA or bool(sponsor and sponsor.require_two_factor) or user_has_device(user)
    )


def portal_view(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            if request.method == "POST" and "section" in kwargs:
                # The session expired mid-page: keep what was typed, restore it after sign-in.
                request.session[STASH_KEY] = {
                    "path": request.path,
                    "data": {k: request.POST.getlist(k) for k in request.POST if k.startswith("q-")},
                }
            return redirect_to_login(request.get_full_path())
        if user.is_staff:
            return render(request, "portal/staff_elsewhere.html", status=403)
        memberships = list(memberships_of(user))
        if not memberships:
            return render(request, "portal/no_access.html", status=403)
        chosen = request.session.get(SESSION_KEY)
        membership = next((m for m in memberships if str(m.sponsor_id) == chosen), None)
        if membership is None and len(memberships) == 1:
            membership = memberships[0]
            request.session[SESSION_KEY] = str(membership.sponsor_id)
        if two_factor_required(user, membership.sponsor if membership else None) and not user.is_verified():
            from django_otp import user_has_device

            target = "portal:two_factor_verify" if user_has_device(user) else "portal:two_factor_setup"
            return redirect(f"{redirect(target).url}?next={request.get_full_path()}")
        if membership is None:
            return redirect(f"{redirect('portal:switch_sponsor').url}?next={request.get_full_path()}")
        request.portal = PortalAccess(membership.sponsor, membership, len(memberships))
        try:
            return view(request, *args, **kwargs)
        except Http404:
            log_access_refused(request, status=404, surface="portal")
            raise

    return wrapper
