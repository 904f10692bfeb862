from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments.models import (
    Assessment,
    Channel,
    Choice,
    Question,
    Questionnaire,
    Recommendation,
    Report,
    ScoringWeight,
    Section,
)
from core.api.fields import VisiblePrimaryKeyRelatedField
from engagements.models import Engagement, Sponsor
from engagements.selectors import engagements_visible_to, sponsors_visible_to


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ["value", "label", "specialised"]


class WeightSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScoringWeight
        fields = ["option", "target", "weight", "rationale", "sentence_low", "sentence_high"]


class QuestionSerializer(serializers.ModelSerializer):
    choices = ChoiceSerializer(many=True, read_only=True)
    weights = WeightSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = [
            "code",
            "label",
            "text",
            "help_text",
            "kind",
            "required",
            "min_value",
            "max_value",
            "show_if",
            "choices",
            "weights",
        ]


class SectionSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Section
        fields = ["title", "description", "position", "questions"]


class QuestionnaireSerializer(serializers.ModelSerializer):
    sections = SectionSerializer(many=True, read_only=True)

    class Meta:
        model = Questionnaire
        fields = ["id", "name", "version", "status", "description", "parameters", "published_at", "sections"]


class QuestionnaireSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Questionnaire
        fields = ["id", "name", "version", "status", "description", "published_at"]


class AssessmentSerializer(serializers.ModelSerializer):
    sponsor = VisiblePrimaryKeyRelatedField(selector=sponsors_visible_to, queryset=Sponsor.objects.all())
    engagement = VisiblePrimaryKeyRelatedField(
        selector=engagements_visible_to, queryset=Engagement.objects.all(), required=False, allow_null=True
    )
    questionnaire = serializers.PrimaryKeyRelatedField(
        queryset=Questionnaire.objects.all(),
        required=False,
        pk_field=serializers.UUIDField(format="hex_verbose"),
        help_text="A published questionnaire; the latest one when omitted.",
    )
    submitted_via = serializers.ChoiceField(choices=Channel.choices, allow_blank=True, read_only=True)
    answers = serializers.SerializerMethodField()
    latest_recommendation = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "sponsor",
            "engagement",
            "questionnaire",
            "title",
            "status",
            "due_date",
            "sent_at",
            "started_at",
            "submitted_at",
            "submitted_via",
            "reviewed_at",
            "review_comment",
            "answers",
            "latest_recommendation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "status",
            "sent_at",
            "started_at",
            "submitted_at",
            "submitted_via",
            "reviewed_at",
            "review_comment",
        ]

    def get_answers(self, obj) -> dict:
        return {answer.question.code: answer.value for answer in obj.answers.all()}

    def get_latest_recommendation(self, obj) -> dict | None:
        latest = max(obj.recommendations.all(), key=lambda r: r.created_at, default=None)
        return (
            {"id": str(latest.pk), "model": latest.model, "created_at": latest.created_at} if latest else None
        )

    def validate(self, attrs):
        if self.instance is not None:
            for field in ("sponsor", "questionnaire"):
                if field in attrs and attrs[field] != getattr(self.instance, field):
                    raise serializers.ValidationError({field: ["Cannot be changed after creation."]})
        return attrs


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="Question code → value (null clears an answer). The whole batch is accepted or none of it.",
    )


class SendSerializer(serializers.Serializer):
    due_date = serializers.DateField(required=False)


class WhatIfSerializer(serializers.Serializer):
    changes = serializers.DictField(
        child=serializers.JSONField(allow_null=True), help_text="Question code → the value to try instead."
    )


# --- The shape of engine 2's snapshot parts, for the schema. The API returns the stored JSON as
# it is (engine 1.0.0 snapshots have null in every engine 2 field); these only describe it.

MODEL_HELP = "An outsourcing model: full_service, fsp or hybrid."


class SnapshotDriverSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="Question code (__balance__: the hybrid balance bonus).")
    label = serializers.CharField(help_text="The question's label.")
    option = serializers.CharField(help_text="The choice or derived feature the weight is on, or empty.")
    target = serializers.CharField(help_text="full_service, fsp, hybrid or boutique.")
    points = serializers.FloatField(help_text="Signed effect on the target's score, one decimal.")
    answer = serializers.CharField(help_text="The answer in words.")
    direction = serializers.CharField(help_text="low, high, yes, no or chosen: which sentence applies.")
    sentence = serializers.CharField(help_text="The explanation for this direction of the answer.")


class AnswerChangeSerializer(serializers.Serializer):
    question = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField(help_text="The whole new answer, as the what-if action takes it.")
    words = serializers.CharField()


class TippingPointSerializer(serializers.Serializer):
    changes = AnswerChangeSerializer(many=True, help_text="One or two one-step answer changes.")
    model = serializers.CharField(help_text="The model these changes would lead to. " + MODEL_HELP)
    label = serializers.CharField()
    lead = serializers.FloatField(help_text="That model's lead over the next, in points.")
    scores = serializers.DictField(child=serializers.FloatField(), help_text="Score per model.")
    sentence = serializers.CharField()


class AlternativeSerializer(serializers.Serializer):
    model = serializers.CharField(help_text="The runner-up. " + MODEL_HELP)
    label = serializers.CharField()
    score = serializers.FloatField()
    margin = serializers.FloatField(help_text="How far it is behind the recommended model, in points.")
    drivers = SnapshotDriverSerializer(many=True, help_text="What speaks for it.")
    tipping_point = TippingPointSerializer(
        allow_null=True, help_text="The smallest change that would tip to it, if one was found."
    )


DriverGroupsSerializer = type(
    "DriverGroupsSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The drivers grouped around the recommended model.",
        "for": SnapshotDriverSerializer(
            many=True, help_text="What raised the recommended model or lowered the runner-up."
        ),
        "against": SnapshotDriverSerializer(
            many=True, help_text="What lowered the recommended model or raised the runner-up."
        ),
        "alternative": AlternativeSerializer(allow_null=True),
        "notes": serializers.ListField(child=serializers.CharField()),
    },
)


class ConfidenceBasisSerializer(serializers.Serializer):
    margin = serializers.FloatField(help_text="The recommended model's lead over the runner-up.")
    spread = serializers.FloatField(help_text="How far one step of a typical answer narrows that lead.")
    flips = serializers.IntegerField(help_text="One-step answer changes that change the model.")
    changes = serializers.IntegerField(help_text="One-step answer changes tried.")
    completeness = serializers.FloatField(help_text="Share of visible questions answered.")
    sentence = serializers.CharField()


class DeliveryGroupSerializer(serializers.Serializer):
    delivery = serializers.CharField(help_text="full_service, fsp, boutique or in_house.")
    label = serializers.CharField()
    functions = serializers.ListField(child=serializers.CharField(), help_text="Function codes.")
    function_names = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()


class PlanGapSerializer(serializers.Serializer):
    function = serializers.CharField()
    function_name = serializers.CharField()
    internal_level = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class SensitivitySerializer(serializers.Serializer):
    question = serializers.CharField()
    label = serializers.CharField()
    answer = serializers.CharField()
    change = serializers.CharField(help_text="The one-step change that narrows the lead most, in words.")
    narrows_by = serializers.FloatField()
    flips = serializers.BooleanField(help_text="Whether that change alone changes the model.")
    model = serializers.CharField(help_text="The model after that change. " + MODEL_HELP)
    sentence = serializers.CharField()


def _snapshot_field(documented, help_text: str):
    """A JSON field returned as stored, described in the schema by `documented` (or null)."""

    @extend_schema_field(documented)
    class SnapshotField(serializers.JSONField):
        pass

    return SnapshotField(read_only=True, allow_null=True, help_text=help_text)


class RecommendationSerializer(serializers.ModelSerializer):
    driver_groups = _snapshot_field(
        DriverGroupsSerializer(allow_null=True), "Engine 2: drivers for, against, and the alternative."
    )
    confidence_basis = _snapshot_field(
        ConfidenceBasisSerializer(allow_null=True), "Engine 2: what the confidence was computed from."
    )
    delivery_groups = _snapshot_field(
        DeliveryGroupSerializer(many=True, allow_null=True), "Engine 2: the plan's delivery groups."
    )
    plan_gaps = _snapshot_field(
        PlanGapSerializer(many=True, allow_null=True), "Engine 2: functions nobody was named to deliver."
    )
    sensitivity = _snapshot_field(
        SensitivitySerializer(many=True, allow_null=True),
        "Engine 2: answers ranked by how far one step narrows the lead.",
    )
    tipping_points = _snapshot_field(
        TippingPointSerializer(many=True, allow_null=True),
        "Engine 2: the smallest answer changes that change the model, best first.",
    )

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "assessment",
            "engine_version",
            "questionnaire_version",
            "model",
            "scores",
            "confidence",
            "confidence_label",
            "drivers",
            "function_plan",
            "boutique_fit",
            "ai_readiness",
            "shortlist",
            "driver_groups",
            "confidence_basis",
            "delivery_groups",
            "plan_gaps",
            "sensitivity",
            "tipping_points",
            "inputs",
            "provider_catalog_fingerprint",
            "created_at",
        ]


class WhatIfResultSerializer(serializers.Serializer):
    changes = serializers.DictField()
    recommendation = serializers.DictField()
    comparison = serializers.DictField()


class ReportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "assessment",
            "recommendation",
            "status",
            "failure_reason",
            "checksum",
            "size",
            "pages",
            "requested_via",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, obj) -> str | None:
        if obj.status != "ready":
            return None
        request = self.context.get("request")
        path = f"/api/v1/reports/{obj.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class ReportRequestSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        default=False,
        help_text="Generate again even if a ready report of this recommendation exists (staff).",
    )
