"""GET /health/: is the database up, can the broker be reached, are workers running?

200 when the database answers (the web process can serve); the body says whether the broker and
the Celery workers are healthy, so monitoring can alert on "degraded" without the load balancer
pulling web processes that still work.
"""

import time

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.models import OutboxMessage


def _timed(check):
    started = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as error:  # any failure of a dependency is a health result, not a crash
        detail, ok = f"{type(error).__name__}: {error}"[:200], False
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _broker():
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return conn.transport_cls if isinstance(conn.transport_cls, str) else conn.transport.driver_name


HEARTBEAT_KEY = "health:worker-heartbeats"
HEARTBEAT_FRESH_SECONDS = 90


def record_heartbeat(hostname: str) -> None:
    """Called by the `core.tasks.heartbeat` beat task: beat, broker and a worker all work."""
    beats = cache.get(HEARTBEAT_KEY) or {}
    now = time.time()
    beats = {host: at for host, at in beats.items() if now - at < HEARTBEAT_FRESH_SECONDS * 10}
    beats[hostname] = now
    cache.set(HEARTBEAT_KEY, beats, timeout=HEARTBEAT_FRESH_SECONDS * 10)


def _workers():
    now = time.time()
    fresh = {host: round(now - at) for host, at in (cache.get(HEARTBEAT_KEY) or {}).items()}
    alive = sorted(host for host, age in fresh.items() if age < HEARTBEAT_FRESH_SECONDS)
    if not alive:
        raise RuntimeError(f"no worker heartbeat in the last {HEARTBEAT_FRESH_SECONDS} s")
    return alive


@never_cache
@require_GET
def health(request):
    checks = {"database": _timed(_database), "broker": _timed(_broker), "workers": _timed(_workers)}
    pending = (
        OutboxMessage.objects.filter(dispatched_at__isnull=True).count() if checks["database"]["ok"] else None
    )
    status = "ok" if all(c["ok"] for c in checks.values()) else "degraded"
    if not checks["database"]["ok"]:
        status = "down"
    body = {"status": status, "checks": checks, "outbox_pending": pending}
    return JsonResponse(body, status=503 if status == "down" else 200)
