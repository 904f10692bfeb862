"""Webhook endpoints and their delivery log (staff only)."""

from rest_framework import routers, serializers

from core.api.views import ScopedModelViewSet, ScopedReadOnlyViewSet
from core.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from engagements.models import Sponsor


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        max_length=len(WebhookEvent),
    )
    sponsor = serializers.PrimaryKeyRelatedField(
        queryset=Sponsor.objects.all(),
        required=False,
        allow_null=True,
        pk_field=serializers.UUIDField(format="hex_verbose"),
    )
    url = serializers.URLField(max_length=500)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "sponsor", "is_active", "created_at"]

    def validate_events(self, value):
        return list(dict.fromkeys(value))

    def validate_url(self, value):
        from core.network import target_problem

        problem = target_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown once: sign-checking key for deliveries.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointViewSet(ScopedModelViewSet):
    """Where events are delivered, signed with HMAC-SHA256 (header `Sourcewise-Signature`)."""

    filterset_fields = ["is_active", "sponsor"]
    ordering_fields = ["created_at"]

    def get_serializer_class(self):
        return WebhookEndpointCreatedSerializer if self.action == "create" else WebhookEndpointSerializer

    def visible_queryset(self, actor):
        return WebhookEndpoint.objects.all() if actor.is_staff else WebhookEndpoint.objects.none()

    def perform_create(self, serializer):
        user = self.request.user
        serializer.save(created_by=user if user.pk else None)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "payload",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]


class WebhookDeliveryViewSet(ScopedReadOnlyViewSet):
    """Every delivery and its attempts."""

    serializer_class = WebhookDeliverySerializer
    filterset_fields = ["endpoint", "event", "status"]
    ordering_fields = ["created_at"]

    def visible_queryset(self, actor):
        return WebhookDelivery.objects.all() if actor.is_staff else WebhookDelivery.objects.none()


router = routers.SimpleRouter()
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
