"""Electronic signatures, read-only: a person signs in the admin with their password and second
factor (core/signatures.py); integrators read who signed what, when, meaning what, and whether the
signature still applies to the record as it is now."""

from django.db.models import CharField
from django.db.models.functions import Cast
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import routers, serializers

from core import signatures
from core.api.pagination import StableCursorPagination
from core.api.views import ScopedReadOnlyViewSet
from core.models import Signature, SignatureMeaning

RECORD_TYPES = {
    "recommendation": "assessments.recommendation",
    "questionnaire": "assessments.questionnaire",
    "audit_review": "core.auditreview",
}


class SignatureSerializer(serializers.ModelSerializer):
    meaning = serializers.ChoiceField(choices=SignatureMeaning.choices)
    record_type = serializers.SerializerMethodField()
    applies_to_current_version = serializers.SerializerMethodField(
        help_text="False when the record changed after it was signed: the signature covers the "
        "earlier version."
    )

    class Meta:
        model = Signature
        fields = [
            "id",
            "printed_name",
            "meaning",
            "comment",
            "signed_at",
            "record_type",
            "record_id",
            "record_label",
            "record_hash",
            "applies_to_current_version",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=list(RECORD_TYPES)))
    def get_record_type(self, signature) -> str:
        label = f"{signature.record_type.app_label}.{signature.record_type.model}"
        return next((name for name, value in RECORD_TYPES.items() if value == label), label)

    def get_applies_to_current_version(self, signature) -> bool:
        # One fingerprint per record on the page, not one per signature.
        cache = self.context.setdefault("_fingerprints", {})
        key = (signature.record_type_id, signature.record_id)
        if key not in cache:
            record = signature.record_type.model_class().objects.filter(pk=signature.record_id).first()
            cache[key] = signatures.fingerprint(record) if record is not None else None
        return cache[key] == signature.record_hash


class SignatureFilter(filters.FilterSet):
    record_type = filters.ChoiceFilter(choices=[(name, name) for name in RECORD_TYPES], method="by_type")
    record_id = filters.CharFilter(max_length=64)
    meaning = filters.ChoiceFilter(choices=SignatureMeaning.choices)

    class Meta:
        model = Signature
        fields = ["record_type", "record_id", "meaning"]

    def by_type(self, queryset, name, value):
        app_label, model = RECORD_TYPES[value].split(".")
        return queryset.filter(record_type__app_label=app_label, record_type__model=model)


class SignedAtCursorPagination(StableCursorPagination):
    ordering = ("-signed_at", "-id")


class SignatureViewSet(ScopedReadOnlyViewSet):
    """Electronic signatures on recommendations (reviewed, approved), questionnaires (published)
    and audit-trail reviews. Read-only: signing is done by a person, in the admin."""

    queryset = Signature.objects.none()  # for the schema; requests use visible_queryset
    serializer_class = SignatureSerializer
    pagination_class = SignedAtCursorPagination
    filterset_class = SignatureFilter
    ordering_fields = ["signed_at"]
    sponsor_actions = frozenset({"list", "retrieve"})

    def visible_queryset(self, actor):
        queryset = Signature.objects.select_related("record_type")
        if actor.is_staff:
            return queryset
        from assessments.selectors import recommendations_visible_to

        visible = (
            recommendations_visible_to(actor).annotate(text_id=Cast("pk", CharField())).values("text_id")
        )
        return queryset.filter(
            record_type__app_label="assessments", record_type__model="recommendation", record_id__in=visible
        )

    def sponsor_id_of(self, obj):
        return None


router = routers.SimpleRouter()
router.register("signatures", SignatureViewSet, basename="signatures")
