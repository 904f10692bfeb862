"""Follow-up rules for engagements, run by Celery beat (see engagements/tasks.py)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core import links, notifications, webhooks
from core.models import WebhookEvent
from engagements import services
from engagements.models import AutomationPolicy, Engagement, FollowUp, FollowUpStatus


def flag_idle_engagements(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Open a follow-up for the owner of each engagement idle in its stage beyond the stage's limit.

    Idle means neither a stage change nor an activity since the limit. Each idle spell gets one
    follow-up: the rule key carries the time of the last activity, so new activity starts afresh.
    """
    now = now or timezone.now()
    policy = AutomationPolicy.current()
    created = 0
    for limit_row in policy.stage_limits.all():
        cutoff = now - timedelta(days=limit_row.days)
        idle = (
            Engagement.objects.filter(
                stage=limit_row.stage, last_activity_at__lt=cutoff, stage_entered_at__lt=cutoff
            )
            .select_related("owner")
            .order_by("last_activity_at")[:limit]
        )
        for engagement in idle:
            days = (now - engagement.last_activity_at).days
            follow_up = services.create_rule_follow_up(
                rule=f"engagement_idle:{engagement.pk}:{engagement.last_activity_at:%Y%m%d%H%M%S}",
                sponsor_id=engagement.sponsor_id,
                engagement_id=engagement.pk,
                assignee=engagement.owner,
                title=f"{engagement.name}: no activity for {days} days in {engagement.get_stage_display()}",
                notes=f"The limit for {engagement.get_stage_display()} is {limit_row.days} days. "
                f"Log a call or move the engagement on.",
                due_at=now + timedelta(days=policy.follow_up_due_in_days),
            )
            created += follow_up is not None
    return created


def remind_due_follow_ups(*, now: datetime | None = None, limit: int = 2000) -> int:
    """E-mail each assignee once when a follow-up falls due (and tell subscribed systems).

    The claim is a conditional UPDATE of `reminded_at`: only one caller can set it, so a second
    beat tick or a second worker finds nothing to do. Claim, e-mail and event commit together.
    """
    now = now or timezone.now()
    due = FollowUp.objects.filter(status=FollowUpStatus.OPEN, due_at__lte=now, reminded_at__isnull=True)
    reminded = 0
    for follow_up_id in list(due.order_by("due_at").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            claimed = FollowUp.objects.filter(
                pk=follow_up_id, reminded_at__isnull=True, status=FollowUpStatus.OPEN
            ).update(reminded_at=now)
            if not claimed:
                continue
            follow_up = FollowUp.objects.select_related("assignee", "sponsor", "engagement").get(
                pk=follow_up_id
            )
            notifications.notify(
                kind="follow_up_due",
                to=follow_up.assignee.email,
                recipient_name=follow_up.assignee.first_name or follow_up.assignee.email,
                dedupe_key=f"follow_up_due:{follow_up.pk}",
                context={
                    "title": follow_up.title,
                    "notes": follow_up.notes,
                    "due_at": follow_up.due_at.strftime("%Y-%m-%d %H:%M UTC"),
                    "sponsor": follow_up.sponsor.name,
                    "engagement": follow_up.engagement.name if follow_up.engagement else "",
                    "url": links.admin_link(follow_up),
                    "sponsor_url": links.admin_link(follow_up.sponsor),
                },
            )
            webhooks.emit(
                WebhookEvent.FOLLOW_UP_DUE,
                sponsor_id=follow_up.sponsor_id,
                data={
                    "follow_up": str(follow_up.pk),
                    "sponsor": str(follow_up.sponsor_id),
                    "engagement": str(follow_up.engagement_id) if follow_up.engagement_id else None,
                    "title": follow_up.title,
                    "due_at": follow_up.due_at.isoformat(),
                    "assignee": follow_up.assignee.email,
                },
            )
            reminded += 1
    return reminded
