from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from core.admin_tools import GuardedChangeListMixin
from core.links import safe_next
from core.lockout import AddressLimitMixin
from engagements.selectors import follow_up_buckets, open_follow_ups_for, pipeline_summary


class StaffAuthenticationForm(AddressLimitMixin, AdminAuthenticationForm):
    """The admin's sign-in, with the per-address limit across user names (core.lockout)."""


class SourcewiseAdminSite(admin.AdminSite):
    """The account managers' admin, opening on their own day: follow-ups and pipeline.

    Staff need a second factor: after the password, a code from an authenticator app (enrolled
    on first sign-in). Until then the session reaches nothing in the admin.
    """

    site_header = "Sourcewise"
    site_title = "Sourcewise admin"
    index_title = "My work"
    index_template = "admin/sourcewise_index.html"
    login_form = StaffAuthenticationForm

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every changelist, ours and the libraries' (Celery beat, results, history), answers a
        # query-string filter the database cannot take with "invalid filter", never a 500.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, GuardedChangeListMixin):
            admin_class = type(
                admin_class.__name__,
                (GuardedChangeListMixin, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request) -> bool:
        if not super().has_permission(request):
            return False
        return not settings.ADMIN_REQUIRE_2FA or request.user.is_verified()

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and user.is_active and user.is_staff and not self.has_permission(request):
            # Password accepted earlier; the second factor is still missing.
            target = reverse("admin:two_factor")
            next_url = request.GET.get(REDIRECT_FIELD_NAME)
            return redirect(f"{target}?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else target)
        return super().login(request, extra_context)

    def get_urls(self):
        from core.audit_views import audit_trail_view
        from core.operations_admin import operations_view

        return [
            path("audit/", self.admin_view(audit_trail_view(self)), name="audit_trail"),
            path("operations/", self.admin_view(operations_view(self)), name="operations"),
            path("two-factor/", self.two_factor_view, name="two_factor"),
            path("two-factor/enrol/<str:token>/", self.two_factor_enrol_view, name="two_factor_enrol"),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    def two_factor_view(self, request):
        """Enter the authenticator's current code; or, the first time, set one up through an
        enrolment link (the password alone never enrols a device: core/enrolment.py)."""
        from django.contrib import messages
        from django_otp import user_has_device

        from core import two_factor
        from engagements.forms import TokenForm

        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return redirect("admin:login")
        next_url = safe_next(request, reverse("admin:index"))
        enrolled = user_has_device(user)
        setup = {} if enrolled else two_factor.enrolment_context(request)
        if request.method == "POST" and not enrolled and request.POST.get("action") == "send_link":
            messages.info(request, two_factor.request_link_by_email(request))
            return redirect(request.get_full_path())
        form = TokenForm(request.POST or None)
        if request.method == "POST" and (enrolled or setup.get("link")) and form.is_valid():
            token = form.cleaned_data["token"]
            if enrolled:
                accepted = two_factor.verify(request, token)
            else:
                accepted = two_factor.confirm(request, setup["device"], token, setup["link"])
            if accepted:
                return redirect(next_url)
            form.add_error("token", "That code is not valid. Use the code your app shows now.")
        context = {
            **self.each_context(request),
            "title": "Two-factor authentication",
            "form": form,
            "enrolled": enrolled,
            "next": next_url,
            **setup,
        }
        return render(
            request, "admin/two_factor.html", context, status=400 if setup.get("link_error") else 200
        )

    @method_decorator(never_cache)
    def two_factor_enrol_view(self, request, token):
        """An enrolment link: its token goes into the session only, then to the set-up page (after
        signing in, if needed), where it is checked against the person."""
        from core import enrolment

        enrolment.stash_token(request, token)
        target = reverse("admin:two_factor")
        if not request.user.is_authenticated:
            return redirect(f"{reverse('admin:login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")
        return redirect(target)

    def index(self, request, extra_context=None):
        context = {
            "follow_up_buckets": follow_up_buckets(request.user),
            "my_follow_ups": list(open_follow_ups_for(request.user)[:10]),
            "my_pipeline": pipeline_summary(owner=request.user),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)
