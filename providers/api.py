"""Providers, their capabilities and expertise, and the reference catalogs, under /api/v1/."""

import django_filters
from django.db.models import OuterRef, Prefetch
from rest_framework import routers, serializers, viewsets

from core.api import lean
from core.api.fields import CodeListField
from core.api.pagination import IdCursorPagination, NamedCursorPagination
from core.api.views import ScopedModelViewSet, ScopedViewSetMixin
from providers.models import (
    AICapability,
    Capability,
    ClinicalFunction,
    OutsourcingModel,
    Provider,
    ProviderKind,
    Region,
    TherapeuticArea,
    TherapeuticExpertise,
)

READ = frozenset({"list", "retrieve"})


class CatalogSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    position = serializers.IntegerField(read_only=True)


class FlaggedCatalogSerializer(CatalogSerializer):
    specialised = serializers.BooleanField(read_only=True)


def catalog_viewset(model, serializer_class, label):
    class CatalogViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
        __doc__ = f"{label} (read-only reference data, addressed by code)."
        serializer_class_ = serializer_class
        lookup_field = "code"
        lookup_value_regex = "[a-z][a-z0-9_]*"
        pagination_class = None
        sponsor_actions = READ
        search_fields = ["code", "name"]
        ordering_fields = ["position", "name", "code"]
        filterset_fields: list[str] = []

        def get_serializer_class(self):
            return serializer_class

        def visible_queryset(self, actor):
            return model.objects.order_by("position", "name")

    CatalogViewSet.__name__ = f"{model.__name__}ViewSet"
    return CatalogViewSet


class CapabilityInlineSerializer(serializers.ModelSerializer):
    function = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Capability
        fields = ["id", "function", "depth", "capacity_fte", "notes"]


class ExpertiseInlineSerializer(serializers.ModelSerializer):
    therapeutic_area = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TherapeuticExpertise
        fields = ["id", "therapeutic_area", "depth"]


class ProviderSerializer(serializers.ModelSerializer):
    regions = CodeListField(Region, required=False)
    ai_capabilities = CodeListField(AICapability, required=False)
    certifications = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=30
    )
    engagement_models = serializers.ListField(
        child=serializers.ChoiceField(choices=OutsourcingModel.choices), required=False, max_length=3
    )
    capabilities = CapabilityInlineSerializer(many=True, read_only=True)
    expertise = ExpertiseInlineSerializer(many=True, read_only=True)

    class Meta:
        model = Provider
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "headquarters",
            "website",
            "regions",
            "ai_capabilities",
            "senior_access",
            "data_governance_maturity",
            "certifications",
            "engagement_models",
            "is_active",
            "capabilities",
            "expertise",
            "created_at",
            "updated_at",
        ]

    def validate_engagement_models(self, value):
        return list(dict.fromkeys(value))


class ProviderFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ProviderKind.choices)
    region = django_filters.CharFilter(field_name="regions__code", distinct=True)
    function = django_filters.CharFilter(field_name="capabilities__function_id", distinct=True)
    min_depth = django_filters.NumberFilter(
        field_name="capabilities__depth", lookup_expr="gte", distinct=True
    )

    class Meta:
        model = Provider
        fields = ["kind", "is_active", "region", "function"]


class ProviderViewSet(lean.LeanListMixin, ScopedModelViewSet):
    """Providers with their capabilities (depth 1–5, capacity) and therapeutic expertise."""

    serializer_class = ProviderSerializer
    sponsor_actions = READ
    filterset_class = ProviderFilter
    search_fields = ["name", "headquarters"]
    ordering_fields = ["name", "created_at", "senior_access", "data_governance_maturity"]
    pagination_class = NamedCursorPagination

    def visible_queryset(self, actor):
        # Capabilities and expertise with their catalog rows joined: the same number of
        # statements whether a provider has any or not.
        return Provider.objects.prefetch_related(
            "regions",
            "ai_capabilities",
            Prefetch("capabilities", queryset=Capability.objects.select_related("function")),
            Prefetch("expertise", queryset=TherapeuticExpertise.objects.select_related("therapeutic_area")),
        )

    lean_columns = (
        "id",
        "name",
        "kind",
        "description",
        "headquarters",
        "website",
        "senior_access",
        "data_governance_maturity",
        "certifications",
        "engagement_models",
        "is_active",
        "created_at",
        "updated_at",
    )

    def lean_arrays(self):
        return {
            "region_codes": lean.code_array(Provider.regions),
            "ai_codes": lean.code_array(Provider.ai_capabilities),
            "capability_list": lean.object_array(
                Capability.objects.filter(provider=OuterRef("pk")).order_by(
                    "function__position", "function__name"
                ),
                id="id",
                function="function_id",
                depth="depth",
                capacity_fte="capacity_fte",
                notes="notes",
            ),
            "expertise_list": lean.object_array(
                TherapeuticExpertise.objects.filter(provider=OuterRef("pk")).order_by(
                    "therapeutic_area__position", "therapeutic_area__name"
                ),
                id="id",
                therapeutic_area="therapeutic_area_id",
                depth="depth",
            ),
        }

    def lean_rows(self, rows):
        return [
            {
                "id": row["id"],
                "name": row["name"],
                "kind": row["kind"],
                "description": row["description"],
                "headquarters": row["headquarters"],
                "website": row["website"],
                "regions": row["region_codes"],
                "ai_capabilities": row["ai_codes"],
                "senior_access": row["senior_access"],
                "data_governance_maturity": row["data_governance_maturity"],
                "certifications": row["certifications"],
                "engagement_models": row["engagement_models"],
                "is_active": row["is_active"],
                "capabilities": row["capability_list"],
                "expertise": row["expertise_list"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
            }
            for row in rows
        ]


class CapabilitySerializer(serializers.ModelSerializer):
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.all())
    function = serializers.SlugRelatedField(slug_field="code", queryset=ClinicalFunction.objects.all())

    class Meta:
        model = Capability
        fields = ["id", "provider", "function", "depth", "capacity_fte", "notes"]


class CapabilityViewSet(ScopedModelViewSet):
    """One provider's depth and capacity in one clinical function."""

    serializer_class = CapabilitySerializer
    sponsor_actions = READ
    filterset_fields = ["provider", "function", "depth"]
    ordering_fields = ["depth", "capacity_fte"]
    pagination_class = IdCursorPagination

    def visible_queryset(self, actor):
        return Capability.objects.select_related("function")


class ExpertiseSerializer(serializers.ModelSerializer):
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.all())
    therapeutic_area = serializers.SlugRelatedField(slug_field="code", queryset=TherapeuticArea.objects.all())

    class Meta:
        model = TherapeuticExpertise
        fields = ["id", "provider", "therapeutic_area", "depth"]


class ExpertiseViewSet(ScopedModelViewSet):
    """One provider's depth of expertise in one therapeutic area."""

    serializer_class = ExpertiseSerializer
    sponsor_actions = READ
    filterset_fields = ["provider", "therapeutic_area", "depth"]
    pagination_class = IdCursorPagination

    def visible_queryset(self, actor):
        return TherapeuticExpertise.objects.select_related("therapeutic_area")


router = routers.SimpleRouter()
router.register("providers", ProviderViewSet, basename="provider")
router.register("capabilities", CapabilityViewSet, basename="capability")
router.register("therapeutic-expertise", ExpertiseViewSet, basename="therapeutic-expertise")
router.register(
    "catalogs/functions",
    catalog_viewset(ClinicalFunction, FlaggedCatalogSerializer, "Clinical functions"),
    "function",
)
router.register(
    "catalogs/therapeutic-areas",
    catalog_viewset(TherapeuticArea, FlaggedCatalogSerializer, "Therapeutic areas"),
    "therapeutic-area",
)
router.register("catalogs/regions", catalog_viewset(Region, CatalogSerializer, "Regions"), "region")
router.register(
    "catalogs/ai-capabilities",
    catalog_viewset(AICapability, CatalogSerializer, "AI capabilities"),
    "ai-capability",
)
