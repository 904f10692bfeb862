"""The transactional outbox: Celery work that survives a broker outage.

`enqueue()` writes the task into the database inside the caller's transaction and tries to hand it
to the broker right after commit. If the broker is unreachable the save still succeeds; the row
waits, and `drain_outbox` (every minute, from beat) sends it once the broker is back. Tasks sent
this way must be idempotent: a message can be handed over twice (at least once, never zero).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.models import OutboxMessage

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(seconds=30)


def enqueue(task: str, *args) -> OutboxMessage:
    """Record `task(*args)` with the current transaction; send it after commit."""
    message = OutboxMessage.objects.create(task=task, args=list(args))
    transaction.on_commit(lambda: dispatch(message.pk))
    return message


def dispatch(message_id: int) -> bool:
    """Hand one pending message to the broker; False (and kept) when the broker is unreachable."""
    from config.celery import app

    message = OutboxMessage.objects.filter(pk=message_id, dispatched_at__isnull=True).first()
    if message is None:
        return True
    if message.task not in app.tasks:
        app.loader.import_default_modules()  # web processes import task modules lazily
    task = app.tasks[message.task]
    try:
        task.apply_async(args=message.args, retry=False)
    except (OperationalError, OSError) as error:
        log.warning("Broker unavailable for %s: %s", message, error)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_error=str(error)[:500]
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        dispatched_at=timezone.now(), attempts=F("attempts") + 1
    )
    return True


def drain(*, older_than: timedelta = RETRY_AFTER, limit: int = 500) -> int:
    """Send messages that were not handed over after commit. Returns how many were sent."""
    cutoff = timezone.now() - older_than
    pending = OutboxMessage.objects.filter(dispatched_at__isnull=True, created_at__lte=cutoff).order_by(
        "created_at"
    )
    sent = 0
    for message_id in pending.values_list("pk", flat=True)[:limit]:
        if not dispatch(message_id):
            break  # the broker is still down: try again on the next tick
        sent += 1
    return sent
