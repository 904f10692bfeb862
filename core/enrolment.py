"""First enrolment of a second factor needs a second proof, not just the password.

An unenrolled person (staff, or a portal member whose sponsor requires a second factor) can only
set up an authenticator app after opening a one-time enrolment link: e-mailed to their own
address on request, or created by an administrator who hands it over. The link expires
(ENROLMENT_LINK_HOURS), works once, works only for its own account, and is audited (the link
rows are in the audit trail; issuing, opening and using them are security-log events). Only a
hash of the token is stored; an e-mailed token is made when the e-mail is rendered, so it never
rests in the database in the clear.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from core.models import EnrolmentChannel, EnrolmentLink, User
from core.security_log import log_event

SESSION_KEY = "two_factor_enrolment_link"
# The session key under which a link opened before signing in waits to be checked.
PENDING_TOKEN_KEY = "two_factor_enrolment_token"  # noqa: S105 - a session key name, not a secret
RESEND_AFTER = timedelta(minutes=5)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_path(user: User, token: str) -> str:
    name = "admin:two_factor_enrol" if user.is_staff else "portal:two_factor_enrol"
    return reverse(name, args=[token])


def new_token(link: EnrolmentLink) -> str | None:
    """A fresh token for an unused link (replacing any earlier one); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    updated = EnrolmentLink.objects.filter(pk=link.pk, used_at=None, revoked_at=None).update(
        token_hash=_hash(token)
    )
    return token if updated else None


@transaction.atomic
def create_link(*, user: User, by: User | None, channel: str) -> EnrolmentLink:
    """A new link for `user`; earlier unused links of theirs stop working."""
    now = timezone.now()
    EnrolmentLink.objects.filter(user=user, used_at=None, revoked_at=None).update(revoked_at=now)
    link = EnrolmentLink.objects.create(
        user=user,
        channel=channel,
        created_by=by,
        expires_at=now + timedelta(hours=settings.ENROLMENT_LINK_HOURS),
    )
    log_event(
        "enrolment_link_issued",
        actor=f"user:{by.email}" if by else f"user:{user.email}",
        email=user.email,
        reason=link.get_channel_display(),
    )
    return link


def hand_over(*, user: User, by: User) -> str:
    """An administrator creates a link to give to the person; the path is shown once."""
    if not by.is_superuser and not by.has_perm("core.add_enrolmentlink"):
        raise ApplicationError("Only administrators may create enrolment links.")
    link = create_link(user=user, by=by, channel=EnrolmentChannel.HANDED_OVER)
    return link_path(user, new_token(link))


def send_by_email(*, user: User, by: User | None = None) -> bool:
    """E-mail a link to the person's own address; False when one was sent in the last minutes."""
    from core.notifications import notify

    recent = EnrolmentLink.objects.filter(
        user=user,
        channel=EnrolmentChannel.EMAIL,
        used_at=None,
        revoked_at=None,
        created_at__gte=timezone.now() - RESEND_AFTER,
    )
    if by is None and recent.exists():
        return False
    link = create_link(user=user, by=by, channel=EnrolmentChannel.EMAIL)
    notify(
        kind="two_factor_enrolment",
        to=user.email,
        recipient_name=user.get_full_name(),
        context={"enrolment_link_id": str(link.pk), "hours": settings.ENROLMENT_LINK_HOURS},
        dedupe_key=f"two-factor-enrolment:{link.pk}",
    )
    return True


def emailed_link_url(link_id) -> str | None:
    """Made when the e-mail is rendered (core.notifications): the token is never stored."""
    link = EnrolmentLink.objects.select_related("user").filter(pk=link_id).first()
    if link is None:
        return None
    token = new_token(link)
    return None if token is None else f"{settings.SITE_URL}{link_path(link.user, token)}"


def usable_link(token: str) -> EnrolmentLink | None:
    if not token or len(token) > 100:
        return None
    link = EnrolmentLink.objects.select_related("user").filter(token_hash=_hash(token)).first()
    if link is None or link.used_at or link.revoked_at or link.expires_at <= timezone.now():
        return None
    return link


def open_link(request, token: str) -> EnrolmentLink:
    """The signed-in person opened their link: their session may now enrol (once)."""
    link = usable_link(token)
    if link is None or link.user_id != request.user.pk:
        log_event(
            "enrolment_link_refused",
            actor=f"user:{request.user.email}",
            path=request.path.split("/enrol/")[0] + "/enrol/…",
        )
        raise ApplicationError(
            "This set-up link cannot be used: it has expired, was already used, was replaced by a "
            "newer one, or belongs to another account. Ask for a new one."
        )
    request.session[SESSION_KEY] = str(link.pk)
    return link


def stash_token(request, token: str) -> None:
    """The link was opened: keep its token in the session only (not in any further URL), to be
    checked against the person once they have signed in."""
    request.session[PENDING_TOKEN_KEY] = token[:100]


def session_link(request) -> EnrolmentLink | None:
    """The link this session opened, while it is still usable for this user."""
    link_id = request.session.get(SESSION_KEY)
    if not link_id:
        return None
    link = EnrolmentLink.objects.filter(pk=link_id, user=request.user).first()
    if link is None or link.used_at or link.revoked_at or link.expires_at <= timezone.now():
        request.session.pop(SESSION_KEY, None)
        return None
    return link


def consume(request, link: EnrolmentLink) -> bool:
    """Claim the link for the device just confirmed; only one confirmation can win it."""
    used = EnrolmentLink.objects.filter(pk=link.pk, used_at=None, revoked_at=None).update(
        used_at=timezone.now()
    )
    request.session.pop(SESSION_KEY, None)
    if used:
        log_event("totp_enrolled", actor=f"user:{request.user.email}", reason=link.get_channel_display())
    return bool(used)
