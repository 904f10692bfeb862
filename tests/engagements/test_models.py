from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from engagements.models import FollowUp, FollowUpStatus, SponsorCapability
from providers.models import ClinicalFunction
from tests.factories import (
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    MembershipFactory,
    SponsorFactory,
)

pytestmark = pytest.mark.django_db


def test_primary_keys_are_uuids_not_sequences():
    engagement = EngagementFactory()
    assert len(str(engagement.pk)) == 36
    assert len(str(engagement.sponsor.pk)) == 36


@pytest.mark.parametrize("level", [4, 9])
def test_internal_capability_above_3_is_refused_by_the_database(level):
    sponsor = SponsorFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SponsorCapability.objects.create(
            sponsor=sponsor,
            function=ClinicalFunction.objects.get(code="biostatistics"),
            level=level,
        )


def test_engagement_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        EngagementFactory(start_date=date(2026, 5, 1), end_date=date(2026, 4, 1))


def test_engagement_value_cannot_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        EngagementFactory(value=-1)


def test_unknown_stage_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        EngagementFactory(stage="signed")


def test_only_one_primary_contact_per_sponsor():
    contact = ContactFactory(is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(sponsor=contact.sponsor, is_primary=True)


def test_membership_is_unique_per_user_and_sponsor():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=membership.user, sponsor=membership.sponsor)


def test_closed_follow_up_needs_a_completion_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpFactory(status=FollowUpStatus.DONE, completed_at=None)


def test_one_open_follow_up_per_automation_rule():
    first = FollowUpFactory(rule="assessment_overdue:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpFactory(engagement=first.engagement, rule="assessment_overdue:1")
    FollowUp.objects.filter(pk=first.pk).update(status=FollowUpStatus.DONE, completed_at=timezone.now())
    FollowUpFactory(engagement=first.engagement, rule="assessment_overdue:1")


def test_overdue_is_only_for_open_follow_ups():
    past = timezone.now() - timedelta(hours=1)
    assert FollowUpFactory.build(due_at=past, status=FollowUpStatus.OPEN).is_overdue
    assert not FollowUpFactory.build(due_at=past, status=FollowUpStatus.DONE).is_overdue
