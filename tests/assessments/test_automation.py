"""Assessment rules and the weekly digest, with time frozen."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from assessments import automation, services
from engagements.models import AutomationPolicy, FollowUp
from tests.factories import (
    AssessmentFactory,
    ContactFactory,
    EngagementFactory,
    FollowUpFactory,
    submitted_assessment,
)

pytestmark = pytest.mark.django_db


def _sent(days_ago, **kwargs):
    assessment = AssessmentFactory(**kwargs)
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        services.send_assessment(assessment=assessment)
    assessment.refresh_from_db()
    return assessment


def test_unsubmitted_assessment_reminds_contacts_once_and_opens_a_follow_up(
    django_capture_on_commit_callbacks,
):
    AutomationPolicy.objects.filter(pk=1).update(assessment_reminder_days=5)
    stale = _sent(6)
    ana = ContactFactory(sponsor=stale.sponsor, first_name="Ana", email="ana@sponsor.example")
    ContactFactory(sponsor=stale.sponsor, receives_reminders=False, email="quiet@sponsor.example")
    _sent(4)  # not yet due
    with django_capture_on_commit_callbacks(execute=True):
        assert automation.remind_unsubmitted_assessments() == 1
        assert automation.remind_unsubmitted_assessments() == 0
    assert [m.to for m in mail.outbox] == [[ana.email]]
    message = mail.outbox[0]
    assert "Dear Ana" in message.body
    assert f"/portal/assessments/{stale.pk}/" in message.body
    assert stale.sponsor.owner.email in message.body
    follow_up = FollowUp.objects.get()
    assert follow_up.assignee == stale.sponsor.owner
    assert follow_up.rule == f"assessment_unsubmitted:{stale.pk}"


def test_submitted_assessment_is_not_chased():
    AutomationPolicy.objects.filter(pk=1).update(assessment_reminder_days=1)
    assessment = submitted_assessment()
    assert automation.remind_unsubmitted_assessments(now=timezone.now() + timedelta(days=30)) == 0
    assert assessment.status == "submitted"


def test_unreviewed_assessment_reminds_the_owner_once(django_capture_on_commit_callbacks):
    AutomationPolicy.objects.filter(pk=1).update(review_reminder_days=3)
    assessment = submitted_assessment()
    later = timezone.now() + timedelta(days=3, minutes=1)
    assert automation.remind_unreviewed_assessments(now=later - timedelta(days=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert automation.remind_unreviewed_assessments(now=later) == 1
        assert automation.remind_unreviewed_assessments(now=later) == 0
    owner = assessment.sponsor.owner
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert f"/admin/assessments/assessment/{assessment.pk}/change/" in mail.outbox[0].body
    assert FollowUp.objects.get().rule == f"assessment_unreviewed:{assessment.pk}"


def test_weekly_digest_lists_follow_ups_stalled_engagements_and_recommendations(
    account_manager, django_capture_on_commit_callbacks
):
    engagement = EngagementFactory(
        owner=account_manager,
        sponsor__owner=account_manager,
        stage="proposal",
        last_activity_at=timezone.now() - timedelta(days=40),
    )
    FollowUpFactory(engagement=engagement, assignee=account_manager, title="Send the proposal")
    submitted_assessment(sponsor=engagement.sponsor)
    with django_capture_on_commit_callbacks(execute=True):
        assert automation.send_weekly_digests() == 1
        assert automation.send_weekly_digests() == 0  # once per ISO week
    message = mail.outbox[0]
    assert message.to == [account_manager.email]
    assert "Send the proposal" in message.body
    assert engagement.name in message.body
    assert engagement.sponsor.name in message.body
    assert "1 open follow-up, 1 stalled engagement, 1 new recommendation" in message.subject


def test_managers_with_nothing_to_report_get_no_digest(account_manager):
    assert automation.send_weekly_digests() == 0
