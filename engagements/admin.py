from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from core.admin_tools import (
    IndexedDateHierarchyMixin,
    QuickCountPaginator,
    ReasonForChangeMixin,
    message_application_error,
    mine_filter,
)
from core.errors import ApplicationError
from engagements import services
from engagements.models import (
    Activity,
    AutomationPolicy,
    Contact,
    Engagement,
    EngagementProvider,
    FollowUp,
    FollowUpStatus,
    MembershipRole,
    Sponsor,
    SponsorCapability,
    SponsorMembership,
    StageLimit,
    StageTransition,
)
from engagements.pipeline import OPEN_STAGES, transition_error
from engagements.selectors import stage_history


class SponsorCapabilityInline(admin.TabularInline):
    model = SponsorCapability
    extra = 0
    autocomplete_fields = ["function"]
    verbose_name_plural = "internal capability per function (0 none, 1 limited, 2 established, 3 strong)"


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "job_title",
        "is_primary",
        "receives_reminders",
    ]


class MembershipInline(admin.TabularInline):
    model = SponsorMembership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class SponsorEngagementInline(admin.TabularInline):
    model = Engagement
    extra = 0
    fields = ["name", "stage", "outsourcing_model", "value", "owner"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner")


@admin.register(Sponsor)
class SponsorAdmin(ReasonForChangeMixin, SimpleHistoryAdmin):
    list_display = [
        "name",
        "profile",
        "status",
        "owner",
        "open_engagements",
        "pipeline_value",
        "next_follow_up",
    ]
    list_filter = [
        mine_filter("owner", "my accounts"),
        "profile",
        "status",
        "regions",
        "therapeutic_areas",
    ]
    list_select_related = ["owner"]
    search_fields = ["name", "headquarters", "contacts__email", "contacts__last_name"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["therapeutic_areas", "regions"]
    inlines = [SponsorCapabilityInline, ContactInline, MembershipInline, SponsorEngagementInline]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = QuickCountPaginator
    fieldsets = [
        (None, {"fields": ["name", "profile", "status", "owner"]}),
        (
            "Profile",
            {"fields": ["headquarters", "website", "therapeutic_areas", "regions", "notes"]},
        ),
        ("Portal", {"fields": ["require_two_factor"]}),
    ]

    def get_queryset(self, request):
        open_engagements = Engagement.objects.filter(sponsor=OuterRef("pk"), stage__in=OPEN_STAGES)
        next_due = FollowUp.objects.filter(sponsor=OuterRef("pk"), status=FollowUpStatus.OPEN).order_by(
            "due_at"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                _open_engagements=Subquery(
                    open_engagements.values("sponsor").annotate(n=Count("id")).values("n")[:1]
                ),
                _pipeline_value=Subquery(
                    open_engagements.values("sponsor").annotate(total=Sum("value")).values("total")[:1]
                ),
                _next_follow_up=Subquery(next_due.values("due_at")[:1]),
            )
        )

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.display(description="open engagements", ordering="_open_engagements")
    def open_engagements(self, obj):
        return obj._open_engagements or 0

    @admin.display(description="open pipeline value", ordering="_pipeline_value")
    def pipeline_value(self, obj):
        return f"{obj._pipeline_value:,.0f}" if obj._pipeline_value else "—"

    @admin.display(description="next follow-up", ordering="_next_follow_up")
    def next_follow_up(self, obj):
        return obj._next_follow_up


class EngagementForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = "__all__"

    def clean_stage(self):
        stage = self.cleaned_data["stage"]
        if self.instance.pk and "stage" in self.changed_data:
            error = transition_error(self.instance._loaded_stage, stage)
            if error:
                raise forms.ValidationError(error)
        return stage


class EngagementProviderInline(admin.TabularInline):
    model = EngagementProvider
    extra = 0
    autocomplete_fields = ["provider"]
    filter_horizontal = ["functions"]
    fields = ["provider", "role", "functions"]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 1
    fields = ["kind", "subject", "body", "occurred_at", "by"]
    readonly_fields = ["by"]
    ordering = ["-occurred_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0
    fields = ["title", "due_at", "assignee", "status", "reminded_at"]
    readonly_fields = ["reminded_at"]
    autocomplete_fields = ["assignee"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignee")


@admin.register(Engagement)
class EngagementAdmin(ReasonForChangeMixin, IndexedDateHierarchyMixin, SimpleHistoryAdmin):
    form = EngagementForm
    list_display = [
        "name",
        "sponsor",
        "stage",
        "days_in_stage",
        "outsourcing_model",
        "value",
        "probability",
        "expected_close_date",
        "owner",
    ]
    list_filter = [
        mine_filter("owner", "my engagements"),
        "stage",
        "outsourcing_model",
        "phase",
        "therapeutic_area",
    ]
    list_select_related = ["sponsor", "owner"]
    search_fields = ["name", "sponsor__name"]
    autocomplete_fields = ["sponsor", "owner", "therapeutic_area"]
    filter_horizontal = ["regions", "functions"]
    date_hierarchy = "created_at"
    inlines = [EngagementProviderInline, ActivityInline, FollowUpInline]
    readonly_fields = ["stage_entered_at", "stage_timeline", "created_at", "updated_at"]
    actions = ["advance_to_next_stage"]
    show_full_result_count = False
    paginator = QuickCountPaginator
    fieldsets = [
        (None, {"fields": ["sponsor", "name", "owner", "description"]}),
        (
            "Pipeline",
            {
                "fields": [
                    "stage",
                    "stage_entered_at",
                    "stage_timeline",
                    "value",
                    "currency",
                    "probability",
                    "expected_close_date",
                ]
            },
        ),
        (
            "Delivery",
            {
                "fields": [
                    "outsourcing_model",
                    "phase",
                    "therapeutic_area",
                    "regions",
                    "functions",
                    "start_date",
                    "end_date",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._loaded_stage = obj.stage
        return obj

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        new_stage = obj.stage
        if change and "stage" in form.changed_data:
            # The pipeline service records the move (who, when) and re-checks it under a lock.
            obj.stage = obj._loaded_stage
            super().save_model(request, obj, form, change)
            services.advance_stage(engagement=obj, to_stage=new_stage, by=request.user)
            return
        if not change:
            obj.stage_entered_at = timezone.now()
        super().save_model(request, obj, form, change)
        if not change:
            services.record_initial_stage(engagement=obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, Activity) and instance.by_id is None:
                instance.by = request.user
            if isinstance(instance, FollowUp):
                instance.engagement = form.instance
                services.save_follow_up(follow_up=instance, by=request.user)
                continue
            instance.save()
            if isinstance(instance, Activity):
                services.note_engagement_activity(engagement_id=form.instance.pk, at=instance.occurred_at)
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    @admin.display(description="days in stage", ordering="stage_entered_at")
    def days_in_stage(self, obj):
        return (timezone.now() - obj.stage_entered_at).days

    @admin.display(description="stage history")
    def stage_timeline(self, obj):
        if not obj.pk:
            return "—"
        rows = [
            (
                stay.stage,
                f"{stay.entered_at:%Y-%m-%d %H:%M}",
                f"{stay.duration.days} d {stay.duration.seconds // 3600} h",
                stay.by or "system",
            )
            for stay in stage_history(obj)
        ]
        return format_html(
            "<table><tr><th>stage</th><th>entered</th><th>time in stage</th><th>by</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.action(description="Advance selected engagements to their next stage")
    def advance_to_next_stage(self, request, queryset):
        try:
            moved = services.advance_to_next_stage(engagements=queryset, by=request.user)
        except ApplicationError as error:
            message_application_error(request, error)
            return
        self.message_user(request, f"Moved {len(moved)} engagement(s) to their next stage.", messages.SUCCESS)


@admin.register(Activity)
class ActivityAdmin(IndexedDateHierarchyMixin, admin.ModelAdmin):
    list_display = ["subject", "kind", "engagement", "sponsor_name", "occurred_at", "by"]
    list_filter = [mine_filter("by", "logged by me"), "kind"]
    list_select_related = ["engagement__sponsor", "by"]
    search_fields = ["subject", "engagement__name"]
    autocomplete_fields = ["engagement"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["by", "created_at"]
    show_full_result_count = False
    paginator = QuickCountPaginator

    @admin.display(description="sponsor", ordering="engagement__sponsor__name")
    def sponsor_name(self, obj):
        return obj.engagement.sponsor.name

    def save_model(self, request, obj, form, change):
        if obj.by_id is None:
            obj.by = request.user
        super().save_model(request, obj, form, change)
        services.note_engagement_activity(engagement_id=obj.engagement_id, at=obj.occurred_at)


class DueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("today", "Due today"), ("week", "Due in the next 7 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        end_of_day = now.replace(hour=23, minute=59, second=59)
        if self.value() == "overdue":
            return queryset.filter(status=FollowUpStatus.OPEN, due_at__lt=now)
        if self.value() == "today":
            return queryset.filter(status=FollowUpStatus.OPEN, due_at__gte=now, due_at__lte=end_of_day)
        if self.value() == "week":
            return queryset.filter(
                status=FollowUpStatus.OPEN,
                due_at__gte=now,
                due_at__lte=now + timezone.timedelta(days=7),
            )
        return queryset


class FollowUpForm(forms.ModelForm):
    class Meta:
        model = FollowUp
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        engagement, sponsor = cleaned.get("engagement"), cleaned.get("sponsor")
        if engagement and sponsor and engagement.sponsor_id != sponsor.pk:
            self.add_error("engagement", "This engagement belongs to another sponsor.")
        return cleaned


@admin.register(FollowUp)
class FollowUpAdmin(IndexedDateHierarchyMixin, SimpleHistoryAdmin):
    form = FollowUpForm
    list_display = [
        "title",
        "sponsor",
        "engagement",
        "due_at",
        "overdue",
        "assignee",
        "status",
        "reminded_at",
    ]
    list_filter = [mine_filter("assignee", "assigned to me"), "status", DueFilter]
    list_select_related = ["sponsor", "engagement", "assignee"]
    search_fields = ["title", "sponsor__name", "engagement__name"]
    autocomplete_fields = ["sponsor", "engagement", "assignee"]
    date_hierarchy = "due_at"
    readonly_fields = ["reminded_at", "completed_at", "rule", "created_by", "created_at"]
    actions = ["mark_done"]
    show_full_result_count = False
    paginator = QuickCountPaginator

    def get_changeform_initial_data(self, request):
        return {"assignee": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        services.save_follow_up(follow_up=obj, by=request.user)

    @admin.display(boolean=True, description="overdue")
    def overdue(self, obj):
        return obj.is_overdue

    @admin.action(description="Mark selected follow-ups as done")
    def mark_done(self, request, queryset):
        changed = services.complete_follow_ups(follow_ups=queryset, by=request.user)
        self.message_user(request, f"Marked {changed} follow-up(s) as done.", messages.SUCCESS)


@admin.register(StageTransition)
class StageTransitionAdmin(admin.ModelAdmin):
    list_display = ["engagement", "from_stage", "to_stage", "by", "at"]
    list_filter = ["to_stage"]
    list_select_related = ["engagement", "by"]
    search_fields = ["engagement__name"]
    date_hierarchy = "at"
    show_full_result_count = False
    paginator = QuickCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    actions = ["invite_contributor", "invite_viewer"]
    list_display = ["full_name", "email", "job_title", "sponsor", "is_primary"]
    list_filter = ["is_primary", "receives_reminders"]
    list_select_related = ["sponsor"]
    search_fields = ["first_name", "last_name", "email", "sponsor__name"]
    autocomplete_fields = ["sponsor"]
    show_full_result_count = False
    paginator = QuickCountPaginator

    def _invite(self, request, queryset, role):
        invited = 0
        for contact in queryset.select_related("sponsor__owner"):
            try:
                services.invite_to_portal(contact=contact, role=role, by=request.user)
                invited += 1
            except ApplicationError as error:
                message_application_error(request, error)
        if invited:
            self.message_user(request, f"Invited {invited} contact(s) to the portal.", messages.SUCCESS)

    @admin.action(description="Invite to the portal (can answer assessments)")
    def invite_contributor(self, request, queryset):
        self._invite(request, queryset, MembershipRole.CONTRIBUTOR)

    @admin.action(description="Invite to the portal (read only)")
    def invite_viewer(self, request, queryset):
        self._invite(request, queryset, MembershipRole.VIEWER)


@admin.register(SponsorMembership)
class SponsorMembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "sponsor", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "sponsor"]
    search_fields = ["user__email", "sponsor__name"]
    autocomplete_fields = ["user", "sponsor"]


class StageLimitInline(admin.TabularInline):
    model = StageLimit
    extra = 0
    fields = ["stage", "days"]


@admin.register(AutomationPolicy)
class AutomationPolicyAdmin(admin.ModelAdmin):
    """The follow-up rules' thresholds; their timing lives in Periodic tasks (django-celery-beat)."""

    inlines = [StageLimitInline]
    fieldsets = [
        (
            "Assessments",
            {"fields": ["assessment_reminder_days", "review_reminder_days"]},
        ),
        ("Follow-ups the rules create", {"fields": ["follow_up_due_in_days"]}),
    ]

    def has_add_permission(self, request):
        return not AutomationPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
