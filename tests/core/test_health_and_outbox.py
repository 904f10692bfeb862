"""The health endpoint and the outbox that keeps work through a broker outage."""

import pytest
from kombu.exceptions import OperationalError

from core import outbox
from core.health import record_heartbeat
from core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_health_reports_database_broker_and_workers(client):
    body = client.get("/health/").json()
    assert set(body["checks"]) == {"database", "broker", "workers"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["workers"]["ok"] is False  # no heartbeat yet
    assert body["status"] == "degraded"


def test_a_recent_worker_heartbeat_makes_health_ok(client):
    record_heartbeat("celery@worker-1")
    body = client.get("/health/").json()
    assert body["checks"]["workers"] == {
        **body["checks"]["workers"],
        "ok": True,
        "detail": ["celery@worker-1"],
    }
    assert body["status"] == "ok"


def test_health_is_never_cached(client):
    assert "no-cache" in client.get("/health/")["Cache-Control"]


def test_work_queued_while_the_broker_is_down_waits_in_the_outbox(
    monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def broker_down(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr("celery.app.task.Task.apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue("core.tasks.retry_webhooks")
    message.refresh_from_db()
    assert message.dispatched_at is None and message.attempts == 1
    assert "Connection refused" in message.last_error

    monkeypatch.setattr("celery.app.task.Task.apply_async", lambda self, *a, **k: calls.append(a))
    assert outbox.drain(older_than=__import__("datetime").timedelta(0)) == 1
    message.refresh_from_db()
    assert message.dispatched_at is not None
    assert len(calls) == 1
    assert outbox.drain() == 0


def test_draining_stops_at_the_first_failure(monkeypatch):
    from datetime import timedelta

    for _ in range(3):
        OutboxMessage.objects.create(task="core.tasks.retry_webhooks")
    monkeypatch.setattr(
        "celery.app.task.Task.apply_async",
        lambda self, *a, **k: (_ for _ in ()).throw(OperationalError("down")),
    )
    assert outbox.drain(older_than=timedelta(0)) == 0
    assert OutboxMessage.objects.filter(attempts=1).count() == 1  # it did not hammer a dead broker
