"""E-mail notifications: queued once per dedupe key, rendered from templates, sent once, retried.

Templates live in templates/emails/<kind>/ as subject.txt, body.txt and body.html; the context is
stored with the notification, so a retry sends exactly what was queued.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from core import metrics, outbox
from core.models import Notification, NotificationStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)
# A claim older than this belongs to a worker that died: the work may be taken over.
CLAIM_LEASE = timedelta(minutes=10)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def notify(
    *, kind: str, to: str, context: dict[str, Any], dedupe_key: str, recipient_name: str = ""
) -> Notification | None:
    """Queue one e-mail unless one with this dedupe key exists; returns None when it already did."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                kind=kind, to=to, recipient_name=recipient_name, context=context, dedupe_key=dedupe_key[:200]
            )
    except IntegrityError:
        return None
    outbox.enqueue("core.tasks.send_notification", str(notification.pk))
    return notification


def _password_setup_link(user_id) -> str:
    """A fresh single-use link for a new portal member to choose a password (made at send time,
    so the token is never stored)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from core.models import User

    user = User.objects.get(pk=user_id)
    path = reverse(
        "portal:password_reset_confirm",
        args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
    )
    return absolute_url(path)


def render(notification: Notification) -> tuple[str, str, str]:
    from django.urls import reverse

    context = {
        **notification.context,
        "recipient_name": notification.recipient_name,
        "brand": settings.SOURCEWISE_BRAND,
        "site_url": settings.SITE_URL,
    }
    if notification.kind == "portal_invitation":
        user_id = context.get("password_setup_user_id")
        context["url"] = _password_setup_link(user_id) if user_id else absolute_url(reverse("portal:login"))
    if notification.kind == "two_factor_enrolment":
        from core.enrolment import emailed_link_url

        context["url"] = emailed_link_url(context.get("enrolment_link_id"))
    folder = f"emails/{notification.kind}"
    subject = " ".join(render_to_string(f"{folder}/subject.txt", context).split())
    return (
        subject,
        render_to_string(f"{folder}/body.txt", context),
        render_to_string(f"{folder}/body.html", context),
    )


@dataclass(frozen=True)
class SendResult:
    status: str
    error: str = ""


def backoff(attempt: int) -> timedelta:
    return min(LONGEST_RETRY, FIRST_RETRY * 2 ** max(0, attempt - 1))


def send(notification_id, *, worker_token: str) -> SendResult:
    """Send one queued e-mail if this caller wins the claim (see the model's docstring)."""
    now = timezone.now()
    claimable = (
        Q(status=NotificationStatus.PENDING)
        | Q(status=NotificationStatus.RETRYING, next_attempt_at__lte=now)
        | Q(status=NotificationStatus.SENDING, claimed_by=worker_token)  # our own redelivered message
        | Q(status=NotificationStatus.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    )
    claimed = Notification.objects.filter(claimable, pk=notification_id).update(
        status=NotificationStatus.SENDING, claimed_by=worker_token, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return SendResult("skipped")
    notification = Notification.objects.get(pk=notification_id)
    try:
        subject, text, html = render(notification)
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [notification.to])
        message.attach_alternative(html, "text/html")
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        failed = notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.FAILED if failed else NotificationStatus.RETRYING,
            next_attempt_at=None if failed else timezone.now() + backoff(notification.attempts),
            last_error=f"{type(error).__name__}: {error}"[:1000],
        )
        log.warning(
            "E-mail %s to %s failed (attempt %s): %s",
            notification.kind,
            notification.to,
            notification.attempts,
            error,
        )
        return SendResult(NotificationStatus.FAILED if failed else NotificationStatus.RETRYING, str(error))
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
    )
    metrics.EMAILS_SENT.labels(notification.kind).inc()
    return SendResult(NotificationStatus.SENT)


def retry_due(*, limit: int = 200) -> int:
    """Queue e-mails whose retry is due, and ones a dead worker left half-sent."""
    now = timezone.now()
    due = Notification.objects.filter(
        Q(status=NotificationStatus.RETRYING, next_attempt_at__lte=now)
        | Q(status=NotificationStatus.SENDING, claimed_at__lt=now - CLAIM_LEASE)
        | Q(status=NotificationStatus.PENDING, created_at__lt=now - CLAIM_LEASE)
    ).order_by("created_at")
    ids = [str(pk) for pk in due.values_list("pk", flat=True)[:limit]]
    for notification_id in ids:
        outbox.enqueue("core.tasks.send_notification", notification_id)
    return len(ids)
