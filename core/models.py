import logging
import secrets
import uuid

import pghistory
import pgtrigger
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
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


@pghistory.track(exclude=["password"])
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

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        # What the security log compares a save against (core.signals.user_privileges_changed).
        user._privileges_loaded = {
            field: getattr(user, field)
            for field in ("is_staff", "is_superuser", "is_active")
            if field in user.__dict__
        }
        if len(user._privileges_loaded) < 3:
            user._privileges_loaded = None
        return user


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


# The key's primary key holds its hash ("<prefix>.<hash>"): its events keep the prefix only, and
# no reference to the row (which would carry the hash) either.
@pghistory.track(exclude=["hashed_key", "id"], obj_field=None)
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
    audit_key_field = "prefix"  # its audit events name it by prefix (core.audit.events)

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


@pghistory.track(exclude=["secret"], obj_field=pghistory.ObjForeignKey(related_name="audit_events"))
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
        from core.network import target_problem

        errors = {}
        unknown = sorted(set(self.events or []) - set(WebhookEvent.values))
        if unknown or not self.events:
            errors["events"] = f"Choose events from: {', '.join(WebhookEvent.values)}."
        problem = target_problem(self.url) if self.url else None
        if problem:
            errors["url"] = problem
        if errors:
            raise ValidationError(errors)


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


class EnrolmentChannel(models.TextChoices):
    EMAIL = "email", "E-mailed to the person"
    HANDED_OVER = "handed_over", "Created by an administrator to hand over"


@pghistory.track(exclude=["token_hash"])
class EnrolmentLink(models.Model):
    """A one-time link that lets a person set up their authenticator app (the second factor).

    A password alone never enrols a device: the link is the second proof (the person's mailbox,
    or an administrator who handed it over). It expires, works once, and only for its own user;
    only a hash of its token is stored.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="enrolment_links")
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    channel = models.CharField(max_length=12, choices=EnrolmentChannel.choices)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "two-factor enrolment link"

    def __str__(self) -> str:
        return f"Enrolment link for {self.user} ({self.get_channel_display()})"


class SignatureMeaning(models.TextChoices):
    AUTHORED = "authored", "Authored"
    REVIEWED = "reviewed", "Reviewed"
    APPROVED = "approved", "Approved"
    AWARDED = "awarded", "Awarded"


@pghistory.track()
class Signature(models.Model):
    """An electronic signature (21 CFR 11.50, 11.70): who signed which version of which record,
    when and with what meaning. Written once (core/signatures.py); never changed or deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    signer = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="signatures")
    printed_name = models.CharField(max_length=200)
    signer_email = models.EmailField()
    meaning = models.CharField(max_length=10, choices=SignatureMeaning.choices)
    comment = models.CharField(max_length=500, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)
    record_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    record_id = models.CharField(max_length=64)
    record_label = models.CharField(max_length=300)
    record_hash = models.CharField(max_length=64, help_text="SHA-256 of the exact record version signed.")

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["record_type", "record_id", "-signed_at"])]
        # Immutable in the database too, whichever role connects (core/db_roles.py also withholds
        # UPDATE and DELETE from the application's role).
        triggers = [
            pgtrigger.Protect(name="signature_append_only", operation=pgtrigger.Update | pgtrigger.Delete)
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meaning__in=SignatureMeaning.values),
                name="signature_meaning_valid",
                violation_error_message="Unknown signature meaning.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_meaning_display()} by {self.printed_name} on {self.signed_at:%Y-%m-%d %H:%M} UTC"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("A signature cannot be changed once it is made.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("A signature cannot be deleted.")


class AuditReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    SIGNED = "signed", "Signed"


@pghistory.track()
class AuditReview(models.Model):
    """A periodic review of the audit trail (Part 11 §11.10(e), EU Annex 11 §9): a reviewer reads a
    period's events, records exceptions, and signs. The signature covers the period, the summary,
    the exceptions and a digest of the events that were in the period when it was signed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period_start = models.DateField()
    period_end = models.DateField(help_text="Inclusive.")
    summary = models.TextField(blank=True, help_text="What was looked at and what was found.")
    status = models.CharField(
        max_length=10, choices=AuditReviewStatus.choices, default=AuditReviewStatus.OPEN
    )
    events_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    events_digest = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-period_end", "-created_at"]
        verbose_name = "audit-trail review"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="audit_review_period_ordered",
                violation_error_message="The end of the period is before its start.",
            )
        ]

    def __str__(self) -> str:
        return f"Audit-trail review {self.period_start:%Y-%m-%d} to {self.period_end:%Y-%m-%d}"


@pghistory.track()
class AuditReviewException(models.Model):
    """An event the reviewer flags, with what they found. Written once, never changed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey(AuditReview, on_delete=models.PROTECT, related_name="exceptions")
    event_slug = models.CharField(max_length=200, help_text="The audit event (its model and id).")
    event_summary = models.CharField(max_length=500)
    note = models.TextField()
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = "audit-trail review exception"
        triggers = [
            pgtrigger.Protect(
                name="review_exception_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return self.event_summary


# Access and scheduling records of Django's and libraries' own models, in the audit trail. The
# triggers hang on proxy models of this app, so their migrations are ours, not the libraries'.
from django.contrib.auth.models import Group  # noqa: E402
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402


def _audited_proxy(model, name: str, *, exclude=None, verbose_name=None):
    from core.audit_tracking import audited_proxy

    event_name = f"{model.__name__.replace('_', '')}Event"
    return audited_proxy(
        model, name, module=__name__, event_name=event_name, exclude=exclude, verbose_name=verbose_name
    )


AuditedGroup = _audited_proxy(Group, "AuditedGroup")
AuditedGroupPermission = _audited_proxy(
    Group.permissions.through, "AuditedGroupPermission", verbose_name="group permission"
)
AuditedUserGroup = _audited_proxy(User.groups.through, "AuditedUserGroup", verbose_name="user's group")
AuditedUserPermission = _audited_proxy(
    User.user_permissions.through, "AuditedUserPermission", verbose_name="user's permission"
)
# Never the device's secret key; its use counters change at every sign-in.
AuditedTOTPDevice = _audited_proxy(
    TOTPDevice,
    "AuditedTOTPDevice",
    exclude=["key", "last_t", "throttling_failure_timestamp", "throttling_failure_count", "last_used_at"],
    verbose_name="authenticator (TOTP device)",
)
# Each run updates last_run_at and total_run_count: those are not changes to the schedule.
AuditedPeriodicTask = _audited_proxy(
    PeriodicTask, "AuditedPeriodicTask", exclude=["last_run_at", "total_run_count", "date_changed"]
)
AuditedCrontabSchedule = _audited_proxy(CrontabSchedule, "AuditedCrontabSchedule")
AuditedIntervalSchedule = _audited_proxy(IntervalSchedule, "AuditedIntervalSchedule")
