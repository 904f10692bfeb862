import uuid

import pghistory
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

from core.audit_tracking import audited_proxy
from core.history import history_user

CODE_VALIDATOR = RegexValidator(
    r"^[a-z][a-z0-9_]*$", "Use lowercase letters, digits and underscores, starting with a letter."
)


class OutsourcingModel(models.TextChoices):
    """The outsourcing models Sourcewise recommends and engagements are run under."""

    FULL_SERVICE = "full_service", "Full-service CRO"
    FSP = "fsp", "Functional service provider (FSP)"
    HYBRID = "hybrid", "Hybrid"


class ProviderKind(models.TextChoices):
    FULL_SERVICE_CRO = "full_service_cro", "Full-service CRO"
    FSP = "fsp", "Functional service provider"
    BOUTIQUE_CRO = "boutique_cro", "Boutique CRO"


class CatalogEntry(models.Model):
    """A reference catalog entry, addressed everywhere by its stable lowercase code."""

    code = models.CharField(max_length=50, primary_key=True, validators=[CODE_VALIDATOR])
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in lists and forms.")

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class ClinicalFunction(CatalogEntry):
    specialised = models.BooleanField(
        default=False,
        help_text="Specialist work where a boutique provider's depth often beats a generalist's.",
    )

    class Meta(CatalogEntry.Meta):
        verbose_name = "function"


@pghistory.track()
class TherapeuticArea(CatalogEntry):
    specialised = models.BooleanField(
        default=False,
        help_text="Needs highly specialised knowledge (e.g. oncology, rare diseases).",
    )

    class Meta(CatalogEntry.Meta):
        pass


@pghistory.track()
class Region(CatalogEntry):
    class Meta(CatalogEntry.Meta):
        pass


@pghistory.track()
class AICapability(CatalogEntry):
    class Meta(CatalogEntry.Meta):
        verbose_name = "AI capability"
        verbose_name_plural = "AI capabilities"


def _level_field(help_text: str, *, default: int = 3) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        default=default,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=help_text,
    )


@pghistory.track()
class Provider(models.Model):
    """A company that can deliver clinical functions: a full-service CRO, an FSP or a boutique."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=ProviderKind.choices)
    description = models.TextField(blank=True)
    headquarters = models.CharField(max_length=120, blank=True, help_text="City and country.")
    website = models.URLField(blank=True)
    regions = models.ManyToManyField(Region, blank=True, related_name="providers")
    ai_capabilities = models.ManyToManyField(AICapability, blank=True, related_name="providers")
    senior_access = _level_field("Access to senior leadership, 1 (rare) to 5 (named executive sponsor).")
    data_governance_maturity = _level_field("Data-governance maturity, 1 (ad hoc) to 5 (audited, certified).")
    certifications = models.JSONField(
        default=list, blank=True, help_text="e.g. ISO 9001, ISO 27001, SOC 2 Type II."
    )
    engagement_models = models.JSONField(
        default=list, blank=True, help_text="Outsourcing models this provider offers."
    )
    is_active = models.BooleanField(default=True, help_text="Only active providers are shortlisted.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(senior_access__gte=1, senior_access__lte=5),
                name="provider_senior_access_1_5",
                violation_error_message="Senior access must be between 1 and 5.",
            ),
            models.CheckConstraint(
                condition=models.Q(data_governance_maturity__gte=1, data_governance_maturity__lte=5),
                name="provider_data_governance_1_5",
                violation_error_message="Data-governance maturity must be between 1 and 5.",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ProviderKind.values),
                name="provider_kind_valid",
                violation_error_message="Unknown provider kind.",
            ),
        ]
        indexes = [models.Index(fields=["kind", "is_active"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = sorted(set(self.engagement_models or []) - set(OutsourcingModel.values))
        if unknown:
            raise ValidationError({"engagement_models": f"Unknown outsourcing model: {', '.join(unknown)}."})
        if not isinstance(self.certifications, list) or not all(
            isinstance(item, str) for item in self.certifications
        ):
            raise ValidationError({"certifications": "Certifications must be a list of names."})


@pghistory.track()
class Capability(models.Model):
    """What a provider can deliver for one clinical function: depth of expertise and capacity."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="capabilities")
    function = models.ForeignKey(ClinicalFunction, on_delete=models.PROTECT, related_name="capabilities")
    depth = _level_field("Depth of expertise, 1 (basic) to 5 (market-leading).")
    capacity_fte = models.PositiveIntegerField(default=0, help_text="Deployable capacity in FTEs.")
    notes = models.CharField(max_length=255, blank=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["provider__name", "function__position"]
        verbose_name_plural = "capabilities"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "function"],
                name="capability_unique_per_function",
                violation_error_message="This provider already has a capability for that function.",
            ),
            models.CheckConstraint(
                condition=models.Q(depth__gte=1, depth__lte=5),
                name="capability_depth_1_5",
                violation_error_message="Depth must be between 1 and 5.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.function_id} (depth {self.depth})"


@pghistory.track()
class TherapeuticExpertise(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="expertise")
    therapeutic_area = models.ForeignKey(TherapeuticArea, on_delete=models.PROTECT, related_name="expertise")
    depth = _level_field("Depth of therapeutic expertise, 1 (basic) to 5 (leading).")

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["provider__name", "therapeutic_area__position"]
        verbose_name_plural = "therapeutic expertise"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "therapeutic_area"],
                name="expertise_unique_per_area",
                violation_error_message="This provider already has expertise recorded for that area.",
            ),
            models.CheckConstraint(
                condition=models.Q(depth__gte=1, depth__lte=5),
                name="expertise_depth_1_5",
                violation_error_message="Depth must be between 1 and 5.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapeutic_area_id} (depth {self.depth})"


# Which regions a provider serves and which AI capabilities it offers drive the shortlist.
ProviderRegionLink = audited_proxy(
    Provider.regions.through,
    "ProviderRegionLink",
    module=__name__,
    event_name="ProviderRegionEvent",
    verbose_name="provider's region",
)
ProviderAICapabilityLink = audited_proxy(
    Provider.ai_capabilities.through,
    "ProviderAICapabilityLink",
    module=__name__,
    event_name="ProviderAICapabilityEvent",
    verbose_name="provider's AI capability",
)
