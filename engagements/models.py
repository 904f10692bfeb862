import uuid
from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.audit_tracking import audited_proxy
from core.history import history_user
from providers.models import ClinicalFunction, OutsourcingModel, Provider, Region, TherapeuticArea


class SponsorProfile(models.TextChoices):
    EMERGING_BIOTECH = "emerging_biotech", "Emerging biotech"
    MID_SIZE_PHARMA = "mid_size_pharma", "Mid-size pharma"
    LARGE_PHARMA = "large_pharma", "Large pharma"
    MEDICAL_DEVICE = "medical_device", "Medical device"
    ACADEMIC_NONPROFIT = "academic_nonprofit", "Academic / non-profit"


class SponsorStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    CLIENT = "client", "Client"
    DORMANT = "dormant", "Dormant"


class CapabilityLevel(models.IntegerChoices):
    NONE = 0, "None"
    LIMITED = 1, "Limited"
    ESTABLISHED = 2, "Established"
    STRONG = 3, "Strong"


@pghistory.track(exclude=["search_vector"])
class Sponsor(models.Model):
    """A biotech, pharma, device or academic organisation whose programs we help outsource."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    profile = models.CharField(max_length=30, choices=SponsorProfile.choices)
    status = models.CharField(max_length=20, choices=SponsorStatus.choices, default=SponsorStatus.PROSPECT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_sponsors",
        limit_choices_to={"is_staff": True},
        help_text="The account manager who owns the relationship.",
    )
    headquarters = models.CharField(max_length=120, blank=True)
    website = models.URLField(blank=True)
    therapeutic_areas = models.ManyToManyField(TherapeuticArea, blank=True, related_name="sponsors")
    regions = models.ManyToManyField(Region, blank=True, related_name="sponsors")
    notes = models.TextField(blank=True)
    require_two_factor = models.BooleanField(
        default=False, help_text="Portal members must use an authenticator app (TOTP) to sign in."
    )
    # Kept up to date by a database trigger on PostgreSQL (engagements migration 0006).
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(get_user=history_user, excluded_fields=["search_vector"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(profile__in=SponsorProfile.values),
                name="sponsor_profile_valid",
                violation_error_message="Unknown sponsor profile.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SponsorStatus.values),
                name="sponsor_status_valid",
                violation_error_message="Unknown sponsor status.",
            ),
        ]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class SponsorCapability(models.Model):
    """How well the sponsor covers one clinical function in-house (0 none … 3 strong)."""

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="capabilities")
    function = models.ForeignKey(ClinicalFunction, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(
        choices=CapabilityLevel.choices, validators=[MaxValueValidator(3)]
    )

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["function__position"]
        verbose_name = "internal capability"
        verbose_name_plural = "internal capabilities"
        constraints = [
            models.UniqueConstraint(
                fields=["sponsor", "function"],
                name="sponsor_capability_unique",
                violation_error_message="This function is already rated for the sponsor.",
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=0, level__lte=3),
                name="sponsor_capability_level_0_3",
                violation_error_message="Internal capability must be between 0 (none) and 3 (strong).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.function_id}: {self.get_level_display()}"


@pghistory.track()
class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    is_primary = models.BooleanField(default=False, help_text="Main point of contact at the sponsor.")
    receives_reminders = models.BooleanField(
        default=True, help_text="Receives assessment reminders and report notifications."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["sponsor", "email"],
                name="contact_unique_email_per_sponsor",
                violation_error_message="This sponsor already has a contact with that e-mail address.",
            ),
            models.UniqueConstraint(
                fields=["sponsor"],
                condition=models.Q(is_primary=True),
                name="contact_one_primary_per_sponsor",
                violation_error_message="The sponsor already has a primary contact.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class MembershipRole(models.TextChoices):
    ADMIN = "admin", "Sponsor administrator"
    CONTRIBUTOR = "contributor", "Contributor (answers assessments)"
    VIEWER = "viewer", "Viewer (read only)"


@pghistory.track()
class SponsorMembership(models.Model):
    """Gives a portal user access to one sponsor's data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=MembershipRole.choices, default=MembershipRole.CONTRIBUTOR)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["sponsor__name", "user__email"]
        verbose_name = "portal member"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "sponsor"],
                name="membership_unique",
                violation_error_message="This person is already a member of the sponsor.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=MembershipRole.values),
                name="membership_role_valid",
                violation_error_message="Unknown membership role.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.sponsor}"

    @property
    def can_answer(self) -> bool:
        return self.role in (MembershipRole.ADMIN, MembershipRole.CONTRIBUTOR)


class Stage(models.TextChoices):
    LEAD = "lead", "Lead"
    QUALIFICATION = "qualification", "Qualification"
    ASSESSMENT = "assessment", "Assessment"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    LOST = "lost", "Lost"


class Phase(models.TextChoices):
    PRECLINICAL = "preclinical", "Pre-clinical / IND-enabling"
    PHASE_1 = "phase_1", "Phase I"
    PHASE_2 = "phase_2", "Phase II"
    PHASE_3 = "phase_3", "Phase III"
    PHASE_4 = "phase_4", "Phase IV / post-marketing"
    DEVICE_FEASIBILITY = "device_feasibility", "Device feasibility"
    DEVICE_PIVOTAL = "device_pivotal", "Device pivotal"
    OBSERVATIONAL = "observational", "Observational / RWE"


@pghistory.track(exclude=["search_vector"])
class Engagement(models.Model):
    """A sponsor's program or study moving through our pipeline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="engagements")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.LEAD)
    stage_entered_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    outsourcing_model = models.CharField(
        max_length=20,
        choices=OutsourcingModel.choices,
        blank=True,
        help_text="The model chosen for delivery.",
    )
    phase = models.CharField(max_length=30, choices=Phase.choices, blank=True)
    therapeutic_area = models.ForeignKey(
        TherapeuticArea, on_delete=models.PROTECT, null=True, blank=True, related_name="engagements"
    )
    regions = models.ManyToManyField(Region, blank=True, related_name="engagements")
    functions = models.ManyToManyField(
        ClinicalFunction, blank=True, related_name="engagements", verbose_name="functions in scope"
    )
    providers = models.ManyToManyField(
        Provider, through="EngagementProvider", blank=True, related_name="engagements"
    )
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Expected contract value.",
    )
    currency = models.CharField(max_length=3, default="EUR")
    probability = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(100)],
        help_text="Likelihood of winning, in percent.",
    )
    expected_close_date = models.DateField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_engagements",
        limit_choices_to={"is_staff": True},
    )
    # Kept up to date by a database trigger on PostgreSQL (engagements migration 0006).
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(get_user=history_user, excluded_fields=["last_activity_at", "search_vector"])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stage__in=Stage.values),
                name="engagement_stage_valid",
                violation_error_message="Unknown stage.",
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0),
                name="engagement_value_not_negative",
                violation_error_message="The value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=100),
                name="engagement_probability_0_100",
                violation_error_message="Probability must be between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="engagement_dates_ordered",
                violation_error_message="The end date cannot be before the start date.",
            ),
            models.CheckConstraint(
                condition=models.Q(outsourcing_model="")
                | models.Q(outsourcing_model__in=OutsourcingModel.values),
                name="engagement_model_valid",
                violation_error_message="Unknown outsourcing model.",
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "stage_entered_at"]),
            models.Index(fields=["owner", "stage"]),
            models.Index(fields=["sponsor", "-created_at"]),
            models.Index(fields=["-created_at", "id"], name="engagement_created_id"),
            # the pipeline filter (?stage=) in the API's cursor order
            models.Index(fields=["stage", "-created_at", "-id"], name="engagement_stage_created_id"),
        ]

    def __str__(self) -> str:
        return self.name


class ProviderRole(models.TextChoices):
    LEAD = "lead", "Lead provider"
    FUNCTIONAL = "functional", "Functional provider"
    SPECIALIST = "specialist", "Specialist / boutique"
    CANDIDATE = "candidate", "Candidate (under evaluation)"


@pghistory.track()
class EngagementProvider(models.Model):
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="provider_links")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="engagement_links")
    role = models.CharField(max_length=20, choices=ProviderRole.choices, default=ProviderRole.CANDIDATE)
    functions = models.ManyToManyField(ClinicalFunction, blank=True, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = "provider involved"
        verbose_name_plural = "providers involved"
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "provider"],
                name="engagement_provider_unique",
                violation_error_message="This provider is already part of the engagement.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} ({self.get_role_display()})"


@pghistory.track()
class StageTransition(models.Model):
    """One move of an engagement through the pipeline: the stage history."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="transitions")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["engagement", "at", "id"]
        indexes = [models.Index(fields=["engagement", "at"])]

    def __str__(self) -> str:
        return f"{self.from_stage or '—'} → {self.to_stage}"


class ActivityKind(models.TextChoices):
    NOTE = "note", "Note"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "E-mail"


@pghistory.track()
class Activity(models.Model):
    """Something that happened with the sponsor on an engagement: the timeline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=10, choices=ActivityKind.choices, default=ActivityKind.NOTE)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ActivityKind.values),
                name="activity_kind_valid",
                violation_error_message="Unknown activity kind.",
            )
        ]
        indexes = [
            models.Index(fields=["engagement", "-occurred_at"]),
            # the API's cursor order: without it a page of 3 million activities sorts them all
            models.Index(fields=["-created_at", "-id"], name="activity_created_id"),
            # the admin changelist's order (Meta.ordering plus the primary key Django adds)
            models.Index(fields=["-occurred_at", "-id"], name="activity_occurred_id"),
        ]

    def __str__(self) -> str:
        return self.subject


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


@pghistory.track()
class FollowUp(models.Model):
    """A dated to-do for an account manager, optionally created by an automation rule."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="follow_ups")
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, null=True, blank=True, related_name="follow_ups"
    )
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    due_at = models.DateTimeField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        limit_choices_to={"is_staff": True},
    )
    status = models.CharField(max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the due reminder was sent (set once, by the sender)."
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    rule = models.CharField(
        max_length=120, blank=True, help_text="Automation rule and subject that created it, if any."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["due_at"]
        verbose_name = "follow-up"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=FollowUpStatus.values),
                name="follow_up_status_valid",
                violation_error_message="Unknown follow-up status.",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", completed_at__isnull=True)
                | (~models.Q(status="open") & models.Q(completed_at__isnull=False)),
                name="follow_up_completed_at_matches_status",
                violation_error_message="A closed follow-up needs a completion time; an open one has none.",
            ),
            models.UniqueConstraint(
                fields=["rule"],
                condition=~models.Q(rule="") & models.Q(status="open"),
                name="follow_up_one_open_per_rule",
                violation_error_message="An open follow-up already exists for this rule.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["assignee", "status", "due_at"]),
            # the API's cursor order, alone and under the usual status filter
            models.Index(fields=["-created_at", "-id"], name="followup_created_id"),
            models.Index(fields=["status", "-created_at", "-id"], name="followup_status_created_id"),
            # the admin changelist's order (Meta.ordering plus the primary key Django adds)
            models.Index(fields=["due_at", "-id"], name="followup_due_id"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == FollowUpStatus.OPEN and self.due_at < timezone.now()


@pghistory.track()
class AutomationPolicy(models.Model):
    """When the follow-up rules fire. One row, edited by staff in the admin."""

    assessment_reminder_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Remind the sponsor's contacts, and open a follow-up for the owner, when a sent "
        "assessment is not submitted after this many days.",
    )
    review_reminder_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Open a follow-up for the owner when a submitted assessment is not reviewed "
        "after this many days.",
    )
    follow_up_due_in_days = models.PositiveSmallIntegerField(
        default=1,
        validators=[MaxValueValidator(30)],
        help_text="Follow-ups the rules create are due this many days later.",
    )

    class Meta:
        verbose_name = "automation policy"
        verbose_name_plural = "automation policy"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="automation_policy_singleton")]

    def __str__(self) -> str:
        return "Follow-up automation"

    @classmethod
    def current(cls) -> "AutomationPolicy":
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


@pghistory.track()
class StageLimit(models.Model):
    """How long an engagement may stay in a stage without activity before the owner is nudged."""

    policy = models.ForeignKey(AutomationPolicy, on_delete=models.CASCADE, related_name="stage_limits")
    stage = models.CharField(max_length=20, choices=Stage.choices, unique=True)
    days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(365)])

    class Meta:
        ordering = ["policy", "stage"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(days__gte=1, days__lte=365),
                name="stage_limit_days_1_365",
                violation_error_message="A stage limit must be between 1 and 365 days.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.days} days"


# Many-to-many relations carry regulated content too: each link added or removed is an event.
SponsorTherapeuticAreaLink = audited_proxy(
    Sponsor.therapeutic_areas.through,
    "SponsorTherapeuticAreaLink",
    module=__name__,
    event_name="SponsorTherapeuticAreaEvent",
    verbose_name="sponsor's therapeutic area",
)
SponsorRegionLink = audited_proxy(
    Sponsor.regions.through,
    "SponsorRegionLink",
    module=__name__,
    event_name="SponsorRegionEvent",
    verbose_name="sponsor's region",
)
EngagementRegionLink = audited_proxy(
    Engagement.regions.through,
    "EngagementRegionLink",
    module=__name__,
    event_name="EngagementRegionEvent",
    verbose_name="engagement's region",
)
EngagementFunctionLink = audited_proxy(
    Engagement.functions.through,
    "EngagementFunctionLink",
    module=__name__,
    event_name="EngagementFunctionEvent",
    verbose_name="engagement's function in scope",
)
EngagementProviderFunctionLink = audited_proxy(
    EngagementProvider.functions.through,
    "EngagementProviderFunctionLink",
    module=__name__,
    event_name="EngagementProviderFunctionEvent",
    verbose_name="involved provider's function",
)
