from django.db.models import OuterRef, Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import lean
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
from engagements.models import Engagement, EngagementProvider, Sponsor, SponsorCapability

READ = frozenset({"list", "retrieve"})


class SponsorViewSet(lean.LeanListMixin, ScopedModelViewSet):
    """Sponsors: profile, in-house capability per function, areas, regions and owner."""

    serializer_class = SponsorSerializer
    sponsor_actions = READ
    filterset_class = filtersets.SponsorFilter
    search_fields = ["name", "headquarters"]
    search_vector_field = "search_vector"
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

    lean_columns = (
        "id",
        "name",
        "profile",
        "status",
        "owner__email",
        "headquarters",
        "website",
        "notes",
        "created_at",
        "updated_at",
    )

    def lean_arrays(self):
        return {
            "area_codes": lean.code_array(Sponsor.therapeutic_areas),
            "region_codes": lean.code_array(Sponsor.regions),
            "capability_list": lean.object_array(
                SponsorCapability.objects.filter(sponsor=OuterRef("pk")).order_by("function__position"),
                function="function_id",
                level="level",
            ),
        }

    def lean_rows(self, rows):
        staff = self.request.user.is_staff
        out = []
        for row in rows:
            item = {
                "id": row["id"],
                "name": row["name"],
                "profile": row["profile"],
                "status": row["status"],
                "owner": row["owner__email"],
                "headquarters": row["headquarters"],
                "website": row["website"],
                "therapeutic_areas": row["area_codes"],
                "regions": row["region_codes"],
                "notes": row["notes"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
                "internal_capabilities": {c["function"]: c["level"] for c in row["capability_list"]},
            }
            if not staff:
                del item["notes"]
            out.append(item)
        return out


class ContactViewSet(ScopedModelViewSet):
    """The sponsor's people; a sponsor key may keep its own contacts in sync."""

    serializer_class = ContactSerializer
    sponsor_actions = frozenset({"list", "retrieve", "create", "partial_update", "destroy"})
    filterset_class = filtersets.ContactFilter
    search_fields = ["first_name", "last_name", "email"]
    ordering_fields = ["created_at", "last_name"]

    def visible_queryset(self, actor):
        return selectors.contacts_visible_to(actor)


class EngagementViewSet(lean.LeanListMixin, ScopedModelViewSet):
    """Engagements through the pipeline. Move stages with the transition action."""

    serializer_class = EngagementSerializer
    sponsor_actions = frozenset({"list", "retrieve", "stage_history"})
    filterset_class = filtersets.EngagementFilter
    search_fields = ["name"]
    search_vector_field = "search_vector"
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

    lean_columns = (
        "id",
        "sponsor_id",
        "name",
        "description",
        "stage",
        "stage_entered_at",
        "last_activity_at",
        "outsourcing_model",
        "phase",
        "therapeutic_area_id",
        "value",
        "currency",
        "probability",
        "expected_close_date",
        "start_date",
        "end_date",
        "owner__email",
        "created_at",
        "updated_at",
    )

    def lean_arrays(self):
        return {
            "region_codes": lean.code_array(Engagement.regions),
            "function_codes": lean.code_array(Engagement.functions),
            "provider_list": lean.object_array(
                EngagementProvider.objects.filter(engagement=OuterRef("pk")).order_by("id"),
                provider="provider_id",
                provider_name="provider__name",
                role="role",
                functions=lean.code_array(EngagementProvider.functions),
            ),
        }

    def lean_rows(self, rows):
        return [
            {
                "id": row["id"],
                "sponsor": row["sponsor_id"],
                "name": row["name"],
                "description": row["description"],
                "stage": row["stage"],
                "stage_entered_at": row["stage_entered_at"],
                "last_activity_at": row["last_activity_at"],
                "outsourcing_model": row["outsourcing_model"],
                "phase": row["phase"],
                "therapeutic_area": row["therapeutic_area_id"],
                "regions": row["region_codes"],
                "functions": row["function_codes"],
                "providers": row["provider_list"],
                "value": lean.decimal_text(row["value"], 2),
                "currency": row["currency"],
                "probability": row["probability"],
                "expected_close_date": row["expected_close_date"],
                "start_date": row["start_date"],
                "end_date": row["end_date"],
                "owner": row["owner__email"],
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
            }
            for row in rows
        ]

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


class FollowUpViewSet(lean.LeanListMixin, ScopedModelViewSet):
    """Dated to-dos for account managers; sponsors can see theirs."""

    serializer_class = FollowUpSerializer
    sponsor_actions = READ
    filterset_class = filtersets.FollowUpFilter
    search_fields = ["title"]
    ordering_fields = ["due_at", "created_at"]

    def visible_queryset(self, actor):
        return selectors.follow_ups_visible_to(actor).select_related("assignee")

    lean_columns = (
        "id",
        "sponsor_id",
        "engagement_id",
        "title",
        "notes",
        "due_at",
        "assignee__email",
        "status",
        "reminded_at",
        "completed_at",
        "rule",
        "created_at",
    )

    def lean_rows(self, rows):
        return [
            {
                "id": row["id"],
                "sponsor": row["sponsor_id"],
                "engagement": row["engagement_id"],
                "title": row["title"],
                "notes": row["notes"],
                "due_at": row["due_at"],
                "assignee": row["assignee__email"],
                "status": row["status"],
                "reminded_at": row["reminded_at"],
                "completed_at": row["completed_at"],
                "rule": row["rule"],
                "created_at": row["created_at"],
            }
            for row in rows
        ]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)
