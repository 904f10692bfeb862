"""Reads for sponsors and engagements. Every surface gets its querysets from here."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from engagements.models import (
    Activity,
    Contact,
    Engagement,
    FollowUp,
    FollowUpStatus,
    MembershipRole,
    Sponsor,
    SponsorMembership,
    StageTransition,
)
from engagements.pipeline import OPEN_STAGES


def _is_active(actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def sponsors_visible_to(actor) -> QuerySet[Sponsor]:
    """The one door to sponsors. Staff (users or staff keys) see all; a sponsor key its sponsor;
    a portal member the sponsors they belong to; anyone else nothing."""
    if not _is_active(actor):
        return Sponsor.objects.none()
    if actor.is_staff:
        return Sponsor.objects.all()
    bound = getattr(actor, "bound_sponsor_id", None)
    if bound is not None:
        return Sponsor.objects.filter(pk=bound)
    return Sponsor.objects.filter(memberships__user=actor)


def scope_to_sponsor(queryset: QuerySet, actor, *, path: str = "sponsor") -> QuerySet:
    """Restrict any queryset of sponsor-owned rows to what `actor` may see."""
    if not _is_active(actor):
        return queryset.none()
    if actor.is_staff:
        return queryset
    bound = getattr(actor, "bound_sponsor_id", None)
    if bound is not None:
        return queryset.filter(**{f"{path}_id": bound})
    return queryset.filter(**{f"{path}__memberships__user": actor})


def engagements_visible_to(actor) -> QuerySet[Engagement]:
    return scope_to_sponsor(Engagement.objects.all(), actor)


def contacts_visible_to(actor) -> QuerySet[Contact]:
    return scope_to_sponsor(Contact.objects.all(), actor)


def activities_visible_to(actor) -> QuerySet[Activity]:
    return scope_to_sponsor(Activity.objects.all(), actor, path="engagement__sponsor")


def follow_ups_visible_to(actor) -> QuerySet[FollowUp]:
    return scope_to_sponsor(FollowUp.objects.all(), actor)


WRITING_ROLES = (MembershipRole.ADMIN, MembershipRole.CONTRIBUTOR)


def sponsors_writable_by(actor) -> QuerySet[Sponsor]:
    """Sponsors whose data the caller may change: like `sponsors_visible_to`, minus the sponsors
    where a portal member is only a viewer."""
    if not _is_active(actor) or actor.is_staff or getattr(actor, "bound_sponsor_id", None) is not None:
        return sponsors_visible_to(actor)
    return Sponsor.objects.filter(memberships__user=actor, memberships__role__in=WRITING_ROLES)


def can_write_for(actor, sponsor_id) -> bool:
    """Staff, a key bound to the sponsor, or a member whose role lets them answer and edit."""
    if not _is_active(actor):
        return False
    if actor.is_staff:
        return True
    bound = getattr(actor, "bound_sponsor_id", None)
    if bound is not None:
        return bound == sponsor_id
    return SponsorMembership.objects.filter(
        user=actor, sponsor_id=sponsor_id, role__in=WRITING_ROLES
    ).exists()


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
