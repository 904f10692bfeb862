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
        fields = ["option", "target", "weight", "rationale"]


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


class RecommendationSerializer(serializers.ModelSerializer):
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
