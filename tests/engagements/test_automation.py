"""Engagement follow-up rules, with time frozen."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core.models import Notification, WebhookDelivery, WebhookEndpoint
from engagements import automation
from engagements.models import AutomationPolicy, FollowUp, FollowUpStatus, StageLimit
from tests.factories import EngagementFactory, FollowUpFactory

pytestmark = pytest.mark.django_db
NOW = "2026-11-25 09:00:00+00:00"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_engagement_idle_beyond_its_stage_limit_gets_one_follow_up():
    StageLimit.objects.filter(stage="proposal").update(days=10)
    idle = EngagementFactory(
        stage="proposal",
        stage_entered_at=timezone.now() - timedelta(days=30),
        last_activity_at=timezone.now() - timedelta(days=11),
    )
    EngagementFactory(
        stage="proposal",
        stage_entered_at=timezone.now() - timedelta(days=30),
        last_activity_at=timezone.now() - timedelta(days=9),
    )
    assert automation.flag_idle_engagements() == 1
    follow_up = FollowUp.objects.get()
    assert follow_up.engagement == idle and follow_up.assignee == idle.owner
    assert "no activity for 11 days in Proposal" in follow_up.title
    assert follow_up.due_at == timezone.now() + timedelta(
        days=AutomationPolicy.current().follow_up_due_in_days
    )
    assert automation.flag_idle_engagements() == 0  # the second tick creates nothing
    FollowUp.objects.update(status=FollowUpStatus.DONE, completed_at=timezone.now())
    assert automation.flag_idle_engagements() == 0  # closing it does not re-open it


def test_new_activity_starts_a_new_idle_spell():
    StageLimit.objects.filter(stage="lead").update(days=5)
    engagement = EngagementFactory(
        stage="lead",
        stage_entered_at=timezone.now() - timedelta(days=40),
        last_activity_at=timezone.now() - timedelta(days=6),
    )
    automation.flag_idle_engagements()
    engagement.last_activity_at = timezone.now() - timedelta(days=5, hours=1)
    engagement.save()
    FollowUp.objects.update(status=FollowUpStatus.DONE, completed_at=timezone.now())
    assert automation.flag_idle_engagements() == 1
    assert FollowUp.objects.count() == 2


def test_stages_without_a_limit_are_never_idle():
    EngagementFactory(
        stage="active",
        stage_entered_at=timezone.now() - timedelta(days=400),
        last_activity_at=timezone.now() - timedelta(days=400),
    )
    assert automation.flag_idle_engagements() == 0


def test_limits_are_data_edited_in_the_admin(superuser, client):
    client.force_login(superuser)
    page = client.get("/admin/engagements/automationpolicy/1/change/").content.decode()
    assert 'name="assessment_reminder_days"' in page
    assert 'name="stage_limits-0-days"' in page
    data = {
        "assessment_reminder_days": "9",
        "review_reminder_days": "3",
        "follow_up_due_in_days": "1",
        "stage_limits-TOTAL_FORMS": "0",
        "stage_limits-INITIAL_FORMS": "0",
    }
    assert client.post("/admin/engagements/automationpolicy/1/change/", data).status_code == 302
    assert AutomationPolicy.current().assessment_reminder_days == 9


def test_due_follow_up_emails_its_assignee_once(django_capture_on_commit_callbacks):
    due = FollowUpFactory(due_at=timezone.now() - timedelta(minutes=1), title="Chase the CDA")
    FollowUpFactory(due_at=timezone.now() + timedelta(hours=1))
    FollowUpFactory(
        due_at=timezone.now() - timedelta(hours=1), status=FollowUpStatus.DONE, completed_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert automation.remind_due_follow_ups() == 1
        assert automation.remind_due_follow_ups() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [due.assignee.email]
    assert "Chase the CDA" in message.subject and due.sponsor.name in message.subject
    assert f"/admin/engagements/followup/{due.pk}/change/" in message.body
    due.refresh_from_db()
    assert due.reminded_at == timezone.now()


def test_due_follow_up_is_announced_to_webhooks(django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(url="https://hooks.example/in", events=["follow_up.due"])
    FollowUpFactory(due_at=timezone.now() - timedelta(minutes=1))
    automation.remind_due_follow_ups()
    assert WebhookDelivery.objects.get().event == "follow_up.due"


def test_a_follow_up_already_claimed_is_not_reminded_again():
    follow_up = FollowUpFactory(due_at=timezone.now() - timedelta(minutes=1))
    FollowUp.objects.filter(pk=follow_up.pk).update(reminded_at=timezone.now())
    assert automation.remind_due_follow_ups() == 0
    assert not Notification.objects.exists()
