"""The audit trail (21 CFR Part 11 §11.10(e), EU GMP Annex 11 §9, in spirit).

Recorded by django-pghistory: PostgreSQL triggers write an event row for every insert, update and
delete of the tracked models, whatever the path (ORM save, bulk_create, QuerySet.update, raw SQL).
Each event row carries the full row as it became (or was, for a delete), the server's timestamp
and the context: who (user or API key), where (URL, method or task) and why (a reason). Event tables
are append-only: a trigger refuses UPDATE and DELETE, so the application cannot rewrite history.
The embedded SQLite default has no triggers and records no trail; production runs on PostgreSQL.
"""

import contextlib
import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pghistory
from django.db import connection
from pghistory.core import event_models
from pghistory.middleware import HistoryMiddleware


def actor_label(actor) -> str | None:
    """A stable, human-readable name for whoever acts: user e-mail or API key prefix."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    key = getattr(actor, "key", None)
    if key is not None:
        return f"api-key:{key.prefix} ({key.name})"
    return f"user:{actor.email}"


def is_recording() -> bool:
    """The trail lives in PostgreSQL triggers; on SQLite there is nothing to annotate."""
    return connection.vendor == "postgresql"


class AuditContextMiddleware(HistoryMiddleware):
    """Every request that can write runs inside an audit context naming who and where."""

    def get_context(self, request) -> dict[str, Any]:
        context = super().get_context(request)
        context.update(method=request.method, actor=actor_label(getattr(request, "user", None)))
        return context

    def __call__(self, request):
        if not is_recording():
            return self.get_response(request)
        return super().__call__(request)


def note_actor(actor) -> None:
    """Name the actor once authentication happened late (DRF authenticates in the view)."""
    if is_recording():
        pghistory.context(actor=actor_label(actor))


def because(reason: str):
    """`with because("…"):` — the reason is recorded with every change made inside."""
    return pghistory.context(reason=reason) if is_recording() else contextlib.nullcontext()


def task_context(task_name: str):
    return pghistory.context(actor=f"task:{task_name}") if is_recording() else contextlib.nullcontext()


EXPORT_COLUMNS = ["time", "model", "object", "event", "actor", "reason", "url", "changes"]


def events(
    *, model=None, obj=None, since: datetime | None = None, until: datetime | None = None, limit: int = 5000
):
    """Audit events, newest first, for one object, one model or everything, within a period."""
    queryset = pghistory.models.Events.objects.all()
    if obj is not None:
        queryset = queryset.tracks(obj)
    elif model is not None:
        queryset = queryset.across(*event_models(tracks_model=model))
    if since is not None:
        queryset = queryset.filter(pgh_created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(pgh_created_at__lt=until)
    # Changes in one transaction share its timestamp; the event id keeps their order.
    return queryset.order_by("-pgh_created_at", "-pgh_id")[:limit]


def rows(events_: Iterable) -> list[dict[str, Any]]:
    out = []
    for event in events_:
        context = event.pgh_context or {}
        out.append(
            {
                "time": event.pgh_created_at.isoformat(),
                "model": event.pgh_obj_model,
                "object": event.pgh_obj_id,
                "event": event.pgh_label,
                "actor": context.get("actor") or "system",
                "reason": context.get("reason") or "",
                "url": context.get("url") or "",
                "changes": event.pgh_diff if event.pgh_diff is not None else event.pgh_data,
            }
        )
    return out


def to_csv(rows_: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in rows_:
        writer.writerow({**row, "changes": _changes_text(row["changes"])})
    return buffer.getvalue()


def _changes_text(changes) -> str:
    if not isinstance(changes, dict):
        return ""
    parts = []
    for field, value in sorted(changes.items()):
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{field}: {value[0]!r} → {value[1]!r}")
        else:
            parts.append(f"{field}: {value!r}")
    return "; ".join(parts)
