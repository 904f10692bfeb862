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


def note_reason(reason: str) -> None:
    """Attach a reason to every change of the current request (e.g. the API's X-Change-Reason)."""
    if reason and is_recording():
        pghistory.context(reason=reason)


def because(reason: str):
    """`with because("…"):` — the reason is recorded with every change made inside."""
    return pghistory.context(reason=reason) if is_recording() else contextlib.nullcontext()


def task_context(task_name: str):
    return pghistory.context(actor=f"task:{task_name}") if is_recording() else contextlib.nullcontext()


EXPORT_COLUMNS = ["time", "model", "object", "event", "actor", "reason", "url", "origin", "changes"]
EVENT_LABELS = {
    "insert": "created",
    "update": "changed",
    "delete": "deleted",
    "baseline": "state when tracking began",
}


def permission_model(tracked):
    """The model whose view permission guards a tracked model's events: a proxy's concrete
    model, a many-to-many link's owner (its table has no permissions of its own)."""
    model = tracked._meta.concrete_model if tracked._meta.proxy else tracked
    owner = model._meta.auto_created
    return owner if owner else model


def readable_event_models(user) -> list:
    """The event models whose records `user` may view (events follow the records' permissions)."""
    readable = []
    for event_model in event_models():
        guard = permission_model(event_model.pgh_tracked_model)
        if user.has_perm(f"{guard._meta.app_label}.view_{guard._meta.model_name}"):
            readable.append(event_model)
    return readable


def events(
    *,
    event_models_=None,
    model=None,
    obj=None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 5000,
    offset: int = 0,
):
    """Audit events, newest first, for one object, one model or everything (of `event_models_`),
    within a period."""
    queryset = pghistory.models.Events.objects.all()
    key_field = getattr(type(obj), "audit_key_field", None) if obj is not None else None
    if key_field:  # events that do not reference their row (API keys) name it by this field
        queryset = queryset.across(
            *event_models(tracks_model=type(obj), include_missing_pgh_obj=True)
        ).filter(**{f"pgh_data__{key_field}": getattr(obj, key_field)})
    elif obj is not None:
        queryset = queryset.tracks(obj)
    elif model is not None:
        queryset = queryset.across(*event_models(tracks_model=model, include_missing_pgh_obj=True))
    elif event_models_ is not None:
        queryset = queryset.across(*event_models_)
    if since is not None:
        queryset = queryset.filter(pgh_created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(pgh_created_at__lt=until)
    # Changes in one transaction share its timestamp; the event id keeps their order.
    return queryset.order_by("-pgh_created_at", "-pgh_id")[offset : offset + limit]


def _model_label(label: str) -> str:
    from django.apps import apps

    try:
        return apps.get_model(label)._meta.verbose_name.capitalize()
    except (LookupError, ValueError):
        return label


def _object(event) -> str:
    if event.pgh_obj_id:
        return str(event.pgh_obj_id)
    data = event.pgh_data or {}
    return str(data.get("prefix") or data.get("id") or "")  # API keys: the prefix, never the hash


def rows(events_: Iterable) -> list[dict[str, Any]]:
    out = []
    for event in events_:
        context = event.pgh_context or {}
        origin = context.get("origin") or {}
        out.append(
            {
                "time": event.pgh_created_at.isoformat(),
                "slug": event.pgh_slug,
                "model": _model_label(event.pgh_obj_model),
                "object": _object(event),
                "event": EVENT_LABELS.get(event.pgh_label, event.pgh_label),
                "actor": context.get("actor")
                or (f"database user {origin['db_user']}" if origin else "system"),
                "reason": context.get("reason") or "",
                "url": context.get("url") or "",
                "origin": ", ".join(f"{k}: {v}" for k, v in origin.items() if v),
                "changes": event.pgh_diff if event.pgh_diff is not None else event.pgh_data,
            }
        )
        out[-1]["change_lines"] = change_lines(out[-1]["changes"], diff=event.pgh_diff is not None)
    return out


def _shown(value) -> str:
    return "—" if value in (None, "") else str(value)


def change_lines(changes, *, diff: bool) -> list[tuple[str, str]]:
    """(field, "old → new") for a change, (field, value) for a created or deleted record."""
    if not isinstance(changes, dict):
        return []
    lines = []
    for field, value in sorted(changes.items()):
        if field.startswith("pgh_"):
            continue
        if diff and isinstance(value, list) and len(value) == 2:
            lines.append((field, f"{_shown(value[0])} → {_shown(value[1])}"))
        else:
            lines.append((field, _shown(value)))
    return lines


def to_csv(rows_: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows_:
        writer.writerow({**row, "changes": changes_text(row["changes"])})
    return buffer.getvalue()


def changes_text(changes) -> str:
    if not isinstance(changes, dict):
        return ""
    parts = []
    for field, value in sorted(changes.items()):
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{field}: {value[0]!r} → {value[1]!r}")
        else:
            parts.append(f"{field}: {value!r}")
    return "; ".join(parts)
