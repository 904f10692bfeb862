"""/metrics: closed unless a token or an address allows it; what it counts and what it reads."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import DeliveryStatus, OutboxMessage, WebhookDelivery, WebhookEndpoint
from tests.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def _value(text: str, name: str, **labels) -> float:
    """One sample of the exposition text, e.g. _value(text, "x_total", view="health")."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        sample, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample))
        if sample.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    raise AssertionError(f"no sample {name} {labels}")


def test_without_a_token_or_an_allowed_address_metrics_are_not_found(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    response = client.get("/metrics")
    assert response.status_code == 404
    assert b"sourcewise" not in response.content


@pytest.mark.parametrize("header", ["", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_a_wrong_token_gets_the_same_404(client, token, header):
    response = client.get("/metrics", HTTP_AUTHORIZATION=header)
    assert response.status_code == 404
    assert b"sourcewise" not in response.content


def test_the_token_opens_metrics(client, token):
    response = client.get("/metrics", **token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_an_allowed_network_opens_metrics_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 404


def test_requests_are_counted_by_view_with_their_queries(client, token):
    before = client.get("/metrics", **token).content.decode()
    for _ in range(3):
        client.get("/health/ready")
    text = client.get("/metrics", **token).content.decode()

    def delta(name, **labels):
        try:
            old = _value(before, name, **labels)
        except AssertionError:
            old = 0.0
        return _value(text, name, **labels) - old

    assert delta("sourcewise_http_requests_total", view="health-ready", method="GET", status="200") == 3
    assert delta("sourcewise_http_request_duration_seconds_count", view="health-ready", method="GET") == 3
    # /health/ready runs one query (SELECT 1) per request
    assert delta("sourcewise_http_request_db_queries_sum", view="health-ready") == 3


def test_backlogs_and_stuck_work_are_read_at_scrape_time(client, token):
    waiting = OutboxMessage.objects.create(task="core.tasks.retry_webhooks")
    OutboxMessage.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(minutes=7))
    endpoint = WebhookEndpoint.objects.create(url="https://example.com/hooks", events=["report.ready"])
    old = WebhookDelivery.objects.create(endpoint=endpoint, event="report.ready", payload={})
    WebhookDelivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    WebhookDelivery.objects.create(
        endpoint=endpoint, event="report.ready", payload={}, status=DeliveryStatus.RETRYING
    )
    text = client.get("/metrics", **token).content.decode()
    assert _value(text, "sourcewise_outbox_backlog") == 1
    assert 419 <= _value(text, "sourcewise_outbox_oldest_age_seconds") <= 430
    assert _value(text, "sourcewise_webhook_deliveries", status="pending") == 1
    assert _value(text, "sourcewise_webhook_deliveries", status="retrying") == 1
    assert _value(text, "sourcewise_stuck_jobs", kind="delivery") == 1
    assert _value(text, "sourcewise_stuck_jobs", kind="outbox") == 1
    assert _value(text, "sourcewise_stuck_jobs", kind="report") == 0
    assert _value(text, "sourcewise_broker_up") == 1


def test_tasks_and_reminders_sent_are_counted(client, token, django_capture_on_commit_callbacks):
    from engagements.tasks import remind_due_follow_ups

    def counts():
        text = client.get("/metrics", **token).content.decode()
        values = {}
        for name, labels in (
            (
                "sourcewise_celery_tasks_total",
                {"task": "engagements.tasks.remind_due_follow_ups", "outcome": "succeeded"},
            ),
            ("sourcewise_emails_sent_total", {"kind": "follow_up_due"}),
        ):
            try:
                values[name] = _value(text, name, **labels)
            except AssertionError:
                values[name] = 0.0
        return values

    before = counts()
    FollowUpFactory(due_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):  # tasks run inline in unit tests
        remind_due_follow_ups.delay()
    after = counts()
    assert after["sourcewise_celery_tasks_total"] - before["sourcewise_celery_tasks_total"] == 1
    assert after["sourcewise_emails_sent_total"] - before["sourcewise_emails_sent_total"] == 1
