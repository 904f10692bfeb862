"""E-mail notifications: queued once, rendered from templates, sent once, failures retried."""

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core import notifications
from core.models import Notification, NotificationStatus

pytestmark = pytest.mark.django_db

CONTEXT = {
    "title": "Send revised budget",
    "notes": "",
    "due_at": "2026-11-25 09:00 UTC",
    "sponsor": "Aurora Bio",
    "engagement": "Phase II",
    "url": "http://testserver/admin/x",
    "sponsor_url": "http://testserver/admin/y",
}


def _queue(key="k1"):
    return notifications.notify(
        kind="follow_up_due", to="maya@cro.example", recipient_name="Maya", context=CONTEXT, dedupe_key=key
    )


def test_the_same_dedupe_key_is_queued_once():
    assert _queue() is not None
    assert _queue() is None
    assert Notification.objects.count() == 1


def test_sending_renders_text_and_html_and_marks_sent():
    notification = _queue()
    assert notifications.send(notification.pk, worker_token="t1").status == NotificationStatus.SENT
    message = mail.outbox[0]
    assert message.to == ["maya@cro.example"]
    assert message.subject == "Follow-up due: Send revised budget (Aurora Bio)"
    assert "Dear Maya" in message.body and "http://testserver/admin/x" in message.body
    html = message.alternatives[0][0]
    assert "Dear Maya" in html and 'href="http://testserver/admin/x"' in html
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and notification.sent_at


def test_a_second_run_of_the_task_does_not_send_again():
    notification = _queue()
    notifications.send(notification.pk, worker_token="t1")
    assert notifications.send(notification.pk, worker_token="t2").status == "skipped"
    assert notifications.send(notification.pk, worker_token="t1").status == "skipped"
    assert len(mail.outbox) == 1


def test_a_claim_held_by_another_live_worker_is_respected():
    notification = _queue()
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, claimed_by="other", claimed_at=timezone.now()
    )
    assert notifications.send(notification.pk, worker_token="me").status == "skipped"
    assert not mail.outbox


def test_the_same_message_redelivered_after_a_crash_takes_its_claim_back():
    notification = _queue()
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, claimed_by="task-1", claimed_at=timezone.now()
    )
    assert notifications.send(notification.pk, worker_token="task-1").status == NotificationStatus.SENT
    assert len(mail.outbox) == 1


def test_an_abandoned_claim_is_taken_over_after_the_lease():
    notification = _queue()
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING,
        claimed_by="dead",
        claimed_at=timezone.now() - notifications.CLAIM_LEASE - timedelta(seconds=1),
    )
    assert notifications.send(notification.pk, worker_token="alive").status == NotificationStatus.SENT


def test_a_failed_send_is_recorded_and_retried_with_backoff(monkeypatch):
    def broken(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection lost")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    notification = _queue()
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False):
        result = notifications.send(notification.pk, worker_token="t1")
    notification.refresh_from_db()
    assert result.status == notification.status == NotificationStatus.RETRYING
    assert "connection lost" in notification.last_error
    assert notification.attempts == 1
    assert notification.next_attempt_at.isoformat() == "2026-11-25T10:01:00+00:00"
    # Not due yet: a retry now is refused; once due it is claimed again.
    with time_machine.travel("2026-11-25 10:00:30+00:00", tick=False):
        assert notifications.send(notification.pk, worker_token="t2").status == "skipped"
    with time_machine.travel("2026-11-25 10:01:01+00:00", tick=False):
        notifications.send(notification.pk, worker_token="t3")
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert notification.next_attempt_at.isoformat() == "2026-11-25T10:03:01+00:00"


def test_it_gives_up_after_the_last_attempt(monkeypatch):
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send",
        lambda self, *a, **k: (_ for _ in ()).throw(OSError("down")),
    )
    notification = _queue()
    Notification.objects.filter(pk=notification.pk).update(attempts=notifications.MAX_ATTEMPTS - 1)
    assert notifications.send(notification.pk, worker_token="t").status == NotificationStatus.FAILED
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED and notification.next_attempt_at is None


def test_retry_due_requeues_due_and_abandoned_notifications(django_capture_on_commit_callbacks):
    due = _queue("due")
    abandoned = _queue("abandoned")
    later = _queue("later")
    now = timezone.now()
    Notification.objects.filter(pk=due.pk).update(status=NotificationStatus.RETRYING, next_attempt_at=now)
    Notification.objects.filter(pk=abandoned.pk).update(
        status=NotificationStatus.SENDING, claimed_by="dead", claimed_at=now - timedelta(hours=1)
    )
    Notification.objects.filter(pk=later.pk).update(
        status=NotificationStatus.RETRYING, next_attempt_at=now + timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.retry_due() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["maya@cro.example", "maya@cro.example"]
    later.refresh_from_db()
    assert later.status == NotificationStatus.RETRYING
