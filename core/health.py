"""Health endpoints, split the way orchestrators expect (README: Operations).

- `/health/live`: the process answers. Nothing else is checked, so a broken dependency never
  gets web processes restarted (wire it to a liveness probe).
- `/health/ready`: the database and the cache answer; 503 otherwise (a readiness probe or a load
  balancer's health check: a process that cannot reach them should get no traffic).
- `/health/`: every dependency: database, cache, broker, Celery workers, beat and the outbox
  backlog; 503 with the reasons when any is down (monitoring and alerting, not load balancing).

Workers announce themselves from their own main process every WORKER_HEARTBEAT_INTERVAL seconds
(a Celery bootstep, so a worker busy with long tasks still does) and take their entry away when
they stop; a killed worker is noticed WORKER_FRESH_SECONDS after its last heartbeat. Beat is
alive while its heartbeat task, sent every 15 s, keeps being run (which needs a worker too).
"""

import logging
import time

from celery import bootsteps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

WORKERS_KEY = "health:workers"
BEAT_KEY = "health:beat"
WORKER_HEARTBEAT_INTERVAL = 5
WORKER_FRESH_SECONDS = 15
BEAT_FRESH_SECONDS = 60  # four ticks of the 15-second heartbeat task


class CheckFailed(Exception):
    """A dependency is down; the message is the reason shown in the health body."""


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail, ok, reason = check(), True, ""
    except CheckFailed as failure:
        detail, ok, reason = None, False, str(failure)
    except Exception as error:  # any failure of a dependency is a health result, not a crash
        log.warning("Health check %s failed: %s", check.__name__, error, exc_info=True)
        detail, ok, reason = None, False, DOWN_REASONS.get(check.__name__, "it did not answer")
    result = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if detail is not None:
        result["detail"] = detail
    if reason:
        result["reason"] = reason
    return result


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache():
    cache.set("health:probe", 1, timeout=10)
    if cache.get("health:probe") != 1:
        raise CheckFailed("the cache does not keep what it is given")
    return "ok"


def _broker():
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=2)
        return conn.transport.driver_name


def _workers():
    now = time.time()
    alive = [at for at in (cache.get(WORKERS_KEY) or {}).values() if now - at < WORKER_FRESH_SECONDS]
    if not alive:
        raise CheckFailed(f"no Celery worker has reported in the last {WORKER_FRESH_SECONDS} s")
    return {"alive": len(alive)}


def _beat():
    at = cache.get(BEAT_KEY)
    age = None if at is None else time.time() - at
    if age is None or age >= BEAT_FRESH_SECONDS:
        raise CheckFailed(
            f"no scheduled task has run in the last {BEAT_FRESH_SECONDS} s: beat is down, or no worker "
            "takes its tasks"
        )
    return {"last_tick_seconds_ago": round(age)}


def _outbox():
    backlog = outbox_backlog()
    limit = settings.HEALTH_OUTBOX_MAX_AGE
    if backlog["oldest_seconds"] is not None and backlog["oldest_seconds"] > limit:
        raise CheckFailed(
            f"{backlog['pending']} queued task(s) waiting, the oldest for {backlog['oldest_seconds']} s "
            f"(more than {limit} s): the broker or the relay is not working"
        )
    return backlog


DOWN_REASONS = {
    "_database": "the database does not answer",
    "_cache": "the cache does not answer",
    "_broker": "the Celery broker cannot be reached",
    "_workers": "the worker registry (in the cache) cannot be read",
    "_beat": "beat's last tick (in the cache) cannot be read",
    "_outbox": "the outbox backlog cannot be read",
}


def outbox_backlog() -> dict:
    """How many outbox rows wait for the broker, and the age of the oldest in seconds."""
    from core.models import OutboxMessage  # this module is imported with the Celery app, before models

    waiting = OutboxMessage.objects.filter(dispatched_at__isnull=True)
    oldest = waiting.order_by("created_at").values_list("created_at", flat=True).first()
    return {
        "pending": waiting.count(),
        "oldest_seconds": None if oldest is None else round((timezone.now() - oldest).total_seconds()),
    }


def _answer(checks: dict[str, dict]) -> JsonResponse:
    down = {name: check["reason"] for name, check in checks.items() if not check["ok"]}
    body = {"status": "down" if down else "ok", "checks": checks}
    if down:
        body["reasons"] = [f"{name}: {reason}" for name, reason in down.items()]
    return JsonResponse(body, status=503 if down else 200)


@never_cache
@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    return _answer({"database": _timed(_database), "cache": _timed(_cache)})


@never_cache
@require_GET
def health(request):
    checks = {"database": _timed(_database), "cache": _timed(_cache), "broker": _timed(_broker)}
    checks["workers"] = _timed(_workers)
    checks["beat"] = _timed(_beat)
    checks["outbox"] = _timed(_outbox) if checks["database"]["ok"] else _skipped("the database is down")
    return _answer(checks)


def _skipped(reason: str) -> dict:
    return {"ok": False, "ms": 0.0, "reason": reason}


# --- what workers and beat record ---------------------------------------------------------------


def record_worker(hostname: str) -> None:
    """A worker is alive now (called from its main process by WorkerHeartbeat)."""
    now = time.time()
    workers = cache.get(WORKERS_KEY) or {}
    workers = {host: at for host, at in workers.items() if now - at < WORKER_FRESH_SECONDS * 20}
    workers[hostname] = now
    cache.set(WORKERS_KEY, workers, timeout=WORKER_FRESH_SECONDS * 20)


def forget_worker(hostname: str) -> None:
    """A worker stops: it is gone now, not WORKER_FRESH_SECONDS later."""
    workers = cache.get(WORKERS_KEY) or {}
    if workers.pop(hostname, None) is not None:
        cache.set(WORKERS_KEY, workers, timeout=WORKER_FRESH_SECONDS * 20)


def record_heartbeat(hostname: str) -> None:
    """Called by the `core.tasks.heartbeat` beat task: beat, the broker and a worker all work."""
    cache.set(BEAT_KEY, time.time(), timeout=BEAT_FRESH_SECONDS * 20)
    record_worker(hostname)


def worker_ages() -> dict[str, int]:
    """Seconds since each known worker last reported (for the operator's page)."""
    now = time.time()
    return {host: round(now - at) for host, at in sorted((cache.get(WORKERS_KEY) or {}).items())}


def beat_age() -> int | None:
    at = cache.get(BEAT_KEY)
    return None if at is None else round(time.time() - at)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Worker bootstep: report this worker alive from its main process, and gone when it stops."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        self._beat(worker)
        self.tref = worker.timer.call_repeatedly(
            WORKER_HEARTBEAT_INTERVAL, self._beat, (worker,), priority=10
        )

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        try:
            forget_worker(worker.hostname)
        except Exception:  # the cache is down: the entry expires on its own
            log.warning("Could not remove %s from the worker registry", worker.hostname, exc_info=True)

    def _beat(self, worker):
        try:
            record_worker(worker.hostname)
        except Exception:  # the cache is down: /health/ says so; keep the worker working
            log.warning("Could not record the heartbeat of %s", worker.hostname, exc_info=True)
