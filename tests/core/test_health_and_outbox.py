"""The health endpoints and the outbox that keeps work through a broker outage."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from core import outbox
from core.health import forget_worker, record_heartbeat, record_worker
from core.models import OutboxMessage

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: a cache there is down.
DEAD_CACHE = override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
)


def test_liveness_answers_without_looking_at_any_dependency(client):
    with DEAD_CACHE:
        response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_the_database_and_the_cache(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert set(body["checks"]) == {"database", "cache"}
    assert body["status"] == "ok"


def test_readiness_is_503_with_the_reason_when_the_cache_is_down(client):
    with DEAD_CACHE:
        response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["reasons"] == ["cache: the cache does not answer"]
    assert "127.0.0.1" not in response.content.decode()  # no addresses or exception text leak out


def test_full_status_is_503_and_says_why_when_no_worker_and_no_beat_are_running(client):
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert set(body["checks"]) == {"database", "cache", "broker", "workers", "beat", "outbox"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["reasons"] == [
        "workers: no Celery worker has reported in the last 15 s",
        "beat: no scheduled task has run in the last 60 s: beat is down, or no worker takes its tasks",
    ]


def test_a_recent_worker_and_beat_tick_make_the_full_status_ok(client):
    record_heartbeat("celery@worker-1")
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["workers"]["detail"] == {"alive": 1}
    assert body["checks"]["outbox"]["detail"] == {"pending": 0, "oldest_seconds": None}


def test_a_killed_worker_is_noticed_within_15_seconds(client):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        record_heartbeat("celery@worker-1")
        clock.shift(14)
        assert client.get("/health/").status_code == 200
        clock.shift(2)  # no heartbeat since: the worker was killed
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["reasons"] == ["workers: no Celery worker has reported in the last 15 s"]


def test_a_worker_that_stops_is_gone_at_once(client):
    record_heartbeat("celery@beat-runner")
    forget_worker("celery@beat-runner")
    record_worker("celery@other")
    forget_worker("celery@other")
    body = client.get("/health/").json()
    assert body["checks"]["workers"]["ok"] is False


def test_an_old_outbox_backlog_makes_the_full_status_down(client, settings):
    record_heartbeat("celery@worker-1")
    message = OutboxMessage.objects.create(task="core.tasks.retry_webhooks")
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    response = client.get("/health/")
    assert response.status_code == 503
    (reason,) = response.json()["reasons"]
    assert reason.startswith("outbox: 1 queued task(s) waiting, the oldest for 36")
    settings.HEALTH_OUTBOX_MAX_AGE = 3600
    assert client.get("/health/").status_code == 200


def test_health_is_never_cached(client):
    for path in ("/health/", "/health/live", "/health/ready"):
        assert "no-cache" in client.get(path)["Cache-Control"]


def _broker_down(self, *args, **kwargs):
    raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")


def test_work_queued_while_the_broker_is_down_waits_in_the_outbox(
    monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr("celery.app.task.Task.apply_async", _broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.enqueue("core.tasks.retry_webhooks")
    message.refresh_from_db()
    assert message.dispatched_at is None and message.attempts == 1
    assert "Connection refused" in message.last_error

    monkeypatch.setattr("celery.app.task.Task.apply_async", lambda self, *a, **k: calls.append(a))
    assert outbox.drain(older_than=timedelta(0)) == 1
    message.refresh_from_db()
    assert message.dispatched_at is not None
    assert len(calls) == 1
    assert outbox.drain() == 0


def test_after_a_failed_hand_over_writes_leave_their_work_to_the_relay(
    monkeypatch, django_capture_on_commit_callbacks
):
    attempts = []

    def broker_down(self, *args, **kwargs):
        attempts.append(self.name)
        _broker_down(self)

    monkeypatch.setattr("celery.app.task.Task.apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.enqueue("core.tasks.retry_webhooks")
    with django_capture_on_commit_callbacks(execute=True):
        second = outbox.enqueue("core.tasks.retry_notifications")
    assert attempts == ["core.tasks.retry_webhooks"]  # the second write did not touch the broker
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 0)
    assert second.dispatched_at is None  # it waits for the relay


def test_a_publish_never_retries_inside_the_caller(settings):
    """kombu retries a refused connection for seconds inside apply_async unless told not to."""
    if not settings.REDIS_URL:
        pytest.skip("the filesystem broker cannot be down")
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["max_retries"] == 0
    assert options["socket_connect_timeout"] <= 1


def test_draining_stops_at_the_first_failure(monkeypatch):
    for _ in range(3):
        OutboxMessage.objects.create(task="core.tasks.retry_webhooks")
    monkeypatch.setattr("celery.app.task.Task.apply_async", _broker_down)
    assert outbox.drain(older_than=timedelta(0)) == 0
    assert OutboxMessage.objects.filter(attempts=1).count() == 1  # it did not hammer a dead broker
