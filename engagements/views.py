"""Portal pages for sponsors' people: sign-in, second factor, dashboard, engagements."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods

from core import two_factor
from core.links import safe_next
from engagements import selectors
from engagements.forms import PortalAuthenticationForm, PortalPasswordResetForm, TokenForm
from engagements.portal import SESSION_KEY, memberships_of, portal_view


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalAuthenticationForm
    redirect_authenticated_user = True


class PortalLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:login")


class PortalPasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset.html"
    email_template_name = "emails/password_reset/body.txt"
    html_email_template_name = "emails/password_reset/body.html"
    subject_template_name = "emails/password_reset/subject.txt"
    form_class = PortalPasswordResetForm
    success_url = reverse_lazy("portal:password_reset_done")


class PortalPasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PortalPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Also the invitation link: a new member sets their first password here (single use,
    expiring after PASSWORD_RESET_TIMEOUT)."""

    template_name = "portal/password_set.html"
    success_url = reverse_lazy("portal:password_reset_complete")


class PortalPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"


@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Enrol an authenticator app, once the session opened a one-time set-up link (the password
    alone never enrols a device: core/enrolment.py): scan the QR code, confirm with a code."""
    if not request.user.is_authenticated or request.user.is_staff:
        return redirect("portal:login")
    from django_otp import user_has_device

    if user_has_device(request.user):
        return redirect(f"{reverse('portal:two_factor_verify')}?next={safe_next(request, '')}")
    setup = two_factor.enrolment_context(request)
    if request.method == "POST" and request.POST.get("action") == "send_link":
        messages.info(request, two_factor.request_link_by_email(request))
        return redirect(request.get_full_path())
    form = TokenForm(request.POST or None)
    if request.method == "POST" and setup["link"] and form.is_valid():
        if two_factor.confirm(request, setup["device"], form.cleaned_data["token"], setup["link"]):
            messages.success(request, "Two-factor authentication is on for your account.")
            return redirect(safe_next(request, reverse("portal:dashboard")))
        form.add_error(
            "token", "That code is not valid. Check the time on your phone and try the current code."
        )
    return render(
        request,
        "portal/two_factor_setup.html",
        {"form": form, **setup},
        status=400 if setup.get("link_error") else 200,
    )


@require_http_methods(["GET"])
def two_factor_enrol(request, token):
    """A set-up link: its token goes into the session only, then to the set-up page (after
    signing in, if needed), where it is checked against the person."""
    from core import enrolment

    enrolment.stash_token(request, token)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("portal:two_factor_setup"))
    return redirect("portal:two_factor_setup")


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    if not request.user.is_authenticated or request.user.is_staff:
        return redirect("portal:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.verify(request, form.cleaned_data["token"]):
            return redirect(safe_next(request, reverse("portal:dashboard")))
        form.add_error("token", "That code is not valid. Try the code your app shows now.")
    return render(request, "portal/two_factor_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
def switch_sponsor(request):
    """A member of several sponsors chooses which one they are working for."""
    if not request.user.is_authenticated or request.user.is_staff:
        return redirect("portal:login")
    memberships = list(memberships_of(request.user))
    if request.method == "POST":
        chosen = request.POST.get("sponsor", "")
        if any(str(m.sponsor_id) == chosen for m in memberships):
            request.session[SESSION_KEY] = chosen
            return redirect(safe_next(request, reverse("portal:dashboard")))
        messages.error(request, "Choose one of the organisations listed.")
    return render(
        request,
        "portal/switch_sponsor.html",
        {
            "memberships": memberships,
            "current": request.session.get(SESSION_KEY),
            "next": safe_next(request, ""),
        },
    )


@portal_view
def dashboard(request):
    from assessments.selectors import portal_dashboard

    return render(request, "portal/dashboard.html", portal_dashboard(request.portal.sponsor))


@portal_view
def engagement_detail(request, engagement_id):
    engagement = get_object_or_404(
        selectors.engagements_visible_to(request.user)
        .filter(sponsor=request.portal.sponsor)
        .select_related("therapeutic_area", "owner")
        .prefetch_related("regions", "functions"),
        pk=engagement_id,
    )
    return render(
        request,
        "portal/engagement.html",
        {
            "engagement": engagement,
            "stays": selectors.stage_history(engagement),
            "assessments": engagement.assessments.order_by("-created_at"),
            "follow_ups": selectors.follow_ups_visible_to(request.user)
            .filter(engagement=engagement, status="open")
            .select_related("assignee")
            .order_by("due_at"),
        },
    )
