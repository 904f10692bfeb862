from django.db import transaction
from rest_framework import serializers

from core.api.fields import CodeListField, StaffEmailField, VisiblePrimaryKeyRelatedField
from engagements import services
from engagements.models import (
    Activity,
    Contact,
    Engagement,
    EngagementProvider,
    FollowUp,
    ProviderRole,
    Sponsor,
)
from engagements.selectors import engagements_visible_to, sponsors_visible_to, sponsors_writable_by
from providers.models import ClinicalFunction, Provider, Region, TherapeuticArea


def _codes(model, **kwargs):
    return serializers.SlugRelatedField(slug_field="code", queryset=model.objects.all(), **kwargs)


class SponsorSerializer(serializers.ModelSerializer):
    owner = StaffEmailField(required=False)
    therapeutic_areas = CodeListField(TherapeuticArea, required=False)
    regions = CodeListField(Region, required=False)
    internal_capabilities = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=3),
        required=False,
        help_text="Function code → in-house capability: 0 none, 1 limited, 2 established, 3 strong.",
    )

    class Meta:
        model = Sponsor
        fields = [
            "id",
            "name",
            "profile",
            "status",
            "owner",
            "headquarters",
            "website",
            "therapeutic_areas",
            "regions",
            "internal_capabilities",
            "notes",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["internal_capabilities"] = {c.function_id: c.level for c in instance.capabilities.all()}
        request = self.context.get("request")
        if request is not None and not request.user.is_staff:
            data.pop("notes", None)  # account managers' private notes
        return data

    def validate_internal_capabilities(self, value):
        unknown = sorted(set(value) - set(ClinicalFunction.objects.values_list("code", flat=True)))
        if unknown:
            raise serializers.ValidationError(f"Unknown function code(s): {', '.join(unknown)}.")
        return value

    @transaction.atomic
    def create(self, validated_data):
        levels = validated_data.pop("internal_capabilities", None)
        validated_data.setdefault(
            "owner", self.context["request"].user if self.context["request"].user.pk else None
        )
        if validated_data.get("owner") is None:
            raise serializers.ValidationError({"owner": ["An owner (account manager e-mail) is required."]})
        sponsor = super().create(validated_data)
        if levels:
            services.set_internal_capabilities(sponsor=sponsor, levels=levels)
        return sponsor

    @transaction.atomic
    def update(self, instance, validated_data):
        levels = validated_data.pop("internal_capabilities", None)
        sponsor = super().update(instance, validated_data)
        if levels is not None:
            services.set_internal_capabilities(sponsor=sponsor, levels=levels)
        return sponsor


class ContactSerializer(serializers.ModelSerializer):
    sponsor = VisiblePrimaryKeyRelatedField(
        selector=sponsors_visible_to, write_selector=sponsors_writable_by, queryset=Sponsor.objects.all()
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "sponsor",
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "is_primary",
            "receives_reminders",
            "created_at",
        ]

    def validate(self, attrs):
        if self.instance is not None and "sponsor" in attrs and attrs["sponsor"] != self.instance.sponsor:
            raise serializers.ValidationError({"sponsor": ["A contact cannot move to another sponsor."]})
        return attrs


class EngagementProviderSerializer(serializers.ModelSerializer):
    provider = serializers.PrimaryKeyRelatedField(
        queryset=Provider.objects.all(), pk_field=serializers.UUIDField(format="hex_verbose")
    )
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    role = serializers.ChoiceField(choices=ProviderRole.choices, default=ProviderRole.CANDIDATE)
    functions = CodeListField(ClinicalFunction, required=False)

    class Meta:
        model = EngagementProvider
        fields = ["provider", "provider_name", "role", "functions"]


class EngagementSerializer(serializers.ModelSerializer):
    sponsor = VisiblePrimaryKeyRelatedField(selector=sponsors_visible_to, queryset=Sponsor.objects.all())
    owner = StaffEmailField(required=False)
    therapeutic_area = _codes(TherapeuticArea, required=False, allow_null=True)
    regions = CodeListField(Region, required=False)
    functions = CodeListField(ClinicalFunction, required=False)
    providers = EngagementProviderSerializer(many=True, required=False, source="provider_links")

    class Meta:
        model = Engagement
        fields = [
            "id",
            "sponsor",
            "name",
            "description",
            "stage",
            "stage_entered_at",
            "last_activity_at",
            "outsourcing_model",
            "phase",
            "therapeutic_area",
            "regions",
            "functions",
            "providers",
            "value",
            "currency",
            "probability",
            "expected_close_date",
            "start_date",
            "end_date",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["stage_entered_at", "last_activity_at"]
        extra_kwargs = {"stage": {"help_text": "Set on creation; afterwards use the transition action."}}

    def validate(self, attrs):
        if self.instance is not None and "stage" in attrs and attrs["stage"] != self.instance.stage:
            raise serializers.ValidationError(
                {"stage": ["Change the stage with POST …/transition/ so the move is checked and recorded."]}
            )
        if self.instance is not None and "sponsor" in attrs and attrs["sponsor"] != self.instance.sponsor:
            raise serializers.ValidationError({"sponsor": ["An engagement cannot move to another sponsor."]})
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": ["The end date cannot be before the start date."]})
        links = attrs.get("provider_links") or []
        if len({link["provider"].pk for link in links}) != len(links):
            raise serializers.ValidationError({"providers": ["Each provider may appear only once."]})
        return attrs

    def create(self, validated_data):
        request = self.context["request"]
        validated_data.setdefault("owner", validated_data["sponsor"].owner)
        return services.create_engagement(by=request.user if request.user.pk else None, **validated_data)

    @transaction.atomic
    def update(self, instance, validated_data):
        links = validated_data.pop("provider_links", None)
        engagement = super().update(instance, validated_data)
        if links is not None:
            services.set_engagement_providers(engagement=engagement, links=links)
        return engagement


class TransitionSerializer(serializers.Serializer):
    stage = serializers.CharField(help_text="The stage to move to.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class StageStaySerializer(serializers.Serializer):
    stage = serializers.CharField()
    entered_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField()
    by = serializers.CharField(allow_null=True)


class ActivitySerializer(serializers.ModelSerializer):
    engagement = VisiblePrimaryKeyRelatedField(
        selector=engagements_visible_to, queryset=Engagement.objects.all()
    )
    by = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = Activity
        fields = ["id", "engagement", "kind", "subject", "body", "occurred_at", "by", "created_at"]

    def validate(self, attrs):
        if (
            self.instance is not None
            and "engagement" in attrs
            and attrs["engagement"] != self.instance.engagement
        ):
            raise serializers.ValidationError(
                {"engagement": ["An activity cannot move to another engagement."]}
            )
        return attrs


class FollowUpSerializer(serializers.ModelSerializer):
    sponsor = VisiblePrimaryKeyRelatedField(
        selector=sponsors_visible_to, queryset=Sponsor.objects.all(), required=False
    )
    engagement = VisiblePrimaryKeyRelatedField(
        selector=engagements_visible_to, queryset=Engagement.objects.all(), required=False, allow_null=True
    )
    assignee = StaffEmailField(required=False)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "sponsor",
            "engagement",
            "title",
            "notes",
            "due_at",
            "assignee",
            "status",
            "reminded_at",
            "completed_at",
            "rule",
            "created_at",
        ]
        read_only_fields = ["reminded_at", "completed_at", "rule"]

    def validate(self, attrs):
        engagement = attrs.get("engagement", getattr(self.instance, "engagement", None))
        sponsor = attrs.get("sponsor", getattr(self.instance, "sponsor", None))
        if engagement is None and sponsor is None:
            raise serializers.ValidationError({"sponsor": ["Give a sponsor or an engagement."]})
        if engagement is not None and sponsor is not None and engagement.sponsor_id != sponsor.pk:
            raise serializers.ValidationError({"engagement": ["This engagement belongs to another sponsor."]})
        if self.instance is None and "assignee" not in attrs:
            user = self.context["request"].user
            attrs["assignee"] = user if user.pk else (engagement or sponsor).owner
        return attrs

    def save(self, **kwargs):
        follow_up = self.instance or FollowUp()
        for field, value in {**self.validated_data, **kwargs}.items():
            setattr(follow_up, field, value)
        if follow_up.sponsor_id is None and follow_up.engagement_id:
            follow_up.sponsor_id = follow_up.engagement.sponsor_id
        user = self.context["request"].user
        self.instance = services.save_follow_up(follow_up=follow_up, by=user if user.pk else None)
        return self.instance
