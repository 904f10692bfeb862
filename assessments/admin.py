from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from assessments import reports, services
from assessments.downloads import report_file_response
from assessments.models import (
    Answer,
    Assessment,
    Channel,
    Choice,
    Question,
    Questionnaire,
    QuestionnaireStatus,
    Recommendation,
    Report,
    ReportStatus,
    ScoringWeight,
    Section,
)
from assessments.presentation import recommendation_context
from assessments.selectors import latest_recommendation
from core.admin_tools import (
    QuickCountPaginator,
    ReasonForChangeMixin,
    add_application_error,
    message_application_error,
    mine_filter,
    with_reason,
)
from core.audit import because
from core.errors import ApplicationError


class FrozenQuestionnaireMixin:
    """Published and retired questionnaires are read-only everywhere in the admin."""

    def _questionnaire_of(self, obj):
        return None

    def _frozen(self, obj) -> bool:
        questionnaire = self._questionnaire_of(obj)
        return bool(questionnaire and questionnaire.is_frozen)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._frozen(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._frozen(obj)

    def has_add_permission(self, request, obj=None):
        if obj is not None and self._frozen(obj):
            return False
        return (
            super().has_add_permission(request, obj)
            if obj is not None
            else super().has_add_permission(request)
        )


class SectionInline(FrozenQuestionnaireMixin, admin.TabularInline):
    model = Section
    extra = 0
    fields = ["title", "description", "position"]

    def _questionnaire_of(self, obj):
        return obj


class QuestionnaireForm(forms.ModelForm):
    class Meta:
        model = Questionnaire
        fields = ["name", "version", "description", "parameters"]


@admin.register(Questionnaire)
class QuestionnaireAdmin(ReasonForChangeMixin, FrozenQuestionnaireMixin, SimpleHistoryAdmin):
    form = QuestionnaireForm
    list_display = ["name", "version", "status", "published_at", "question_count", "assessment_count"]
    list_filter = ["status", "name"]
    search_fields = ["name"]
    inlines = [SectionInline]
    actions = ["publish", "create_new_version", "retire"]
    readonly_fields = ["signatures"]

    def _questionnaire_of(self, obj):
        return obj

    def get_queryset(self, request):
        questions = Question.objects.filter(questionnaire=OuterRef("pk")).values("questionnaire")
        assessments = Assessment.objects.filter(questionnaire=OuterRef("pk")).values("questionnaire")
        return (
            super()
            .get_queryset(request)
            .annotate(
                _questions=Subquery(questions.annotate(n=Count("id")).values("n")[:1]),
                _assessments=Subquery(assessments.annotate(n=Count("id")).values("n")[:1]),
            )
        )

    @admin.display(description="questions", ordering="_questions")
    def question_count(self, obj):
        return obj._questions or 0

    @admin.display(description="assessments", ordering="_assessments")
    def assessment_count(self, obj):
        return obj._assessments or 0

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def _run(self, request, queryset, action, verb):
        done = 0
        for questionnaire in queryset:
            try:
                action(questionnaire=questionnaire, by=request.user)
                done += 1
            except ApplicationError as error:
                message_application_error(request, error)
        if done:
            self.message_user(request, f"{verb} {done} questionnaire(s).", messages.SUCCESS)

    @admin.action(description="Publish (freezes the version; signed)")
    def publish(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(
                request, "Publishing is a signed act: choose one questionnaire at a time.", messages.ERROR
            )
            return None
        return redirect("admin:assessments_questionnaire_publish", queryset.get().pk)

    def get_urls(self):
        return [
            path(
                "<uuid:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="assessments_questionnaire_publish",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request, object_id):
        from core import signatures
        from core.admin_signing import sign_view

        questionnaire = get_object_or_404(Questionnaire, pk=object_id)
        if not request.user.has_perm("assessments.change_questionnaire"):
            raise PermissionDenied
        change_url = reverse("admin:assessments_questionnaire_change", args=[questionnaire.pk])
        problems = services.questionnaire_problems(questionnaire)
        if questionnaire.status != QuestionnaireStatus.DRAFT or problems:
            # Said before anyone types a password: what stands in the way of publishing.
            reason = " ".join(problems) or f"It is {questionnaire.get_status_display().lower()}, not a draft."
            messages.error(request, f"{questionnaire} cannot be published: {reason}")
            return redirect(change_url)

        def perform(data):
            services.publish_questionnaire_signed(
                questionnaire=questionnaire,
                by=request.user,
                meaning=data["meaning"],
                comment=data["comment"],
                request=request,
                password=data["password"],
                code=data["code"],
            )

        def done():
            self.message_user(request, f"Published and signed {questionnaire}.", messages.SUCCESS)
            return redirect(change_url)

        return sign_view(
            request,
            admin_site=self.admin_site,
            title="Publish the questionnaire",
            intro="Publishing freezes this version: new assessments use it, and changes need a new "
            "version. Sign it as its author, reviewer or approver.",
            record_label=str(questionnaire),
            meanings=signatures.meanings_for(questionnaire),
            perform=perform,
            done=done,
            cancel_url=change_url,
            breadcrumbs=[
                ("Questionnaires", reverse("admin:assessments_questionnaire_changelist")),
                (str(questionnaire), change_url),
            ],
        )

    @admin.display(description="signatures")
    def signatures(self, obj):
        from core import signatures

        shown = signatures.shown(obj) if obj and obj.pk else []
        if not shown:
            return "None: publishing is a signed act."
        return render_to_string("admin/includes/signatures.html", {"signatures": shown})

    @admin.action(description="Create a new draft version to edit")
    def create_new_version(self, request, queryset):
        self._run(request, queryset, services.new_questionnaire_version, "Created a new version of")

    @with_reason("Retire (no new assessments)")
    def retire(self, request, queryset):
        self._run(request, queryset, services.retire_questionnaire, "Retired")


class ChoiceInline(FrozenQuestionnaireMixin, admin.TabularInline):
    model = Choice
    extra = 0
    fields = ["value", "label", "specialised", "position"]

    def _questionnaire_of(self, obj):
        return obj.questionnaire if obj else None


class ScoringWeightInline(FrozenQuestionnaireMixin, admin.TabularInline):
    model = ScoringWeight
    extra = 0
    fields = ["option", "target", "weight", "rationale", "sentence_low", "sentence_high"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question__questionnaire")

    def _questionnaire_of(self, obj):
        return obj.questionnaire if obj else None


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        questionnaire, section = cleaned.get("questionnaire"), cleaned.get("section")
        if questionnaire and questionnaire.is_frozen:
            raise forms.ValidationError(f"{questionnaire} is frozen; create a new version to add questions.")
        if questionnaire and section and section.questionnaire_id != questionnaire.pk:
            self.add_error("section", "This section belongs to another questionnaire.")
        show_if = cleaned.get("show_if")
        if show_if is not None and (
            not isinstance(show_if, dict) or set(show_if) != {"question", "operator", "value"}
        ):
            self.add_error("show_if", 'Use {"question": code, "operator": "in", "value": [...]}.')
        return cleaned


@admin.register(Question)
class QuestionAdmin(ReasonForChangeMixin, FrozenQuestionnaireMixin, admin.ModelAdmin):
    form = QuestionForm
    list_display = ["code", "label", "kind", "required", "section", "questionnaire"]
    list_filter = ["questionnaire", "kind", "required"]
    list_select_related = ["section", "questionnaire"]
    search_fields = ["code", "label", "text"]
    inlines = [ChoiceInline, ScoringWeightInline]

    def _questionnaire_of(self, obj):
        return obj.questionnaire if obj else None


@admin.register(ScoringWeight)
class ScoringWeightAdmin(ReasonForChangeMixin, FrozenQuestionnaireMixin, admin.ModelAdmin):
    list_display = ["question", "option", "target", "weight", "sentence_low", "sentence_high"]
    list_filter = ["question__questionnaire", "target"]
    list_select_related = ["question", "question__questionnaire"]
    search_fields = ["question__code", "option", "rationale", "sentence_low", "sentence_high"]

    def _questionnaire_of(self, obj):
        return obj.question.questionnaire if obj else None


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ["question", "value", "answered_by", "answered_via", "answered_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question", "answered_by")


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    fields = ["status", "created_at", "finished_at", "pages", "download"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="PDF")
    def download(self, obj):
        if obj.status != ReportStatus.READY:
            return obj.failure_reason or obj.get_status_display()
        return format_html(
            '<a href="{}">Download</a>', reverse("admin:assessments_report_download", args=[obj.pk])
        )


class AssessmentForm(forms.ModelForm):
    class Meta:
        model = Assessment
        fields = ["sponsor", "engagement", "questionnaire", "title", "due_date"]

    def clean(self):
        cleaned = super().clean()
        if not self.instance._state.adding or self.errors:
            return cleaned
        try:
            services.check_new_assessment(
                sponsor=cleaned.get("sponsor"),
                questionnaire=cleaned.get("questionnaire"),
                engagement=cleaned.get("engagement"),
            )
        except ApplicationError as error:
            add_application_error(self, error)
        return cleaned


@admin.register(Assessment)
class AssessmentAdmin(ReasonForChangeMixin, SimpleHistoryAdmin):
    form = AssessmentForm
    change_form_template = "admin/assessments/assessment/change_form.html"
    list_display = [
        "__str__",
        "sponsor",
        "status",
        "due_date",
        "answered",
        "submitted_at",
        "recommended_model",
    ]
    list_filter = [mine_filter("sponsor__owner", "my accounts"), "status", "questionnaire"]
    list_select_related = ["sponsor", "questionnaire"]
    search_fields = ["title", "sponsor__name"]
    autocomplete_fields = ["sponsor", "engagement"]
    date_hierarchy = "created_at"
    inlines = [AnswerInline, ReportInline]
    actions = ["send", "recompute", "generate_report"]
    show_full_result_count = False
    paginator = QuickCountPaginator
    readonly_fields = [
        "status",
        "sent_at",
        "sent_by",
        "started_at",
        "submitted_at",
        "submitted_by",
        "submitted_via",
        "reviewed_at",
        "reviewed_by",
        "review_comment",
        "signatures",
        "recommendation",
    ]
    fieldsets = [
        (None, {"fields": ["sponsor", "engagement", "questionnaire", "title", "due_date", "status"]}),
        (
            "Progress",
            {"fields": ["sent_at", "sent_by", "started_at", "submitted_at", "submitted_by", "submitted_via"]},
        ),
        ("Review", {"fields": ["reviewed_at", "reviewed_by", "review_comment", "signatures"]}),
        ("Recommendation", {"fields": ["recommendation"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None:
            fields += ["sponsor", "questionnaire"]
            if obj.is_locked:
                fields += ["engagement", "title", "due_date"]
        return fields

    def get_queryset(self, request):
        latest = Recommendation.objects.filter(assessment=OuterRef("pk")).order_by("-created_at")
        answered = Answer.objects.filter(assessment=OuterRef("pk")).values("assessment")
        questions = Question.objects.filter(questionnaire=OuterRef("questionnaire")).values("questionnaire")
        return (
            super()
            .get_queryset(request)
            .annotate(
                _model=Subquery(latest.values("model")[:1]),
                _answered=Subquery(answered.annotate(n=Count("id")).values("n")[:1]),
                _questions=Subquery(questions.annotate(n=Count("id")).values("n")[:1]),
            )
        )

    @admin.display(description="recommended", ordering="_model")
    def recommended_model(self, obj):
        return dict(Recommendation._meta.get_field("model").choices).get(obj._model, "—")

    @admin.display(description="answered")
    def answered(self, obj):
        return f"{obj._answered or 0} / {obj._questions or 0}"

    @admin.display(description="latest recommendation")
    def recommendation(self, obj):
        latest = latest_recommendation(obj) if obj and obj.pk else None
        if latest is None:
            return "Not yet: produced when the assessment is submitted."
        return render_to_string(
            "assessments/includes/recommendation.html",
            {"rec": recommendation_context(latest, drivers_limit=None)},
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.create_assessment(
            sponsor=obj.sponsor,
            questionnaire=obj.questionnaire,
            engagement=obj.engagement,
            title=obj.title,
            due_date=obj.due_date,
            by=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def get_urls(self):
        return [
            path(
                "<uuid:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="assessments_assessment_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, object_id):
        """Review or approve the recommendation: a signed act (password and code, now)."""
        from core import signatures
        from core.admin_signing import sign_view

        assessment = get_object_or_404(Assessment, pk=object_id)
        if not self.has_change_permission(request, assessment):
            raise PermissionDenied
        change_url = reverse("admin:assessments_assessment_change", args=[assessment.pk])
        recommendation = latest_recommendation(assessment)
        if recommendation is None:
            messages.error(request, "This assessment has no recommendation to review yet.")
            return redirect(change_url)

        def perform(data):
            with because(f"{data['meaning'].capitalize()} (signed): {data['comment'].strip()}"):
                services.sign_recommendation(
                    assessment=assessment,
                    by=request.user,
                    meaning=data["meaning"],
                    comment=data["comment"],
                    request=request,
                    password=data["password"],
                    code=data["code"],
                )

        def done():
            self.message_user(
                request, "Signed. The signature is shown with the recommendation.", messages.SUCCESS
            )
            return redirect(change_url)

        return sign_view(
            request,
            admin_site=self.admin_site,
            title="Review the recommendation",
            intro="Sign the recommendation as reviewed or approved. The sponsor sees that their "
            "account manager has reviewed it, and who signed.",
            record_label=f"{assessment}: {recommendation.get_model_display()} "
            f"(engine {recommendation.engine_version}, made {recommendation.created_at:%Y-%m-%d %H:%M} UTC)",
            meanings=signatures.meanings_for(recommendation),
            perform=perform,
            done=done,
            cancel_url=change_url,
            comment_label="Review comment",
            comment_help="What you discussed with the sponsor, and what happens next (recorded with "
            "the signature).",
            breadcrumbs=[
                ("Assessments", reverse("admin:assessments_assessment_changelist")),
                (str(assessment), change_url),
            ],
        )

    @admin.display(description="signatures")
    def signatures(self, obj):
        from assessments.selectors import recommendation_signatures

        shown = recommendation_signatures(obj) if obj and obj.pk else []
        if not shown:
            return "None yet: reviewing the recommendation is a signed act (the Review button)."
        return render_to_string("admin/includes/signatures.html", {"signatures": shown})

    @admin.action(description="Send to the sponsor")
    def send(self, request, queryset):
        sent = 0
        for assessment in queryset:
            try:
                services.send_assessment(assessment=assessment, by=request.user)
                sent += 1
            except ApplicationError as error:
                message_application_error(request, error)
        if sent:
            self.message_user(request, f"Sent {sent} assessment(s).", messages.SUCCESS)

    @admin.action(description="Generate the PDF report")
    def generate_report(self, request, queryset):
        for assessment in queryset.select_related("sponsor"):
            try:
                report = reports.request_report(assessment=assessment, by=request.user, via=Channel.ADMIN)
            except ApplicationError as error:
                message_application_error(request, error)
                continue
            state = (
                "is ready"
                if report.status == ReportStatus.READY
                else f"is {report.get_status_display().lower()}"
            )
            self.message_user(request, f"{assessment}: the report {state}; see Reports.")

    @with_reason("Recompute the recommendation (new engine or provider catalog)")
    def recompute(self, request, queryset):
        for assessment in queryset:
            try:
                _, created = services.recompute_recommendation(assessment=assessment, by=request.user)
            except ApplicationError as error:
                message_application_error(request, error)
                continue
            note = "new recommendation stored" if created else "nothing changed; kept the current one"
            self.message_user(request, f"{assessment}: {note}.")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["assessment", "status", "pages", "size", "created_at", "finished_at", "download"]
    list_filter = ["status", "requested_via"]
    list_select_related = ["assessment", "assessment__sponsor"]
    search_fields = ["assessment__sponsor__name", "assessment__title"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = QuickCountPaginator
    fields = [
        "assessment",
        "recommendation",
        "status",
        "failure_reason",
        "checksum",
        "size",
        "pages",
        "requested_by",
        "requested_via",
        "created_at",
        "started_at",
        "finished_at",
        "download",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="PDF")
    def download(self, obj):
        if obj.status != ReportStatus.READY:
            return obj.get_status_display()
        return format_html(
            '<a href="{}">Download</a>', reverse("admin:assessments_report_download", args=[obj.pk])
        )

    def get_urls(self):
        return [
            path(
                "<uuid:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="assessments_report_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return report_file_response(get_object_or_404(Report, pk=object_id))


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["assessment", "model", "confidence_label", "engine_version", "created_at"]
    list_filter = ["model", "confidence_label", "engine_version"]
    list_select_related = ["assessment", "assessment__sponsor"]
    search_fields = ["assessment__sponsor__name", "assessment__title"]
    date_hierarchy = "created_at"
    fields = [
        "assessment_link",
        "engine_version",
        "questionnaire_version",
        "created_at",
        "created_by",
        "rendered",
    ]
    readonly_fields = fields
    show_full_result_count = False
    paginator = QuickCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="assessment")
    def assessment_link(self, obj):
        url = reverse("admin:assessments_assessment_change", args=[obj.assessment_id])
        return format_html('<a href="{}">{}</a>', url, obj.assessment)

    @admin.display(description="recommendation")
    def rendered(self, obj):
        return render_to_string(
            "assessments/includes/recommendation.html",
            {"rec": recommendation_context(obj, drivers_limit=None)},
        )
