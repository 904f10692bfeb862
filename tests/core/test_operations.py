"""The admin's Operations page: queues, stuck jobs, and an audited requeue through a service."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import reports
from assessments.models import Report, ReportStatus
from core import audit, operations
from core.errors import ApplicationError
from core.models import DeliveryStatus, OutboxMessage, WebhookDelivery, WebhookEndpoint
from tests.assessments.reference import EMERGING_BIOTECH_NO_INFRASTRUCTURE
from tests.factories import submitted_assessment

pytestmark = pytest.mark.django_db
URL = "/admin/operations/"


@pytest.fixture
def stuck_report():
    report = reports.request_report(
        assessment=submitted_assessment(answers=EMERGING_BIOTECH_NO_INFRASTRUCTURE)
    )
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING,
        worker_task="dead",
        attempts=3,
        started_at=timezone.now() - reports.STALE_AFTER - timedelta(minutes=1),
    )
    return report


@pytest.fixture
def stuck_delivery():
    endpoint = WebhookEndpoint.objects.create(url="https://example.com/hooks", events=["report.ready"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="report.ready", payload={})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    return delivery


@pytest.fixture
def old_outbox_row():
    message = OutboxMessage.objects.create(task="core.tasks.retry_webhooks")
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=1))
    return message


@pytest.fixture
def operator_client(client, superuser):
    client.force_login(superuser)
    return client


def test_the_page_shows_queues_and_each_kind_of_stuck_job(
    operator_client, stuck_report, stuck_delivery, old_outbox_row
):
    page = operator_client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Report for {stuck_report.assessment.sponsor.name}" in text
    assert "Report ready to https://example.com/hooks" in text
    assert "Retry webhooks" in text
    assert "Outbox (saved, not yet handed to the broker)" in text
    assert 'name="reason"' in text


def test_account_managers_without_the_permission_are_refused(am_client):
    assert am_client.get(URL).status_code == 403


def test_requeueing_a_stuck_report_gives_it_fresh_attempts_and_is_audited(
    operator_client, superuser, stuck_report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = operator_client.post(
            URL, {"kind": "report", "ids": [str(stuck_report.pk)], "reason": "Fonts fixed on the workers"}
        )
    assert response.status_code == 302
    stuck_report.refresh_from_db()
    assert (stuck_report.status, stuck_report.attempts) == (ReportStatus.PENDING, 0)
    assert OutboxMessage.objects.filter(task="assessments.tasks.generate_report").count() == 2
    if audit.is_recording():
        latest = audit.rows(audit.events(obj=stuck_report))[0]
        assert latest["reason"] == "Requeued by an operator: Fonts fixed on the workers"
        assert latest["actor"] == f"user:{superuser.email}"


def test_requeueing_a_lost_delivery_and_an_old_outbox_row_is_audited(
    superuser, stuck_delivery, old_outbox_row, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        assert (
            operations.requeue_stuck(
                kind="delivery", ids=[stuck_delivery.pk], by=superuser, reason="Redis lost it"
            )
            == 1
        )
        assert (
            operations.requeue_stuck(
                kind="outbox", ids=[old_outbox_row.pk], by=superuser, reason="Broker back"
            )
            == 1
        )
    assert OutboxMessage.objects.filter(
        task="core.tasks.deliver_webhook", args=[str(stuck_delivery.pk)]
    ).exists()
    if audit.is_recording():
        (delivery_event,) = audit.rows(audit.events(obj=stuck_delivery))
        assert (delivery_event["event"], delivery_event["reason"]) == (
            "requeued",
            "Requeued by an operator: Redis lost it",
        )
        (outbox_event,) = audit.rows(audit.events(obj=old_outbox_row))
        assert outbox_event["actor"] == f"user:{superuser.email}"


def test_a_requeue_needs_a_reason(superuser, stuck_delivery):
    with pytest.raises(ApplicationError, match="Say why"):
        operations.requeue_stuck(kind="delivery", ids=[stuck_delivery.pk], by=superuser, reason="  ")
    assert not OutboxMessage.objects.exists()


def test_work_that_is_no_longer_stuck_is_left_alone(superuser):
    endpoint = WebhookEndpoint.objects.create(url="https://example.com/hooks", events=["report.ready"])
    fresh = WebhookDelivery.objects.create(endpoint=endpoint, event="report.ready", payload={})
    assert operations.requeue_stuck(kind="delivery", ids=[fresh.pk], by=superuser, reason="just because") == 0
    fresh.refresh_from_db()
    assert fresh.status == DeliveryStatus.PENDING


@pytest.mark.parametrize(
    "form",
    [
        {"kind": "report", "ids": ["not-a-uuid"], "reason": "x"},
        {"kind": "outbox", "ids": ["99999999999999999999999"], "reason": "x"},
        {"kind": "nonsense", "ids": ["1"], "reason": "x"},
        {"kind": "delivery", "reason": ""},
    ],
)
def test_whatever_the_form_sends_the_answer_is_never_a_500(operator_client, form):
    response = operator_client.post(URL, form, follow=True)
    assert response.status_code == 200


def test_the_admin_index_links_to_operations_for_operators(operator_client):
    assert reverse("admin:operations") in operator_client.get(reverse("admin:index")).content.decode()
