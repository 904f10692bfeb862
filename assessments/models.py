import uuid

import pghistory
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.errors import ApplicationError
from core.history import history_user
from engagements.models import Engagement, Sponsor
from providers.models import CODE_VALIDATOR, OutsourcingModel


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class QuestionKind(models.TextChoices):
    SINGLE = "single", "Single choice"
    MULTI = "multi", "Multiple choice"
    SCALE = "scale", "Scale 1–5"
    BOOLEAN = "boolean", "Yes / no"
    NUMBER = "number", "Number"
    MATRIX = "matrix", "Function matrix (0–3 per function)"


class ScoringTarget(models.TextChoices):
    FULL_SERVICE = "full_service", "Full-service"
    FSP = "fsp", "FSP"
    HYBRID = "hybrid", "Hybrid"
    BOUTIQUE = "boutique", "Boutique fit"


@pghistory.track()
class Questionnaire(models.Model):
    """A versioned questionnaire. Once published it is frozen: changes go into a new version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=QuestionnaireStatus.choices, default=QuestionnaireStatus.DRAFT
    )
    description = models.TextField(blank=True)
    parameters = models.JSONField(
        default=dict,
        blank=True,
        help_text="Engine parameters (shortlist size and weights, thresholds); see assessments/scoring.py.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "version"],
                name="questionnaire_unique_version",
                violation_error_message="This questionnaire already has that version.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=QuestionnaireStatus.values),
                name="questionnaire_status_valid",
                violation_error_message="Unknown questionnaire status.",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(published_at__isnull=False),
                name="questionnaire_published_has_date",
                violation_error_message="A published questionnaire needs a publication date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def save(self, *args, **kwargs):
        # Integrity guard behind the admin and services: a published version only ever retires.
        if not self._state.adding:
            stored = (
                Questionnaire.objects.filter(pk=self.pk)
                .values_list("status", "name", "version", "description", "parameters")
                .first()
            )
            if stored and stored[0] != QuestionnaireStatus.DRAFT:
                content_changed = stored[1:] != (self.name, self.version, self.description, self.parameters)
                allowed_status = self.status == stored[0] or (
                    stored[0] == QuestionnaireStatus.PUBLISHED and self.status == QuestionnaireStatus.RETIRED
                )
                if content_changed or not allowed_status:
                    raise ApplicationError(f"{self} is {stored[0]}: create a new version to change it.")
        super().save(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status != QuestionnaireStatus.DRAFT


class FrozenWithQuestionnaire(models.Model):
    """Parts of a questionnaire cannot change once it is published."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)

    def owning_questionnaire(self) -> "Questionnaire":
        raise NotImplementedError

    def _guard(self) -> None:
        questionnaire = self.owning_questionnaire()
        if questionnaire.is_frozen:
            raise ApplicationError(
                f"{questionnaire} is {questionnaire.status}: create a new version to change it."
            )


@pghistory.track()
class Section(FrozenWithQuestionnaire):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["questionnaire", "position", "id"]

    def __str__(self) -> str:
        return self.title

    def owning_questionnaire(self) -> Questionnaire:
        return self.questionnaire


@pghistory.track()
class Question(FrozenWithQuestionnaire):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(max_length=60, validators=[CODE_VALIDATOR])
    label = models.CharField(max_length=80, help_text="Short name used in explanations.")
    text = models.CharField(max_length=300)
    help_text = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    min_value = models.FloatField(null=True, blank=True, help_text="Number questions only.")
    max_value = models.FloatField(null=True, blank=True, help_text="Number questions only.")
    show_if = models.JSONField(
        null=True,
        blank=True,
        help_text='Show only when an earlier answer matches, e.g. {"question": "outsourcing_scope", '
        '"operator": "in", "value": ["specific_functions"]}.',
    )

    class Meta:
        ordering = ["questionnaire", "section__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "code"],
                name="question_code_unique_in_questionnaire",
                violation_error_message="Another question of this questionnaire already uses this code.",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=QuestionKind.values),
                name="question_kind_valid",
                violation_error_message="Unknown question kind.",
            ),
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=True)
                | models.Q(max_value__isnull=True)
                | models.Q(max_value__gt=models.F("min_value")),
                name="question_range_ordered",
                violation_error_message="The maximum must be greater than the minimum.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def owning_questionnaire(self) -> Questionnaire:
        return self.questionnaire


@pghistory.track()
class Choice(FrozenWithQuestionnaire):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    value = models.CharField(max_length=60, validators=[CODE_VALIDATOR])
    label = models.CharField(max_length=120)
    specialised = models.BooleanField(
        default=False, help_text="Counts as specialised (e.g. a specialised therapeutic area)."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "value"],
                name="choice_value_unique_in_question",
                violation_error_message="This question already has a choice with that value.",
            )
        ]

    def __str__(self) -> str:
        return self.label

    def owning_questionnaire(self) -> Questionnaire:
        return self.question.questionnaire


@pghistory.track()
class ScoringWeight(FrozenWithQuestionnaire):
    """How one answer (or derived feature of it) moves one target's score, and why."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="weights")
    option = models.CharField(
        max_length=60,
        blank=True,
        help_text="A choice value, a derived feature (__mean__, __mixed__, __share__, __specialised_share__, "
        "__mixed_specialisation__), or empty for the answer itself (scale, number, yes/no).",
    )
    target = models.CharField(max_length=15, choices=ScoringTarget.choices)
    weight = models.FloatField(help_text="From −10 to 10; positive moves the target up as the signal rises.")
    rationale = models.CharField(
        max_length=300, blank=True, help_text="Why the weight exists (a note for account managers)."
    )
    sentence_low = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown to the sponsor when the answer is low (a scale below 3, “no”, a feature below "
        "its middle). Needed before publishing for scales, numbers, yes/no, matrix features and the "
        "__share__ and __specialised_share__ features.",
    )
    sentence_high = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown to the sponsor when the answer is high (a scale above 3, “yes”, a feature above "
        "its middle) or, for a choice, when it is chosen. Always needed before publishing.",
    )

    class Meta:
        ordering = ["question", "option", "target"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "option", "target"],
                name="weight_unique_per_option_target",
                violation_error_message="There is already a weight for this option and target.",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=-10, weight__lte=10),
                name="weight_between_minus_10_and_10",
                violation_error_message="A weight must be between −10 and 10.",
            ),
            models.CheckConstraint(
                condition=models.Q(target__in=ScoringTarget.values),
                name="weight_target_valid",
                violation_error_message="Unknown scoring target.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question.code}[{self.option or 'value'}] → {self.target}: {self.weight:+g}"

    def owning_questionnaire(self) -> Questionnaire:
        return self.question.questionnaire


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    REVIEWED = "reviewed", "Reviewed"


class Channel(models.TextChoices):
    ADMIN = "admin", "Admin"
    PORTAL = "portal", "Portal"
    API = "api", "API"
    SYSTEM = "system", "System"


@pghistory.track()
class Assessment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="assessments")
    engagement = models.ForeignKey(
        Engagement, on_delete=models.SET_NULL, null=True, blank=True, related_name="assessments"
    )
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=15, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    due_date = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_via = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=AssessmentStatus.values),
                name="assessment_status_valid",
                violation_error_message="Unknown assessment status.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["submitted", "reviewed"])
                | models.Q(submitted_at__isnull=False),
                name="assessment_submitted_has_time",
                violation_error_message="A submitted assessment needs a submission time.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="reviewed") | models.Q(reviewed_at__isnull=False),
                name="assessment_reviewed_has_time",
                violation_error_message="A reviewed assessment needs a review time.",
            ),
        ]
        indexes = [
            models.Index(fields=["sponsor", "-created_at"]),
            models.Index(fields=["status", "sent_at"]),
            models.Index(fields=["-created_at", "-id"], name="assessment_created_id"),
            models.Index(fields=["status", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.questionnaire} for {self.sponsor}"

    @property
    def is_locked(self) -> bool:
        return self.status in (AssessmentStatus.SUBMITTED, AssessmentStatus.REVIEWED)


@pghistory.track()
class Answer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_via = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    answered_at = models.DateTimeField()

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["assessment", "question__section__position", "question__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"],
                name="answer_unique_per_question",
                violation_error_message="This question is already answered in the assessment.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.question.code} = {self.value!r}"


@pghistory.track()
class Recommendation(models.Model):
    """An immutable snapshot of what the engine recommended, and from exactly which inputs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="recommendations")
    engine_version = models.CharField(max_length=20)
    questionnaire_version = models.CharField(max_length=140)
    model = models.CharField(max_length=20, choices=OutsourcingModel.choices)
    scores = models.JSONField()
    confidence = models.FloatField()
    confidence_label = models.CharField(max_length=10)
    drivers = models.JSONField()
    function_plan = models.JSONField()
    boutique_fit = models.JSONField()
    ai_readiness = models.JSONField()
    shortlist = models.JSONField()
    driver_groups = models.JSONField(
        null=True,
        blank=True,
        help_text="Engine 2: the drivers grouped around the model (for, against, alternative, notes).",
    )
    confidence_basis = models.JSONField(
        null=True, blank=True, help_text="Engine 2: margin, spread and flips the confidence comes from."
    )
    delivery_groups = models.JSONField(
        null=True, blank=True, help_text="Engine 2: the plan's delivery groups, each with its functions."
    )
    plan_gaps = models.JSONField(
        null=True, blank=True, help_text="Engine 2: functions nobody was named to deliver."
    )
    sensitivity = models.JSONField(
        null=True, blank=True, help_text="Engine 2: answers ranked by how far one step narrows the lead."
    )
    tipping_points = models.JSONField(
        null=True, blank=True, help_text="Engine 2: the smallest answer changes that change the model."
    )
    inputs = models.JSONField(help_text="The answers and context the engine was given.")
    provider_catalog_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["assessment", "-created_at"]
        get_latest_by = "created_at"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(model__in=OutsourcingModel.values),
                name="recommendation_model_valid",
                violation_error_message="Unknown outsourcing model.",
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0, confidence__lte=1),
                name="recommendation_confidence_0_1",
                violation_error_message="Confidence must be between 0 and 1.",
            ),
        ]
        indexes = [models.Index(fields=["assessment", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_model_display()} ({self.engine_version})"

    def save(self, *args, **kwargs):
        # A snapshot is written once; a different result is a new Recommendation.
        if not self._state.adding:
            raise ValueError("Recommendations are immutable; compute a new one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Recommendations are kept for the audit trail and cannot be deleted.")

    @property
    def top_providers(self) -> list[dict]:
        return list(self.shortlist[:3])


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


ACTIVE_REPORT_STATUSES = (ReportStatus.PENDING, ReportStatus.RUNNING)


def report_path(report: "Report", filename: str) -> str:
    return f"reports/{report.created_at:%Y/%m}/{report.pk}.pdf"


@pghistory.track()
class Report(models.Model):
    """A PDF of an assessment's recommendation. Stored privately; downloads are permission-checked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="reports")
    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="reports")
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    failure_reason = models.TextField(blank=True)
    file = models.FileField(upload_to=report_path, blank=True)
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the PDF.")
    size = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_via = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    worker_task = models.CharField(max_length=100, blank=True, help_text="Celery task that holds the job.")
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker started the job."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation"],
                condition=models.Q(status__in=["pending", "running"]),
                name="report_one_active_per_recommendation",
                violation_error_message="A report for this recommendation is already being generated.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ReportStatus.values),
                name="report_status_valid",
                violation_error_message="Unknown report status.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | ~models.Q(checksum=""),
                name="report_ready_has_checksum",
                violation_error_message="A ready report needs its checksum.",
            ),
        ]
        indexes = [models.Index(fields=["assessment", "-created_at"])]

    def __str__(self) -> str:
        return f"Report {self.created_at:%Y-%m-%d} for {self.assessment}"

    @property
    def filename(self) -> str:
        from django.utils.text import slugify

        return f"sourcewise-{slugify(self.assessment.sponsor.name)[:60]}-{self.created_at:%Y%m%d}.pdf"
