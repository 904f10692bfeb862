"""Audit-trail review: a reviewer reads a period's events, records exceptions, and signs.

The signed content (core/signatures.py) is the period, the summary, every exception and a digest
of the events in the period at the moment of signing: the count and a SHA-256 over their ids and
times. Should an event of that period appear or vanish later, the digest no longer matches and
the review shows that its signature applies to what was there then.
"""

import csv
import hashlib
import io
from datetime import date, datetime, time, timedelta

import pghistory
from django.db import transaction
from django.utils import timezone

from core import audit, signatures
from core.errors import ApplicationError, Conflict
from core.models import AuditReview, AuditReviewException, AuditReviewStatus, SignatureMeaning, User

LONGEST_PERIOD = timedelta(days=366)


def bounds(review: AuditReview) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(review.period_start, time.min, tzinfo=tz),
        datetime.combine(review.period_end + timedelta(days=1), time.min, tzinfo=tz),
    )


def period_events():
    return pghistory.models.Events.objects.all()


def events_in(review: AuditReview, *, user=None, limit: int = 200, offset: int = 0):
    since, until = bounds(review)
    readable = audit.readable_event_models(user) if user is not None else None
    if readable is not None and not readable:
        return []
    return audit.events(event_models_=readable, since=since, until=until, limit=limit, offset=offset)


def digest(review: AuditReview) -> tuple[int, str]:
    """How many events the period holds, and a SHA-256 over their ids and times (all records)."""
    since, until = bounds(review)
    hasher = hashlib.sha256()
    count = 0
    rows = (
        period_events()
        .filter(pgh_created_at__gte=since, pgh_created_at__lt=until)
        .order_by("pgh_created_at", "pgh_slug")
        .values_list("pgh_slug", "pgh_created_at")
    )
    for slug, created_at in rows.iterator(chunk_size=2000):
        hasher.update(f"{slug}|{created_at.isoformat()}\n".encode())
        count += 1
    return count, hasher.hexdigest()


def review_content(review: AuditReview) -> dict:
    return {
        "id": str(review.pk),
        "period_start": review.period_start.isoformat(),
        "period_end": review.period_end.isoformat(),
        "summary": review.summary,
        "events_count": review.events_count,
        "events_digest": review.events_digest,
        "exceptions": [
            {
                "event": e.event_slug,
                "summary": e.event_summary,
                "note": e.note,
                "by": e.created_by_id and str(e.created_by_id),
            }
            for e in review.exceptions.order_by("created_at", "pk")
        ],
    }


def register() -> None:
    signatures.register(AuditReview, content=review_content, meanings=(SignatureMeaning.REVIEWED,))


def period_problems(period_start: date | None, period_end: date | None) -> dict[str, str]:
    """Why a review period cannot be reviewed, per field (empty when it can)."""
    if period_start is None or period_end is None:
        return {}
    if period_end < period_start:
        return {"period_end": "The end of the period is before its start."}
    if period_end - period_start > LONGEST_PERIOD:
        return {"period_end": "Review at most a year at a time."}
    if period_start > timezone.localdate():
        return {"period_start": "The period has not started yet."}
    return {}


@transaction.atomic
def start_review(*, by: User, period_start: date, period_end: date, summary: str = "") -> AuditReview:
    problems = period_problems(period_start, period_end)
    if problems:
        raise ApplicationError(" ".join(problems.values()), field_errors=problems)
    return AuditReview.objects.create(
        period_start=period_start, period_end=period_end, summary=summary.strip(), created_by=by
    )


def _open(review: AuditReview) -> AuditReview:
    locked = AuditReview.objects.select_for_update().get(pk=review.pk)
    if locked.status != AuditReviewStatus.OPEN:
        raise Conflict("This review is signed: it cannot change any more. Start a new review instead.")
    return locked


@transaction.atomic
def add_exception(*, review: AuditReview, by: User, event_slug: str, note: str) -> AuditReviewException:
    locked = _open(review)
    note = (note or "").strip()
    if len(note) < 5:
        raise ApplicationError(
            "Describe the exception (at least five characters).", field_errors={"note": "Too short."}
        )
    since, until = bounds(locked)
    event = (
        period_events()
        .filter(
            pgh_slug=(event_slug or "").strip()[:200], pgh_created_at__gte=since, pgh_created_at__lt=until
        )
        .first()
    )
    if event is None:
        raise ApplicationError(
            "That event is not in this review's period. Pick it from the list of the period's events.",
            field_errors={"event_slug": "Not an event of this period."},
        )
    row = audit.rows([event])[0]
    summary = f"{row['time'][:19]} UTC · {row['model']} {row['object']} {row['event']} by {row['actor']}"
    return AuditReviewException.objects.create(
        review=locked, event_slug=event.pgh_slug, event_summary=summary[:500], note=note, created_by=by
    )


@transaction.atomic
def sign_review(*, review: AuditReview, by: User, request, password: str, code: str, comment: str = ""):
    locked = _open(review)
    if not locked.summary and not comment.strip():
        raise ApplicationError(
            "Write a summary of the review before signing it.", field_errors={"comment": "Write a summary."}
        )
    if comment.strip():
        locked.summary = "\n\n".join(part for part in [locked.summary, comment.strip()] if part)
    locked.events_count, locked.events_digest = digest(locked)
    locked.save(update_fields=["summary", "events_count", "events_digest"])
    signature = signatures.sign(
        record=locked,
        signer=by,
        meaning=SignatureMeaning.REVIEWED,
        request=request,
        password=password,
        code=code,
        comment=comment,
    )
    locked.status, locked.signed_at = AuditReviewStatus.SIGNED, signature.signed_at
    locked.save(update_fields=["status", "signed_at"])
    return signature


CSV_COLUMNS = ["section", "time", "record", "object", "event", "who", "why", "what changed", "note"]


def to_csv(review: AuditReview, *, user) -> str:
    """The review as CSV: its signatures, its exceptions, then every event of the period."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for shown in signatures.shown(review):
        writer.writerow(
            {
                "section": "signature",
                "time": shown.signed_at.isoformat(),
                "who": shown.printed_name,
                "event": shown.meaning,
                "note": shown.sentence,
            }
        )
    for exception in review.exceptions.select_related("created_by"):
        writer.writerow(
            {
                "section": "exception",
                "time": exception.created_at.isoformat(),
                "record": exception.event_slug,
                "who": str(exception.created_by),
                "what changed": exception.event_summary,
                "note": exception.note,
            }
        )
    offset = 0
    while True:
        rows = audit.rows(events_in(review, user=user, limit=2000, offset=offset))
        for row in rows:
            writer.writerow(
                {
                    "section": "event",
                    "time": row["time"],
                    "record": row["model"],
                    "object": row["object"],
                    "event": row["event"],
                    "who": row["actor"],
                    "why": row["reason"],
                    "what changed": audit.changes_text(row["changes"]),
                }
            )
        if len(rows) < 2000:
            break
        offset += 2000
    return buffer.getvalue()


def report_context(review: AuditReview, *, user) -> dict:
    """What the PDF shows: counts by record and by actor, exceptions, signatures."""
    from collections import Counter

    by_record, by_actor, total = Counter(), Counter(), 0
    offset = 0
    while True:
        rows = audit.rows(events_in(review, user=user, limit=2000, offset=offset))
        for row in rows:
            by_record[row["model"]] += 1
            by_actor[row["actor"]] += 1
        total += len(rows)
        if len(rows) < 2000:
            break
        offset += 2000
    return {
        "review": review,
        "total": total,
        "by_record": by_record.most_common(),
        "by_actor": by_actor.most_common(25),
        "exceptions": list(review.exceptions.select_related("created_by")),
        "signatures": signatures.shown(review),
        "generated_at": timezone.now(),
    }


def to_pdf(review: AuditReview, *, user) -> bytes:
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from assessments.reports import OfflineURLFetcher

    context = {**report_context(review, user=user), "brand": settings.SOURCEWISE_BRAND}
    html = render_to_string("reports/audit_review.html", context)
    return HTML(string=html, url_fetcher=OfflineURLFetcher()).write_pdf()
