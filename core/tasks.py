"""Platform tasks: thin and idempotent, each calling a service."""

from celery import shared_task

from core import notifications, outbox, webhooks


@shared_task(name="core.tasks.deliver_webhook", acks_late=True)
def deliver_webhook(delivery_id: str) -> str:
    return webhooks.deliver(delivery_id).status


@shared_task(name="core.tasks.retry_webhooks")
def retry_webhooks() -> int:
    return webhooks.retry_due()


@shared_task(name="core.tasks.drain_outbox")
def drain_outbox() -> int:
    return outbox.drain()


@shared_task(name="core.tasks.purge_idempotency_records")
def purge_idempotency_records(days: int = 2) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from core.models import IdempotencyRecord

    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=days)
    ).delete()
    return deleted


@shared_task(name="core.tasks.send_notification", bind=True, acks_late=True)
def send_notification(self, notification_id: str) -> str:
    # The task id survives redelivery after a worker dies, so the same message may take its claim back.
    return notifications.send(notification_id, worker_token=self.request.id or "inline").status


@shared_task(name="core.tasks.retry_notifications")
def retry_notifications() -> int:
    return notifications.retry_due()


@shared_task(name="core.tasks.heartbeat", bind=True)
def heartbeat(self) -> str:
    from core.health import record_heartbeat

    record_heartbeat(self.request.hostname or "worker")
    return self.request.hostname or "worker"
