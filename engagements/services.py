"""Writes for sponsors, engagements, activities and follow-ups. One transaction per service."""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import webhooks
from core.errors import ApplicationError, Conflict
from core.models import WebhookEvent
from engagements.models import (
    Activity,
    Contact,
    Engagement,
    EngagementProvider,
    FollowUp,
    FollowUpStatus,
    MembershipRole,
    Sponsor,
    SponsorCapability,
    SponsorMembership,
    StageTransition,
)
from engagements.pipeline import NEXT_STAGE, transition_error


@transaction.atomic
def advance_stage(*, engagement: Engagement, to_stage: str, by=None, note: str = "") -> Engagement:
    """Move an engagement to `to_stage` if the pipeline allows it, recording who and when."""
    locked = Engagement.objects.select_for_update().get(pk=engagement.pk)
    _move(locked, to_stage, by=by, note=note)
    engagement.stage, engagement.stage_entered_at = locked.stage, locked.stage_entered_at
    engagement.last_activity_at = locked.last_activity_at
    return locked


@transaction.atomic
def advance_to_next_stage(*, engagements: Iterable[Engagement], by=None) -> list[Engagement]:
    """Move every engagement one step forward; if any cannot move, none does."""
    ids = [e.pk for e in engagements]
    locked = list(Engagement.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    problems = [
        f"{e.name}: it is {e.get_stage_display()}, which has no next stage."
        for e in locked
        if e.stage not in NEXT_STAGE
    ]
    if problems:
        raise Conflict("No engagement was moved. " + " ".join(problems))
    for engagement in locked:
        _move(engagement, NEXT_STAGE[engagement.stage], by=by)
    return locked


def _move(locked: Engagement, to_stage: str, *, by=None, note: str = "") -> None:
    """The stage move itself, on a row the caller has locked."""
    error = transition_error(locked.stage, to_stage)
    if error:
        raise Conflict(error, field_errors={"stage": error})
    now = timezone.now()
    transition = StageTransition.objects.create(
        engagement=locked, from_stage=locked.stage, to_stage=to_stage, by=by, at=now, note=note[:255]
    )
    locked.stage = to_stage
    locked.stage_entered_at = now
    locked.last_activity_at = now
    locked._change_reason = note or f"Stage changed to {to_stage}"
    locked.save(update_fields=["stage", "stage_entered_at", "last_activity_at", "updated_at"])
    webhooks.emit(
        WebhookEvent.ENGAGEMENT_STAGE_CHANGED,
        sponsor_id=locked.sponsor_id,
        data={
            "engagement": str(locked.pk),
            "sponsor": str(locked.sponsor_id),
            "from_stage": transition.from_stage,
            "to_stage": to_stage,
            "at": now.isoformat(),
        },
    )


@transaction.atomic
def create_engagement(*, by=None, regions=(), functions=(), provider_links=(), **fields) -> Engagement:
    """Open an engagement (in `lead` unless a stage is given) and start its stage history."""
    engagement = Engagement(**fields)
    engagement.stage_entered_at = engagement.last_activity_at = timezone.now()
    engagement.full_clean(exclude=["sponsor", "owner", "therapeutic_area"])
    engagement.save()
    engagement.regions.set(regions)
    engagement.functions.set(functions)
    set_engagement_providers(engagement=engagement, links=provider_links)
    record_initial_stage(engagement=engagement, by=by)
    return engagement


@transaction.atomic
def set_engagement_providers(*, engagement: Engagement, links) -> None:
    """Replace the providers involved: each a mapping of provider, role and functions."""
    EngagementProvider.objects.filter(engagement=engagement).delete()
    for link in links:
        involved = EngagementProvider.objects.create(
            engagement=engagement, provider=link["provider"], role=link.get("role") or "candidate"
        )
        involved.functions.set(link.get("functions") or [])


@transaction.atomic
def set_internal_capabilities(*, sponsor: Sponsor, levels: dict[str, int]) -> None:
    """Set the sponsor's in-house capability (0–3) for the given functions; others are kept."""
    for function_code, level in levels.items():
        SponsorCapability.objects.update_or_create(
            sponsor=sponsor, function_id=function_code, defaults={"level": level}
        )


@transaction.atomic
def record_initial_stage(*, engagement: Engagement, by=None) -> None:
    """Open the stage history of a newly created engagement."""
    StageTransition.objects.create(
        engagement=engagement,
        from_stage="",
        to_stage=engagement.stage,
        by=by,
        at=engagement.stage_entered_at,
    )


@transaction.atomic
def log_activity(
    *,
    engagement: Engagement,
    kind: str,
    subject: str,
    body: str = "",
    occurred_at: datetime | None = None,
    by=None,
) -> Activity:
    activity = Activity(
        engagement=engagement,
        kind=kind,
        subject=subject,
        body=body,
        occurred_at=occurred_at or timezone.now(),
        by=by,
    )
    activity.full_clean(exclude=["engagement", "by"])
    activity.save()
    note_engagement_activity(engagement_id=engagement.pk, at=activity.occurred_at)
    return activity


def note_engagement_activity(*, engagement_id, at: datetime) -> None:
    """Keep the engagement's last-activity time current (the idle-engagement rule reads it)."""
    Engagement.objects.filter(pk=engagement_id, last_activity_at__lt=at).update(last_activity_at=at)


@transaction.atomic
def complete_follow_ups(*, follow_ups: Iterable[FollowUp], by=None) -> int:
    """Mark open follow-ups done; returns how many changed (closed ones are left alone)."""
    ids = [f.pk for f in follow_ups]
    now = timezone.now()
    changed = 0
    for follow_up in FollowUp.objects.select_for_update().filter(pk__in=ids, status=FollowUpStatus.OPEN):
        follow_up.status = FollowUpStatus.DONE
        follow_up.completed_at = now
        follow_up._change_reason = "Marked done"
        follow_up.save(update_fields=["status", "completed_at"])
        changed += 1
    return changed


@transaction.atomic
def save_follow_up(*, follow_up: FollowUp, by=None) -> FollowUp:
    """Create or update a follow-up, keeping its sponsor and completion time consistent."""
    if follow_up.engagement_id:
        follow_up.sponsor_id = follow_up.engagement.sponsor_id
    if follow_up._state.adding and follow_up.created_by_id is None:
        follow_up.created_by = by
    if follow_up.status == FollowUpStatus.OPEN:
        follow_up.completed_at = None
    elif follow_up.completed_at is None:
        follow_up.completed_at = timezone.now()
    follow_up.save()
    return follow_up


@transaction.atomic
def delete_sponsor(*, sponsor: Sponsor) -> None:
    if sponsor.engagements.exists() or sponsor.assessments.exists():
        raise Conflict(
            f"{sponsor.name} has engagements or assessments; they are kept for the record, "
            f"so the sponsor cannot be deleted. Set its status to dormant instead."
        )
    sponsor.delete()


@transaction.atomic
def delete_engagement(*, engagement: Engagement) -> None:
    """Delete an engagement with its timeline and follow-ups; its assessments are kept."""
    engagement.delete()


def create_rule_follow_up(
    *, rule: str, sponsor_id, engagement_id=None, assignee, title: str, notes: str = "", due_at: datetime
) -> FollowUp | None:
    """Open a follow-up for an automation rule once: None if this rule already produced one
    (open or closed), so a closed follow-up is not re-opened on every run."""
    if FollowUp.objects.filter(rule=rule).exists():
        return None
    try:
        with transaction.atomic():
            return FollowUp.objects.create(
                rule=rule,
                sponsor_id=sponsor_id,
                engagement_id=engagement_id,
                assignee=assignee,
                title=title[:200],
                notes=notes,
                due_at=due_at,
            )
    except IntegrityError:  # a concurrent run created it first
        return None


@transaction.atomic
def invite_to_portal(
    *, contact: Contact, role: str = MembershipRole.CONTRIBUTOR, by=None
) -> SponsorMembership:
    """Give a contact access to their sponsor in the portal and e-mail them an invitation.

    A new person gets a single-use link to choose their password (it expires with
    PASSWORD_RESET_TIMEOUT); someone who already has a password is told where to sign in.
    """
    from core import notifications
    from core.models import User

    if role not in MembershipRole.values:
        raise ApplicationError(f"“{role}” is not a portal role.", field_errors={"role": "Unknown role."})
    user = User.objects.filter(email__iexact=contact.email).first()
    if user is not None and user.is_staff:
        raise ApplicationError(f"{contact.email} is a staff account; staff do not use the portal.")
    if user is None:
        user = User.objects.create_user(
            contact.email, None, first_name=contact.first_name, last_name=contact.last_name
        )
    membership, _ = SponsorMembership.objects.get_or_create(
        user=user, sponsor=contact.sponsor, defaults={"role": role}
    )
    notifications.notify(
        kind="portal_invitation",
        to=user.email,
        recipient_name=contact.first_name,
        dedupe_key=f"portal_invitation:{membership.pk}:{timezone.now().timestamp()}",
        context={
            "sponsor": contact.sponsor.name,
            "inviter": by.display_name if by else contact.sponsor.owner.display_name,
            "role": membership.get_role_display(),
            # The password link is made when the e-mail is sent, so no token is stored.
            "password_setup_user_id": user.pk if not user.has_usable_password() else None,
        },
    )
    return membership
