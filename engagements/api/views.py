from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.auth import acting_user
from core.api.pagination import NamedCursorPagination
from core.api.views import ScopedModelViewSet
from engagements import selectors, services
from engagements.api import filtersets
from engagements.api.serializers import (
    ActivitySerializer,
    ContactSerializer,
    EngagementSerializer,
    FollowUpSerializer,
    SponsorSerializer,
    StageStaySerializer,
    TransitionSerializer,
)
from engagements.models import EngagementProvider, SponsorCapability

READ = frozenset({"list", "retrieve"})


class SponsorViewSet(ScopedModelViewSet):
    """Sponsors: profile, in-house capability per function, areas, regions and owner."""

    serializer_class = SponsorSerializer
    sponsor_actions = READ
    filterset_class = filtersets.SponsorFilter
    search_fields = ["name", "headquarters"]
    ordering_fields = ["name", "created_at"]
    pagination_class = NamedCursorPagination

    def visible_queryset(self, actor):
        return (
            selectors.sponsors_visible_to(actor)
            .select_related("owner")
            .prefetch_related(
                "therapeutic_areas",
                "regions",
                Prefetch("capabilities", queryset=SponsorCapability.objects.order_by("function__position")),
            )
        )

    def perform_destroy(self, instance):
        services.delete_sponsor(sponsor=instance)


class ContactViewSet(ScopedModelViewSet):
    """The sponsor's people; a sponsor key may keep its own contacts in sync."""

    serializer_class = ContactSerializer
    sponsor_actions = frozenset({"list", "retrieve", "create", "partial_update", "destroy"})
    filterset_class = filtersets.ContactFilter
    search_fields = ["first_name", "last_name", "email"]
    ordering_fields = ["created_at", "last_name"]

    def visible_queryset(self, actor):
        return selectors.contacts_visible_to(actor)


class EngagementViewSet(ScopedModelViewSet):
    """Engagements through the pipeline. Move stages with the transition action."""

    serializer_class = EngagementSerializer
    sponsor_actions = frozenset({"list", "retrieve", "stage_history"})
    filterset_class = filtersets.EngagementFilter
    search_fields = ["name"]
    # Cursor pagination needs non-null ordering fields (a NULL breaks the cursor).
    ordering_fields = ["created_at", "value", "stage_entered_at"]

    def visible_queryset(self, actor):
        return (
            selectors.engagements_visible_to(actor)
            .select_related("owner", "therapeutic_area")
            .prefetch_related(
                "regions",
                "functions",
                Prefetch(
                    "provider_links",
                    queryset=EngagementProvider.objects.select_related("provider").prefetch_related(
                        "functions"
                    ),
                ),
            )
        )

    def perform_destroy(self, instance):
        services.delete_engagement(engagement=instance)

    @extend_schema(request=TransitionSerializer, responses=EngagementSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move to another stage; refused (409) when the pipeline does not allow the move."""
        engagement = self.get_object()
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.advance_stage(
            engagement=engagement,
            to_stage=payload.validated_data["stage"],
            by=acting_user(request.user),
            note=payload.validated_data["note"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=engagement.pk)).data)

    @extend_schema(responses=StageStaySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="stage-history", pagination_class=None)
    def stage_history(self, request, pk=None):
        """Each stage the engagement has been in, with time in stage and who moved it."""
        stays = selectors.stage_history(self.get_object())
        data = [
            {
                "stage": stay.stage,
                "entered_at": stay.entered_at,
                "left_at": stay.left_at,
                "duration_seconds": int(stay.duration.total_seconds()),
                "by": stay.by.email if stay.by else None,
            }
            for stay in stays
        ]
        return Response(StageStaySerializer(data, many=True).data)


class ActivityViewSet(ScopedModelViewSet):
    """The engagement timeline: notes, calls, meetings and e-mails (staff only)."""

    serializer_class = ActivitySerializer
    filterset_class = filtersets.ActivityFilter
    search_fields = ["subject"]
    ordering_fields = ["occurred_at", "created_at"]

    def visible_queryset(self, actor):
        return selectors.activities_visible_to(actor).select_related("by")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.log_activity(
            engagement=data["engagement"],
            kind=data.get("kind", "note"),
            subject=data["subject"],
            body=data.get("body", ""),
            occurred_at=data.get("occurred_at"),
            by=acting_user(self.request.user),
        )

    def perform_update(self, serializer):
        activity = serializer.save()
        services.note_engagement_activity(engagement_id=activity.engagement_id, at=activity.occurred_at)


class FollowUpViewSet(ScopedModelViewSet):
    """Dated to-dos for account managers; sponsors can see theirs."""

    serializer_class = FollowUpSerializer
    sponsor_actions = READ
    filterset_class = filtersets.FollowUpFilter
    search_fields = ["title"]
    ordering_fields = ["due_at", "created_at"]

    def visible_queryset(self, actor):
        return selectors.follow_ups_visible_to(actor).select_related("assignee")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)
