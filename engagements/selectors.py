"""Reads for sponsors and engagements. Every surface gets its querysets from here."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from engagements.models import Engagement, FollowUp, FollowUpStatus, Sponsor, StageTransition
from engagements.pipeline import OPEN_STAGES


def sponsors_visible_to(user) -> QuerySet[Sponsor]:
    """The one door to sponsors: staff see all; a portal member sees the sponsors they belong to."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Sponsor.objects.none()
    if user.is_staff:
        return Sponsor.objects.all()
    return Sponsor.objects.filter(memberships__user=user)


@dataclass(frozen=True)
class StageStay:
    stage: str
    entered_at: object
    left_at: object | None
    by: object | None

    @property
    def duration(self) -> timedelta:
        return (self.left_at or timezone.now()) - self.entered_at


def stage_history(engagement: Engagement) -> list[StageStay]:
    """Each stage the engagement has been in, when it entered and left, and who moved it."""
    transitions = list(
        StageTransition.objects.filter(engagement=engagement).select_related("by").order_by("at", "pk")
    )
    stays = []
    for index, transition in enumerate(transitions):
        left_at = transitions[index + 1].at if index + 1 < len(transitions) else None
        stays.append(StageStay(transition.to_stage, transition.at, left_at, transition.by))
    return stays


@dataclass(frozen=True)
class PipelineRow:
    stage: str
    count: int
    value: Decimal


def pipeline_summary(*, owner=None) -> list[PipelineRow]:
    """Open engagements per stage with their total value, optionally for one owner."""
    queryset = Engagement.objects.filter(stage__in=OPEN_STAGES)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    rows = {r["stage"]: r for r in queryset.values("stage").annotate(count=Count("id"), value=Sum("value"))}
    return [
        PipelineRow(
            stage,
            rows.get(stage, {}).get("count", 0),
            rows.get(stage, {}).get("value") or Decimal(0),
        )
        for stage in OPEN_STAGES
    ]


def open_follow_ups_for(user) -> QuerySet[FollowUp]:
    return (
        FollowUp.objects.filter(assignee=user, status=FollowUpStatus.OPEN)
        .select_related("sponsor", "engagement")
        .order_by("due_at")
    )


def follow_up_buckets(user) -> dict[str, int]:
    """How many of the user's open follow-ups are overdue, due today and due this week."""
    now = timezone.now()
    end_of_day = now.replace(hour=23, minute=59, second=59, microsecond=999999)
    return FollowUp.objects.filter(assignee=user, status=FollowUpStatus.OPEN).aggregate(
        overdue=Count("id", filter=Q(due_at__lt=now)),
        today=Count("id", filter=Q(due_at__gte=now, due_at__lte=end_of_day)),
        this_week=Count("id", filter=Q(due_at__gt=end_of_day, due_at__lte=now + timedelta(days=7))),
    )
