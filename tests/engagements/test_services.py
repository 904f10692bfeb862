from datetime import timedelta

import pytest
from django.utils import timezone

from engagements import services
from engagements.models import ActivityKind, FollowUp, FollowUpStatus
from engagements.selectors import follow_up_buckets, pipeline_summary, sponsors_visible_to
from tests.factories import (
    EngagementFactory,
    FollowUpFactory,
    MembershipFactory,
    SponsorFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_logging_an_activity_moves_last_activity_forward(account_manager):
    engagement = EngagementFactory(last_activity_at=timezone.now() - timedelta(days=30))
    activity = services.log_activity(
        engagement=engagement, kind=ActivityKind.CALL, subject="Scope call", by=account_manager
    )
    engagement.refresh_from_db()
    assert engagement.last_activity_at == activity.occurred_at


def test_backdated_activity_does_not_move_last_activity_back(account_manager):
    engagement = EngagementFactory()
    before = engagement.last_activity_at
    services.log_activity(
        engagement=engagement,
        kind=ActivityKind.NOTE,
        subject="Old note",
        occurred_at=before - timedelta(days=3),
        by=account_manager,
    )
    engagement.refresh_from_db()
    assert engagement.last_activity_at == before


def test_completing_follow_ups_skips_closed_ones():
    open_one = FollowUpFactory()
    cancelled = FollowUpFactory(status=FollowUpStatus.CANCELLED, completed_at=timezone.now())
    assert services.complete_follow_ups(follow_ups=[open_one, cancelled]) == 1
    assert FollowUp.objects.get(pk=open_one.pk).status == FollowUpStatus.DONE
    assert FollowUp.objects.get(pk=cancelled.pk).status == FollowUpStatus.CANCELLED


def test_saving_a_follow_up_takes_the_engagements_sponsor(account_manager):
    engagement = EngagementFactory()
    other = SponsorFactory()
    follow_up = FollowUpFactory.build(engagement=engagement, sponsor=other, assignee=account_manager)
    services.save_follow_up(follow_up=follow_up, by=account_manager)
    assert follow_up.sponsor_id == engagement.sponsor_id
    assert follow_up.created_by == account_manager


def test_pipeline_summary_counts_open_engagements_per_stage(account_manager):
    sponsor = SponsorFactory(owner=account_manager)
    EngagementFactory(sponsor=sponsor, stage="lead", value=100)
    EngagementFactory(sponsor=sponsor, stage="lead", value=50)
    EngagementFactory(sponsor=sponsor, stage="won", value=999)
    rows = {row.stage: row for row in pipeline_summary(owner=account_manager)}
    assert rows["lead"].count == 2
    assert rows["lead"].value == 150
    assert "won" not in rows


def test_follow_up_buckets(account_manager):
    now = timezone.now()
    FollowUpFactory(assignee=account_manager, due_at=now - timedelta(days=1))
    FollowUpFactory(assignee=account_manager, due_at=now + timedelta(days=3))
    buckets = follow_up_buckets(account_manager)
    assert buckets["overdue"] == 1
    assert buckets["this_week"] + buckets["today"] == 1


def test_member_sees_only_their_sponsors():
    membership = MembershipFactory()
    SponsorFactory()
    assert list(sponsors_visible_to(membership.user)) == [membership.sponsor]


def test_staff_see_every_sponsor(account_manager):
    SponsorFactory.create_batch(3)
    assert sponsors_visible_to(account_manager).count() == 3


def test_anonymous_and_inactive_users_see_nothing():
    from django.contrib.auth.models import AnonymousUser

    membership = MembershipFactory(user=UserFactory(is_active=False))
    assert not sponsors_visible_to(AnonymousUser()).exists()
    assert not sponsors_visible_to(membership.user).exists()
