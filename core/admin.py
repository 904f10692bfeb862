from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from core import audit
from core.admin_tools import QuickCountPaginator, message_application_error
from core.errors import ApplicationError
from core.models import (
    ApiKey,
    AuditReview,
    AuditReviewStatus,
    Notification,
    OutboxMessage,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "job_title", "phone")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = ["email_enrolment_links", "hand_over_enrolment_link", "reset_two_factor"]

    def _may_enrol(self, request) -> bool:
        return request.user.is_superuser or request.user.has_perm("core.add_enrolmentlink")

    @admin.action(description="E-mail a two-factor set-up link to the selected people")
    def email_enrolment_links(self, request, queryset):
        from core import enrolment

        if not self._may_enrol(request):
            self.message_user(request, "Only administrators may send set-up links.", messages.ERROR)
            return None
        users = list(queryset.filter(is_active=True))
        for user in users:
            enrolment.send_by_email(user=user, by=request.user)
        self.message_user(
            request, f"Set-up link e-mailed to {len(users)} {'person' if len(users) == 1 else 'people'}."
        )
        return None

    @admin.action(description="Create a two-factor set-up link to hand over (one person)")
    def hand_over_enrolment_link(self, request, queryset):
        from django.template.response import TemplateResponse

        from core import enrolment
        from core.errors import ApplicationError

        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one person.", messages.ERROR)
            return None
        user = queryset.get()
        try:
            path = enrolment.hand_over(user=user, by=request.user)
        except ApplicationError as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Two-factor set-up link for {user}",
            "person": user,
            "url": f"{settings.SITE_URL}{path}",
            "hours": settings.ENROLMENT_LINK_HOURS,
        }
        response = TemplateResponse(request, "admin/enrolment_link.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Reset two-factor (lost phone): remove authenticators, e-mail a set-up link")
    def reset_two_factor(self, request, queryset):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from core import audit, enrolment
        from core.security_log import log_event

        if not self._may_enrol(request):
            self.message_user(request, "Only administrators may reset two-factor.", messages.ERROR)
            return None
        users = list(queryset)
        with audit.because("two-factor reset by an administrator"):
            TOTPDevice.objects.filter(user__in=users).delete()
        for user in users:
            log_event("totp_reset", actor=f"user:{request.user.email}", email=user.email)
            if user.is_active:
                enrolment.send_by_email(user=user, by=request.user)
        self.message_user(request, f"Two-factor reset for {len(users)}; set-up links e-mailed.")
        return None


# --- API keys, webhooks, outbox ----------------------------------------------------------------

admin.site.unregister(LibraryAPIKey)  # the library's default model; Sourcewise uses ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = ["prefix", "name", "scope", "sponsor", "created", "expiry_date", "last_used_at", "revoked"]
    list_filter = ["scope", "revoked"]
    list_select_related = ["sponsor"]
    search_fields = ["name", "prefix", "sponsor__name"]
    autocomplete_fields = ["sponsor"]
    fields = ["name", "scope", "sponsor", "expiry_date", "revoked", "prefix", "last_used_at", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj), "last_used_at", "created_by"]
        if obj is not None:
            fields += ["scope", "sponsor"]
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "sponsor", "is_active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "sponsor", "is_active", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["sponsor"]
    search_fields = ["url", "description"]
    autocomplete_fields = ["sponsor"]
    readonly_fields = ["signing_secret", "created_by", "created_at"]

    @admin.display(description="signing secret")
    def signing_secret(self, obj):
        return obj.secret if obj and obj.pk else "Generated when you save."

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event"]
    list_select_related = ["endpoint"]
    search_fields = ["endpoint__url", "last_error"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = QuickCountPaginator
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["task", "args", "created_at", "dispatched_at", "attempts", "last_error"]
    list_filter = [("dispatched_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = QuickCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Every e-mail the platform sent or tried to send, with its attempts."""

    list_display = ["kind", "to", "status", "attempts", "sent_at", "next_attempt_at", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "dedupe_key", "last_error"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = QuickCountPaginator
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Audit-trail reviews ------------------------------------------------------------------------


class AuditReviewForm(forms.ModelForm):
    class Meta:
        model = AuditReview
        fields = ["period_start", "period_end", "summary"]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "period_end": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self):
        from core.audit_review import period_problems

        cleaned = super().clean()
        for field, problem in period_problems(cleaned.get("period_start"), cleaned.get("period_end")).items():
            self.add_error(field, problem)
        return cleaned


class ExceptionForm(forms.Form):
    event_slug = forms.CharField(max_length=200, label="Event")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), label="What you found")


@admin.register(AuditReview)
class AuditReviewAdmin(admin.ModelAdmin):
    """Periodic review of the audit trail: read the period, record exceptions, sign, export."""

    form = AuditReviewForm
    list_display = ["__str__", "status", "events_count", "created_by", "signed_at"]
    list_filter = ["status"]
    change_form_template = "admin/core/auditreview/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["period_start", "period_end", "summary", "status", "events_count", "created_by", "signed_at"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from core import audit_review

        if change:
            return
        created = audit_review.start_review(
            by=request.user,
            period_start=obj.period_start,
            period_end=obj.period_end,
            summary=obj.summary,
        )
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/exception/", view(self.exception_view), name="core_auditreview_exception"),
            path("<uuid:object_id>/sign/", view(self.sign_view), name="core_auditreview_sign"),
            path(
                "<uuid:object_id>/export.<str:kind>", view(self.export_view), name="core_auditreview_export"
            ),
            *super().get_urls(),
        ]

    def _review(self, request, object_id, *, change: bool):
        review = get_object_or_404(AuditReview, pk=object_id)
        allowed = (
            self.has_change_permission(request, review)
            if change
            else self.has_view_permission(request, review)
        )
        if not allowed:
            raise PermissionDenied
        return review

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from core import audit, audit_review, signatures

        review = self._review(request, object_id, change=False)
        page = request.GET.get("page", "1")
        page = int(page) if page.isdigit() and 0 < int(page) <= 2000 else 1
        rows = audit.rows(
            audit_review.events_in(review, user=request.user, limit=101, offset=(page - 1) * 100)
        )
        context = {
            "events": rows[:100],
            "events_page": page,
            "events_next": page + 1 if len(rows) > 100 else None,
            "exceptions": list(review.exceptions.select_related("created_by")),
            "exception_form": ExceptionForm(),
            "review_signatures": signatures.shown(review),
            "can_change": self.has_change_permission(request, review)
            and review.status == AuditReviewStatus.OPEN,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def exception_view(self, request, object_id):
        from core import audit_review

        review = self._review(request, object_id, change=True)
        change_url = reverse("admin:core_auditreview_change", args=[review.pk])
        if request.method != "POST":
            return redirect(change_url)
        form = ExceptionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an event of the period and describe what you found.")
            return redirect(change_url)
        try:
            audit_review.add_exception(review=review, by=request.user, **form.cleaned_data)
        except ApplicationError as refusal:
            message_application_error(request, refusal)
        else:
            self.message_user(request, "Exception recorded.", messages.SUCCESS)
        return redirect(change_url)

    def sign_view(self, request, object_id):
        from core import audit_review, signatures
        from core.admin_signing import sign_view

        review = self._review(request, object_id, change=True)
        change_url = reverse("admin:core_auditreview_change", args=[review.pk])

        def perform(data):
            audit_review.sign_review(
                review=review,
                by=request.user,
                request=request,
                password=data["password"],
                code=data["code"],
                comment=data["comment"],
            )

        def done():
            self.message_user(request, "The review is signed.", messages.SUCCESS)
            return redirect(change_url)

        return sign_view(
            request,
            admin_site=self.admin_site,
            title="Sign the review",
            intro="Sign that you reviewed the audit trail of this period. The signature covers the "
            "summary, the exceptions and the events the period holds now.",
            record_label=str(review),
            meanings=signatures.meanings_for(review),
            perform=perform,
            done=done,
            cancel_url=change_url,
            comment_label="Conclusion",
            comment_help="Added to the summary (required if the summary is empty).",
            breadcrumbs=[
                ("Audit-trail reviews", reverse("admin:core_auditreview_changelist")),
                (str(review), change_url),
            ],
        )

    def export_view(self, request, object_id, kind):
        from django.http import Http404, HttpResponse

        from core import audit_review
        from core.security_log import client_ip, log_event

        review = self._review(request, object_id, change=False)
        if kind not in ("pdf", "csv"):
            raise Http404
        name = f"sourcewise-audit-review-{review.period_start:%Y%m%d}-{review.period_end:%Y%m%d}.{kind}"
        if kind == "csv":
            response = HttpResponse(
                audit_review.to_csv(review, user=request.user), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(
                audit_review.to_pdf(review, user=request.user), content_type="application/pdf"
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        log_event(
            "audit_export",
            actor=audit.actor_label(request.user),
            ip=client_ip(request),
            model="audit review",
            object=str(review.pk),
        )
        return response
