from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from core.admin_tools import QuickCountPaginator
from core.models import (
    ApiKey,
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
