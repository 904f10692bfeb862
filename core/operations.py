"""The operator's view of background work: queue lengths, what waits, what is stuck, and the
service that queues stuck work again (audited, with the operator's reason).

Stuck means past the limit the sweeps themselves use (core.outbox explains the rule):
- a report running longer than its hard time limit plus grace, or pending longer than LOST_AFTER;
- a webhook delivery pending longer than LOST_AFTER, or sending longer than its lease;
- an outbox row not handed to the broker for longer than HEALTH_OUTBOX_MAX_AGE.
The sweeps recover all of these on their own once the broker and workers run; the operator's
requeue is for when they cannot wait (or to see that they were).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pghistory
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import audit, outbox
from core.errors import ApplicationError
from core.models import DeliveryStatus, Notification, NotificationStatus, OutboxMessage, WebhookDelivery

STUCK_KINDS = {
    "report": "Reports past their time limit or never started",
    "delivery": "Webhook deliveries waiting too long",
    "outbox": "Outbox rows not handed to the broker",
}


def _outbox_too_old() -> timedelta:
    return timedelta(seconds=settings.HEALTH_OUTBOX_MAX_AGE)


# --- reads ---------------------------------------------------------------------------------------


def queue_lengths() -> dict[str, int] | None:
    """Messages waiting in each Celery queue of the broker; None when the broker does not answer."""
    from config.celery import app

    queues = sorted({app.conf.task_default_queue, *(q.name for q in (app.conf.task_queues or []))})
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
            channel = conn.default_channel
            # Declaring a queue that exists changes nothing and answers its length (a passive
            # declare refuses a queue Redis has not created yet, i.e. an empty one).
            return {name: channel.queue_declare(name).message_count for name in queues}
    except Exception:  # the broker is down or refuses: a figure we cannot read, not a crash
        return None


def stuck_reports():
    from assessments import reports
    from assessments.models import Report, ReportStatus

    now = timezone.now()
    lost = now - outbox.LOST_AFTER
    return Report.objects.filter(
        Q(status=ReportStatus.RUNNING, started_at__lt=now - reports.STALE_AFTER)
        | Q(status=ReportStatus.PENDING, created_at__lt=lost)
        & (Q(started_at__isnull=True) | Q(started_at__lt=lost))
    ).select_related("assessment__sponsor")


def stuck_deliveries():
    from core.webhooks import SENDING_TIMEOUT

    now = timezone.now()
    return WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, created_at__lt=now - outbox.LOST_AFTER)
        | Q(status=DeliveryStatus.SENDING, next_attempt_at__lt=now - SENDING_TIMEOUT)
    ).select_related("endpoint")


def stuck_outbox():
    return OutboxMessage.objects.filter(
        dispatched_at__isnull=True, created_at__lt=timezone.now() - _outbox_too_old()
    )


@dataclass(frozen=True)
class Snapshot:
    queues: dict[str, int] | None
    outbox_pending: int
    outbox_oldest_seconds: int | None
    deliveries: dict[str, int]
    emails: dict[str, int]
    reports: dict[str, int]
    stuck: dict[str, int]


def _by_status(queryset, statuses) -> dict[str, int]:
    counts = dict(
        queryset.filter(status__in=statuses).values_list("status").annotate(n=Count("pk")).order_by()
    )
    return {status: counts.get(status, 0) for status in statuses}


def snapshot() -> Snapshot:
    """Everything the Operations page and the metrics show, in a handful of indexed queries."""
    from assessments.models import Report, ReportStatus
    from core.health import outbox_backlog

    backlog = outbox_backlog()
    return Snapshot(
        queues=queue_lengths(),
        outbox_pending=backlog["pending"],
        outbox_oldest_seconds=backlog["oldest_seconds"],
        deliveries=_by_status(
            WebhookDelivery.objects, [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.RETRYING]
        ),
        emails=_by_status(
            Notification.objects,
            [NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.RETRYING],
        ),
        reports=_by_status(Report.objects, [ReportStatus.PENDING, ReportStatus.RUNNING]),
        stuck={
            "report": stuck_reports().count(),
            "delivery": stuck_deliveries().count(),
            "outbox": stuck_outbox().count(),
        },
    )


# --- the operator's requeue -----------------------------------------------------------------------


def requeue_stuck(*, kind: str, ids, by, reason: str) -> int:
    """Queue the chosen stuck jobs again, recording who did it and why in the audit trail (the
    report's own row changes; deliveries and outbox rows get a 'requeued' event). Jobs that are
    no longer stuck are left alone. Returns how many were queued."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why you requeue these jobs: the reason goes into the audit trail.")
    if kind not in STUCK_KINDS:
        raise ApplicationError("Choose reports, webhook deliveries or outbox rows to requeue.")
    requeue_one = {"report": _requeue_report, "delivery": _requeue_delivery, "outbox": _requeue_outbox}[kind]
    done = 0
    with transaction.atomic(), audit.because(f"Requeued by an operator: {reason}"):
        if audit.is_recording():
            pghistory.context(actor=audit.actor_label(by))
        for pk in _parsed(kind, ids):
            done += requeue_one(pk)
    return done


def _parsed(kind: str, ids) -> list:
    """The ids that can name a row of this kind (others name nothing and are skipped)."""
    parsed = []
    for value in ids:
        try:
            pk = int(value) if kind == "outbox" else uuid.UUID(str(value))
        except ValueError:
            continue
        if kind != "outbox" or 0 < pk < 2**63:
            parsed.append(pk)
    return parsed


def _requeue_report(pk) -> int:
    from assessments import reports

    report = stuck_reports().select_for_update(of=("self",)).filter(pk=pk).first()
    if report is None:
        return 0
    reports.requeue(report=report)
    return 1


def _requeue_delivery(pk) -> int:
    delivery = stuck_deliveries().select_for_update(of=("self",)).filter(pk=pk).first()
    if delivery is None:
        return 0
    if delivery.status == DeliveryStatus.SENDING:  # its worker died: the claim goes back
        WebhookDelivery.objects.filter(pk=pk).update(status=DeliveryStatus.RETRYING, next_attempt_at=None)
    if audit.is_recording():
        pghistory.create_event(delivery, label="requeued")
    outbox.enqueue("core.tasks.deliver_webhook", str(delivery.pk))
    return 1


def _requeue_outbox(pk) -> int:
    message = stuck_outbox().select_for_update(skip_locked=True).filter(pk=pk).first()
    if message is None:
        return 0
    if audit.is_recording():
        pghistory.create_event(message, label="requeued")
    transaction.on_commit(lambda: outbox.dispatch(message.pk))
    return 1
