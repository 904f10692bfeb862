"""Faults, for real: a private redis-server that the test stops and restarts (never the shared
one), Celery workers in their own processes, PostgreSQL. A write with the broker down, a message
Redis lost, a report that overruns its time limits, health that tells the truth, two relays at
once."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from assessments import reports
from assessments.models import Report, ReportStatus
from core import outbox, webhooks
from core.models import DeliveryStatus, OutboxMessage, WebhookDelivery, WebhookEndpoint, WebhookEvent
from engagements import services as engagement_services
from engagements.models import Stage
from tests.assessments.reference import EMERGING_BIOTECH_NO_INFRASTRUCTURE
from tests.core.test_webhooks import Receiver
from tests.factories import EngagementFactory, submitted_assessment
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _subscribe(url: str, *events: str) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url=url, events=list(events))


def _attempted(delivery_id) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.filter(pk=delivery_id, attempts__gte=1)
        .exclude(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
        .first()
    )


def test_writes_with_the_broker_down_do_not_try_it_again_and_their_work_is_sent_once_it_is_back(
    on_private_redis, private_redis, receiver
):
    _subscribe(receiver.url, WebhookEvent.ENGAGEMENT_STAGE_CHANGED)
    first, second = EngagementFactory(), EngagementFactory()
    private_redis.stop()

    engagement_services.advance_stage(engagement=first, to_stage=Stage.QUALIFICATION)
    engagement_services.advance_stage(engagement=second, to_stage=Stage.QUALIFICATION)

    messages = list(OutboxMessage.objects.order_by("created_at"))
    assert len(messages) == 2 and all(m.dispatched_at is None for m in messages)
    # The first write tried the broker once and failed at once; the second, knowing it down,
    # did not try at all: its work waits for the relay.
    assert [m.attempts for m in messages] == [1, 0]
    assert "Connection refused" in messages[0].last_error

    private_redis.start()
    worker = on_private_redis()
    outbox._note_broker_up()  # what the relay's own success does; this process is the relay here
    assert outbox.drain(older_than=timedelta(0)) == 2
    deliveries = list(WebhookDelivery.objects.values_list("pk", flat=True))
    assert len(deliveries) == 2
    for delivery_id in deliveries:
        wait_for(lambda d=delivery_id: _attempted(d), message="the delivery after the outage")
    assert worker.process.poll() is None


def test_a_delivery_whose_message_redis_lost_is_sent_by_the_sweep(on_private_redis, private_redis, receiver):
    _subscribe(receiver.url, WebhookEvent.ENGAGEMENT_STAGE_CHANGED)
    engagement_services.advance_stage(engagement=EngagementFactory(), to_stage=Stage.QUALIFICATION)
    delivery = WebhookDelivery.objects.get()
    assert OutboxMessage.objects.get().dispatched_at is not None  # handed over to Redis...
    assert private_redis.client().llen(on_private_redis.queue) == 1
    private_redis.restart()  # ...which loses it: no persistence
    on_private_redis()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    with time_machine.travel(timezone.now() + outbox.LOST_AFTER + timedelta(seconds=1), tick=False):
        assert webhooks.retry_due() == 1
    assert wait_for(lambda: _attempted(delivery.pk), message="the recovered delivery").attempts == 1
    assert webhooks.retry_due() == 0  # nothing left to recover


@pytest.fixture
def submitted(on_private_redis):
    return submitted_assessment(answers=EMERGING_BIOTECH_NO_INFRASTRUCTURE)


@pytest.mark.parametrize(
    ("hard", "soft"),
    [
        pytest.param(0.3, 0, id="killed at the hard limit"),
        # Library code may swallow the soft limit's exception (font loading catches Exception):
        # then the hard limit ends the attempt, as it would in production.
        pytest.param(0.8, 0.3, id="stopped at the soft limit"),
    ],
)
def test_a_report_that_always_overruns_fails_after_three_attempts_in_words(
    on_private_redis, submitted, monkeypatch, hard, soft
):
    from assessments.tasks import generate_report

    # The sender writes the task's time limits into each message, so this process is configured
    # as the worker is (0: no soft limit, the worker's default one switched off too).
    monkeypatch.setattr(generate_report, "time_limit", hard)
    monkeypatch.setattr(generate_report, "soft_time_limit", soft or None)
    monkeypatch.setattr(generate_report, "_exec_options", None)  # Celery caches them at the first send
    limits = {"REPORT_TIME_LIMIT": str(hard), "REPORT_SOFT_TIME_LIMIT": str(soft)}
    # A fresh process per task: each attempt loads WeasyPrint and its fonts (1.2-3 s here).
    on_private_redis("--max-tasks-per-child", "1", CELERY_TASK_SOFT_TIME_LIMIT="0", **limits)
    report = reports.request_report(assessment=submitted)
    report = wait_for(
        lambda: Report.objects.filter(pk=report.pk, status=ReportStatus.FAILED).first(),
        timeout=60,
        message="the report to fail",
    )
    assert report.attempts == reports.MAX_ATTEMPTS
    assert report.failure_reason == reports.FAILED_TOO_SLOW.format(attempts=3)
    assert report.failure_reason.startswith("The report could not be produced: preparing it took too long")
    again = reports.request_report(assessment=submitted)
    assert again.pk != report.pk and again.status == ReportStatus.PENDING  # asking again starts afresh


def _health(path: str) -> tuple[int, dict]:
    response = Client().get(path)
    return response.status_code, response.json()


def test_health_tells_the_truth_when_a_worker_dies_and_when_redis_stops(on_private_redis, private_redis):
    from core.tasks import heartbeat

    worker = on_private_redis()
    heartbeat.apply_async().get(timeout=30)  # what beat sends every 15 s
    wait_for(lambda: _health("/health/")[0] == 200, timeout=20, message="health to be ok")

    worker.kill()  # SIGKILL: no goodbye
    killed_at = time.monotonic()
    status, body = wait_for(
        lambda: (lambda r: r if r[0] == 503 else None)(_health("/health/")), timeout=25, message="a 503"
    )
    assert time.monotonic() - killed_at < 20
    assert body["reasons"] == ["workers: no Celery worker has reported in the last 15 s"]

    private_redis.stop()
    status, body = _health("/health/")
    assert status == 503
    assert "broker: the Celery broker cannot be reached" in body["reasons"]
    assert "cache: the cache does not answer" in body["reasons"]
    status, body = _health("/health/ready")
    assert (status, body["reasons"]) == (503, ["cache: the cache does not answer"])
    assert _health("/health/live") == (200, {"status": "ok"})
    private_redis.start()
    assert _health("/health/ready")[0] == 200


def test_two_relays_at_once_hand_each_row_over_once(on_private_redis, private_redis):
    rows = 300
    OutboxMessage.objects.bulk_create(OutboxMessage(task="core.tasks.retry_webhooks") for _ in range(rows))
    start = threading.Barrier(2)
    sent = []

    def relay():
        try:
            start.wait()
            sent.append(outbox.drain(older_than=timedelta(0), limit=rows))
        finally:
            connection.close()

    relays = [threading.Thread(target=relay) for _ in range(2)]
    for thread in relays:
        thread.start()
    for thread in relays:
        thread.join()
    assert sum(sent) == rows
    assert private_redis.client().llen(on_private_redis.queue) == rows
    assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()


def test_metrics_add_up_what_every_worker_process_counted(on_private_redis, tmp_path, monkeypatch, settings):
    """prometheus-client's multiprocess mode: processes of a host count into one directory and
    /metrics sums them, so a web process shows what the worker's pool processes did."""
    from core.tasks import heartbeat

    folder = tmp_path / "metrics"
    folder.mkdir()
    on_private_redis(PROMETHEUS_MULTIPROC_DIR=str(folder))
    for _ in range(3):
        heartbeat.apply_async().get(timeout=30)
    settings.METRICS_TOKEN = "t" * 24
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer " + "t" * 24).content.decode()
    assert 'sourcewise_celery_tasks_total{outcome="succeeded",task="core.tasks.heartbeat"} 3.0' in text
    assert "sourcewise_celery_task_duration_seconds_count" in text
