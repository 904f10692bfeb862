"""Webhooks: record an event for every subscribed endpoint, deliver it signed, retry with backoff.

Signature: header `Sourcewise-Signature: t=<unix time>,v1=<hex HMAC-SHA256>` where the HMAC key is
the endpoint's secret and the message is `"<t>." + raw request body`. Receivers recompute it and
reject old timestamps to stop replays.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from core import network, outbox
from core.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Sourcewise-Signature"
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
SENDING_TIMEOUT = timedelta(minutes=5)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does: check the signature and that the timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def emit(event: str, *, sponsor_id, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue `event` for every active endpoint subscribed to it (in the caller's transaction)."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True).filter(
        Q(sponsor__isnull=True) | Q(sponsor_id=sponsor_id)
    )
    payload = {
        "id": str(uuid.uuid4()),
        "event": event,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }
    deliveries = [
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=payload)
        for endpoint in endpoints
        if event in (endpoint.events or [])
    ]
    for delivery in deliveries:
        outbox.enqueue("core.tasks.deliver_webhook", str(delivery.pk))
    return deliveries


def backoff(attempt: int) -> timedelta:
    return min(LONGEST_RETRY, FIRST_RETRY * 2 ** max(0, attempt - 1))


@dataclass(frozen=True)
class DeliveryResult:
    status: str
    status_code: int | None = None
    error: str = ""


def deliver(delivery_id) -> DeliveryResult:
    """Attempt one delivery. Only the caller that claims the row sends, so it is never sent twice
    at once; a failure schedules the next attempt (see `retry_due`) until MAX_ATTEMPTS."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING]
    ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=timezone.now())
    if not claimed:
        return DeliveryResult("skipped")
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 - http(s) only; public addresses only (core.network)
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Sourcewise-Webhooks/1",
            "Sourcewise-Event": delivery.event,
            "Sourcewise-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: sign(delivery.endpoint.secret, int(time.time()), body),
        },
    )
    status_code, error = None, ""
    try:
        with network.opener().open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status_code = response.status
    except urllib.error.HTTPError as failure:
        status_code, error = failure.code, f"HTTP {failure.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as failure:
        error = f"{type(failure).__name__}: {failure}"[:500]
    now = timezone.now()
    if status_code is not None and 200 <= status_code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SUCCEEDED,
            last_status_code=status_code,
            last_error="",
            delivered_at=now,
            next_attempt_at=None,
        )
        return DeliveryResult(DeliveryStatus.SUCCEEDED, status_code)
    if delivery.attempts >= MAX_ATTEMPTS:
        status, next_at = DeliveryStatus.FAILED, None
    else:
        status, next_at = DeliveryStatus.RETRYING, now + backoff(delivery.attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status, last_status_code=status_code, last_error=error, next_attempt_at=next_at
    )
    log.warning("Webhook %s to %s failed (%s); %s", delivery.event, delivery.endpoint.url, error, status)
    return DeliveryResult(status, status_code, error)


def retry_due(*, limit: int = 200) -> int:
    """Queue deliveries whose next attempt is due, revive ones a dead worker left 'sending', and
    queue again pending ones whose message the broker lost (see the rule in core.outbox)."""
    now = timezone.now()
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, next_attempt_at__lt=now - SENDING_TIMEOUT
    ).update(status=DeliveryStatus.RETRYING)
    due = WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.PENDING, created_at__lt=now - outbox.LOST_AFTER)
    ).order_by("created_at")
    ids = [str(pk) for pk in due.values_list("pk", flat=True)[:limit]]
    for delivery_id in ids:
        outbox.enqueue("core.tasks.deliver_webhook", delivery_id)
    return len(ids)
