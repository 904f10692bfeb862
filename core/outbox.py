"""The transactional outbox: Celery work that survives a broker outage.

`enqueue()` writes the task into the database inside the caller's transaction and hands it to the
broker right after commit. A write never waits on the broker: the hand-over is one attempt with no
connection retries (`max_retries: 0` in the broker's transport options) over connections whose
connect and socket timeouts are HAND_OVER_TIMEOUT (a Redis that accepts and never answers costs
that, not the broker's usual 5 s), and after a failed attempt this process skips the broker for
BROKER_RETRY_AFTER, so the next writes do not even try. The row waits, and `drain_outbox` (every
minute, from beat) sends it once the broker is back. The relay claims its rows with
`SELECT ... FOR UPDATE SKIP LOCKED`, so two relays running at once hand each row over once.
Tasks sent this way must be idempotent: a message can still be handed over twice (at least
once, never zero).

The rule for every piece of queued work (e-mails, webhook deliveries, reports): the row that
describes the work is the truth, the broker message only a wake-up call. A broker can lose a
message it was handed (Redis restarted without persistence, a message acknowledged by a worker
that then died), so each kind of work has a sweep, run by beat, that queues again any row still
waiting LOST_AFTER after it was queued, or still claimed by a worker past its lease. The task's
own claim (a conditional UPDATE) makes a duplicate message harmless.
"""

import logging
import os
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import LimitExceeded, OperationalError

from core.models import OutboxMessage

log = logging.getLogger(__name__)
RETRY_AFTER = timedelta(seconds=30)
# After a failed hand-over, writes in this process leave their messages to the relay this long.
BROKER_RETRY_AFTER = timedelta(seconds=10)
# Work still waiting this long after it was queued is presumed lost by the broker (see above).
LOST_AFTER = timedelta(minutes=10)
HAND_OVER_TIMEOUT = 0.5  # seconds, connect and each socket operation, for the after-commit hand-over

_hand_over = {"key": None, "pool": None}

_broker_down_until = 0.0  # time.monotonic() before which this process does not try the broker


def broker_known_down() -> bool:
    """True while this process recently failed to reach the broker."""
    return time.monotonic() < _broker_down_until


def _note_broker_down() -> None:
    global _broker_down_until
    _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER.total_seconds()


def _note_broker_up() -> None:
    global _broker_down_until
    _broker_down_until = 0.0


def _hand_over_connections():
    """This process's pool of broker connections with short timeouts (made again after a fork or
    when the broker's address changes)."""
    from config.celery import app

    key = (os.getpid(), str(app.conf.broker_url))
    if _hand_over["key"] != key:
        options = dict(app.conf.broker_transport_options or {})
        if key[1].startswith(("redis://", "rediss://")):
            options.update(socket_timeout=HAND_OVER_TIMEOUT, socket_connect_timeout=HAND_OVER_TIMEOUT)
        connection = app.connection_for_write(transport_options=options)
        _hand_over.update(key=key, pool=connection.Pool(limit=app.conf.broker_pool_limit or 10))
    return _hand_over["pool"]


def enqueue(task: str, *args) -> OutboxMessage:
    """Record `task(*args)` with the current transaction; send it after commit."""
    message = OutboxMessage.objects.create(task=task, args=list(args))
    transaction.on_commit(lambda: dispatch(message.pk))
    return message


def dispatch(message_id: int) -> bool:
    """Hand one pending message to the broker right after commit; False (and kept for the relay)
    when the broker is unreachable or known to be down. Never retries, never waits."""
    if broker_known_down():
        return False
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, dispatched_at__isnull=True)
            .first()
        )
        if message is None:  # sent already, or the relay holds it right now
            return True
        return _publish(message, fast=True)


def _publish(message: OutboxMessage, *, fast: bool = False) -> bool:
    """Publish one claimed message and record the outcome (the caller holds the row's lock).
    `fast`: over the short-timeout connections of the after-commit hand-over."""
    from config.celery import app

    if message.task not in app.tasks:
        app.loader.import_default_modules()  # web processes import task modules lazily
    task = app.tasks[message.task]
    try:
        if fast and not app.conf.task_always_eager:
            with _hand_over_connections().acquire(block=True, timeout=HAND_OVER_TIMEOUT) as connection:
                task.apply_async(args=message.args, retry=False, connection=connection)
        else:
            task.apply_async(args=message.args, retry=False)
    except (OperationalError, OSError, LimitExceeded) as error:
        _note_broker_down()
        log.warning("Broker unavailable for %s: %s", message, error)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_error=str(error)[:500]
        )
        return False
    _note_broker_up()
    OutboxMessage.objects.filter(pk=message.pk).update(
        dispatched_at=timezone.now(), attempts=F("attempts") + 1
    )
    return True


def drain(*, older_than: timedelta = RETRY_AFTER, limit: int = 500) -> int:
    """Send messages that were not handed over after commit. Returns how many were sent.

    The rows are claimed with FOR UPDATE SKIP LOCKED: a second relay at the same moment skips
    them and takes the next ones, so each row is handed over once."""
    cutoff = timezone.now() - older_than
    sent = 0
    with transaction.atomic():
        claimed = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True, created_at__lte=cutoff)
            .order_by("created_at")[:limit]
        )
        for message in claimed:
            if not _publish(message):
                break  # the broker is still down: try again on the next tick
            sent += 1
    return sent
