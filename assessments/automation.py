"""Follow-up rules for assessments and the account managers' weekly digest (run by beat)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assessments.models import Assessment, AssessmentStatus, Recommendation
from core import links, notifications
from core.models import User
from engagements import services as engagement_services
from engagements.models import AutomationPolicy, Engagement, FollowUp, FollowUpStatus
from engagements.pipeline import OPEN_STAGES


def remind_unsubmitted_assessments(*, now: datetime | None = None, limit: int = 2000) -> int:
    """Sent but not submitted after N days: remind the sponsor's contacts (once each) and open a
    follow-up for the owner (once). Returns how many assessments were acted on."""
    now = now or timezone.now()
    policy = AutomationPolicy.current()
    stale = (
        Assessment.objects.filter(
            status__in=[AssessmentStatus.SENT, AssessmentStatus.IN_PROGRESS],
            sent_at__lte=now - timedelta(days=policy.assessment_reminder_days),
        )
        .select_related("sponsor__owner")
        .order_by("sent_at")[:limit]
    )
    acted = 0
    for assessment in stale:
        with transaction.atomic():
            follow_up = engagement_services.create_rule_follow_up(
                rule=f"assessment_unsubmitted:{assessment.pk}",
                sponsor_id=assessment.sponsor_id,
                engagement_id=assessment.engagement_id,
                assignee=assessment.sponsor.owner,
                title=f"{assessment.sponsor.name} has not submitted “{assessment}”",
                notes=f"Sent {assessment.sent_at:%Y-%m-%d}; reminder e-mailed to the sponsor's contacts.",
                due_at=now + timedelta(days=policy.follow_up_due_in_days),
            )
            if follow_up is None:
                continue
            for contact in assessment.sponsor.contacts.filter(receives_reminders=True):
                notifications.notify(
                    kind="assessment_reminder",
                    to=contact.email,
                    recipient_name=contact.first_name,
                    dedupe_key=f"assessment_reminder:{assessment.pk}:{contact.email.lower()}",
                    context={
                        "sponsor": assessment.sponsor.name,
                        "assessment": str(assessment),
                        "sent_on": assessment.sent_at.strftime("%d %B %Y"),
                        "due_on": assessment.due_date.strftime("%d %B %Y") if assessment.due_date else "",
                        "url": links.portal_link("assessment", assessment.pk),
                        "account_manager": assessment.sponsor.owner.display_name,
                        "account_manager_email": assessment.sponsor.owner.email,
                    },
                )
            acted += 1
    return acted


def remind_unreviewed_assessments(*, now: datetime | None = None, limit: int = 2000) -> int:
    """Submitted but not reviewed after N days: a follow-up and an e-mail for the owner, once."""
    now = now or timezone.now()
    policy = AutomationPolicy.current()
    waiting = (
        Assessment.objects.filter(
            status=AssessmentStatus.SUBMITTED,
            submitted_at__lte=now - timedelta(days=policy.review_reminder_days),
        )
        .select_related("sponsor__owner")
        .order_by("submitted_at")[:limit]
    )
    acted = 0
    for assessment in waiting:
        with transaction.atomic():
            owner = assessment.sponsor.owner
            follow_up = engagement_services.create_rule_follow_up(
                rule=f"assessment_unreviewed:{assessment.pk}",
                sponsor_id=assessment.sponsor_id,
                engagement_id=assessment.engagement_id,
                assignee=owner,
                title=f"Review the recommendation for {assessment.sponsor.name}",
                notes=f"Submitted {assessment.submitted_at:%Y-%m-%d} and not yet reviewed.",
                due_at=now + timedelta(days=policy.follow_up_due_in_days),
            )
            if follow_up is None:
                continue
            notifications.notify(
                kind="review_reminder",
                to=owner.email,
                recipient_name=owner.first_name or owner.email,
                dedupe_key=f"review_reminder:{assessment.pk}",
                context={
                    "sponsor": assessment.sponsor.name,
                    "assessment": str(assessment),
                    "submitted_on": assessment.submitted_at.strftime("%d %B %Y"),
                    "days": policy.review_reminder_days,
                    "url": links.admin_link(assessment),
                },
            )
            acted += 1
    return acted


def _stalled(owner, now: datetime, policy: AutomationPolicy) -> list[Engagement]:
    limits = {row.stage: row.days for row in policy.stage_limits.all()}
    condition = Q()
    for stage, days in limits.items():
        if stage in OPEN_STAGES:
            condition |= Q(stage=stage, last_activity_at__lt=now - timedelta(days=days))
    if not condition:
        return []
    return list(
        Engagement.objects.filter(condition, owner=owner)
        .select_related("sponsor")
        .order_by("last_activity_at")[:15]
    )


def send_weekly_digests(*, now: datetime | None = None) -> int:
    """One digest per account manager per ISO week: open follow-ups, stalled engagements and
    new recommendations for their sponsors. Managers with nothing to report get no e-mail."""
    now = now or timezone.now()
    policy = AutomationPolicy.current()
    week = now.strftime("%G-W%V")
    sent = 0
    managers = (
        User.objects.filter(is_staff=True, is_active=True)
        .filter(Q(owned_sponsors__isnull=False) | Q(follow_ups__status=FollowUpStatus.OPEN))
        .distinct()
    )
    for manager in managers:
        follow_ups = list(
            FollowUp.objects.filter(assignee=manager, status=FollowUpStatus.OPEN)
            .select_related("sponsor")
            .order_by("due_at")[:20]
        )
        stalled = _stalled(manager, now, policy)
        recommendations = list(
            Recommendation.objects.filter(
                assessment__sponsor__owner=manager, created_at__gte=now - timedelta(days=7)
            )
            .select_related("assessment__sponsor")
            .order_by("-created_at")[:20]
        )
        if not (follow_ups or stalled or recommendations):
            continue
        created = notifications.notify(
            kind="weekly_digest",
            to=manager.email,
            recipient_name=manager.first_name or manager.email,
            dedupe_key=f"weekly_digest:{manager.pk}:{week}",
            context={
                "week": week,
                "follow_ups": [
                    {
                        "title": f.title,
                        "sponsor": f.sponsor.name,
                        "due": f.due_at.strftime("%Y-%m-%d"),
                        "overdue": f.due_at < now,
                        "url": links.admin_link(f),
                    }
                    for f in follow_ups
                ],
                "stalled": [
                    {
                        "name": e.name,
                        "sponsor": e.sponsor.name,
                        "stage": e.get_stage_display(),
                        "idle_days": (now - e.last_activity_at).days,
                        "url": links.admin_link(e),
                    }
                    for e in stalled
                ],
                "recommendations": [
                    {
                        "sponsor": r.assessment.sponsor.name,
                        "model": r.get_model_display(),
                        "confidence": r.confidence_label,
                        "url": links.admin_link(r.assessment),
                    }
                    for r in recommendations
                ],
                "follow_ups_url": links.admin_changelist_link(FollowUp, "mine=1&status__exact=open"),
            },
        )
        sent += created is not None
    return sent
