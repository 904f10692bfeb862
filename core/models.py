import logging
import secrets
import uuid

import pghistory
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

logger = logging.getLogger(__name__)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in: an account manager (staff) or a sponsor's portal member.

    People sign in with their e-mail address; there is no separate user name.
    """

    username = None
    email = models.EmailField("e-mail address", unique=True)
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["first_name", "last_name", "email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class ApiKeyScope(models.TextChoices):
    STAFF = "staff", "Staff (all sponsors)"
    SPONSOR = "sponsor", "One sponsor"


# Authentication reads a key from the cache (core.api.auth) and fills it from the database on a
# miss, for API_KEY_CACHE_SECONDS. Every change to a key through the ORM (save, delete, cascade,
# queryset update) replaces its entry with a marker that refuses refills for
# API_KEY_STALE_SECONDS, so a revocation counts from the next request on: a request that read the
# old row just before the change cannot put it back. A change made outside the ORM (raw SQL) is
# seen once the entry expires.
API_KEY_CACHE_SECONDS = 60
API_KEY_STALE_SECONDS = 10
API_KEY_STALE = "stale"


def api_key_cache_key(prefix: str) -> str:
    return f"api-key:{prefix}"


def forget_api_keys(prefixes) -> None:
    """Mark the cached keys stale now and, inside a transaction, again when it commits."""
    entries = {api_key_cache_key(prefix): API_KEY_STALE for prefix in prefixes}
    if not entries:
        return

    def mark() -> None:
        try:
            cache.set_many(entries, timeout=API_KEY_STALE_SECONDS)
        except Exception:  # the change stands; a cached copy expires within API_KEY_CACHE_SECONDS
            logger.warning("Could not mark API keys %s stale in the cache", sorted(entries), exc_info=True)

    if transaction.get_connection().in_atomic_block:
        mark()  # before the commit too: a reader of the old row must not cache it meanwhile
    transaction.on_commit(mark, robust=True)  # outside a transaction: at once


class ApiKeyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # The last use is recorded by authentication itself and decides nothing.
        if set(kwargs) == {"last_used_at"}:
            return super().update(**kwargs)
        prefixes = list(self.values_list("prefix", flat=True))
        updated = super().update(**kwargs)
        forget_api_keys(prefixes)
        return updated

    update.alters_data = True


@pghistory.track(exclude=["hashed_key"])
class ApiKey(AbstractAPIKey):
    """A hashed API key for an external system; shown once, revocable, optionally expiring.

    A staff key sees every sponsor; a sponsor key sees and changes only its sponsor's data.
    """

    scope = models.CharField(max_length=10, choices=ApiKeyScope.choices, default=ApiKeyScope.SPONSOR)
    sponsor = models.ForeignKey(
        "engagements.Sponsor", on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = APIKeyManager.from_queryset(ApiKeyQuerySet)()

    class Meta(AbstractAPIKey.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope="staff", sponsor__isnull=True)
                | models.Q(scope="sponsor", sponsor__isnull=False),
                name="api_key_scope_matches_sponsor",
                violation_error_message="A sponsor key needs a sponsor; a staff key must not have one.",
            )
        ]

    @property
    def is_usable(self) -> bool:
        return not self.revoked and not self.has_expired


@receiver([post_save, post_delete], sender=ApiKey, dispatch_uid="api-key-forget-cached")
def _forget_cached_api_key(sender, instance, **kwargs) -> None:
    forget_api_keys([instance.prefix])


class IdempotencyRecord(models.Model):
    """The stored outcome of a POST made with an Idempotency-Key, replayed on a retry."""

    principal = models.CharField(max_length=160)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_per_principal")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class WebhookEvent(models.TextChoices):
    ASSESSMENT_SUBMITTED = "assessment.submitted", "Assessment submitted"
    RECOMMENDATION_CREATED = "recommendation.created", "Recommendation created"
    REPORT_READY = "report.ready", "Report ready"
    ENGAGEMENT_STAGE_CHANGED = "engagement.stage_changed", "Engagement stage changed"
    FOLLOW_UP_DUE = "follow_up.due", "Follow-up due"


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Events delivered to this endpoint.")
    sponsor = models.ForeignKey(
        "engagements.Sponsor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        help_text="Only this sponsor's events (empty: every sponsor).",
    )
    secret = models.CharField(max_length=100, default=new_webhook_secret, editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        unknown = sorted(set(self.events or []) - set(WebhookEvent.values))
        if unknown or not self.events:
            raise ValidationError({"events": f"Choose events from: {', '.join(WebhookEvent.values)}."})


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Succeeded"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


# Only an operator's requeue is an audit event here (core.operations); attempts are the delivery log.
@pghistory.track(pghistory.ManualEvent("requeued"))
class WebhookDelivery(models.Model):
    """One event for one endpoint, and every attempt to deliver it (the delivery log)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


@pghistory.track(pghistory.ManualEvent("requeued"))  # an operator's requeue (core.operations)
class OutboxMessage(models.Model):
    """A Celery task written in the same transaction as the change that needs it.

    Sent right after commit; if the broker is down, the message waits here and is sent again
    by `core.tasks.drain_outbox` once the broker is back, so no work is lost.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(dispatched_at__isnull=True), name="outbox_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One e-mail to one person, created at most once per `dedupe_key` and sent at most once.

    Creating the row is the claim: a second beat tick or a second worker hits the unique key and
    does nothing. Sending is claimed again by a conditional update, so it happens once even when
    the task runs twice; a failure is recorded and retried with backoff.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)
    dedupe_key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    recipient_name = models.CharField(max_length=200, blank=True)
    context = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.status})"
