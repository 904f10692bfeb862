"""Shared admin pieces: the error-message helper and the "mine" filters."""

import contextlib
import logging
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import DataError, OperationalError, connection, transaction
from django.db.models import Max, Min
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import cached_property

from core.audit import because
from core.errors import ApplicationError

logger = logging.getLogger(__name__)


def message_application_error(request: HttpRequest, error: ApplicationError) -> None:
    """Show a refused operation to the account manager, in the same words as every surface."""
    messages.error(request, str(error))


def mine_filter(field: str, title: str = "mine"):
    """A list filter restricting a changelist to rows whose `field` is the signed-in user."""

    class MineFilter(admin.SimpleListFilter):
        parameter_name = "mine"

        def lookups(self, request, model_admin):
            return [("1", "Only mine")]

        def queryset(self, request, queryset):
            if self.value() == "1":
                return queryset.filter(**{field: request.user})
            return queryset

    MineFilter.title = title
    return MineFilter


def add_application_error(form, error: ApplicationError) -> None:
    """Put a service's refusal on a form: field errors next to fields, the rest on top."""
    placed = False
    for field, messages_ in error.field_errors.items():
        if field in form.fields:
            for message in messages_:
                form.add_error(field, message)
            placed = True
    if not placed or not error.field_errors:
        form.add_error(None, error.message)


class QuickCountPaginator(Paginator):
    """Admin pagination without an exact COUNT over millions of rows.

    An unfiltered list uses PostgreSQL's row estimate; a filtered one counts at most
    `COUNT_LIMIT` rows. Page links stay right for the pages anyone reaches; the total shown is
    marked as approximate in the changelist template when it is an estimate.
    """

    COUNT_LIMIT = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            estimate = int(row[0]) if row else -1
            if estimate > self.COUNT_LIMIT:
                return estimate
        return queryset.order_by()[: self.COUNT_LIMIT + 1].count()


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason for this change",
        min_length=5,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Recorded in the audit trail with your name and the time.",
    )


def with_reason(description: str):
    """Turn an admin action into one that first asks for a reason and records it in the audit
    trail (for changes to submitted assessments, published questionnaires and recommendations)."""

    def decorator(handler):
        def action(model_admin, request, queryset):
            form = ReasonForm(request.POST if "reason" in request.POST else None)
            if form.is_bound and form.is_valid():
                with because(form.cleaned_data["reason"]):
                    return handler(model_admin, request, queryset)
            context = {
                **model_admin.admin_site.each_context(request),
                "title": description,
                "form": form,
                "queryset": queryset,
                "opts": model_admin.model._meta,
                "action": request.POST.get("action"),
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/action_reason.html", context)

        action.__name__ = handler.__name__
        return admin.action(description=description)(action)

    return decorator


class _PeriodProbes:
    """QuerySet mixin: `datetimes(field, "year" | "month")` without a DISTINCT over every row.

    The admin's date hierarchy lists the years (then the months) that hold rows with
    `SELECT DISTINCT DATE_TRUNC(...)`, which reads the whole table: over a million rows, most of
    a page's time. With an index on the field, the first and last value and one `EXISTS` per
    period between them are each an index probe, and give the same list.
    """

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if kind not in ("year", "month"):
            return super().datetimes(field_name, kind, order, tzinfo)
        tz = tzinfo or timezone.get_current_timezone()
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        first, last = bounds["first"].astimezone(tz), bounds["last"].astimezone(tz)
        found = []
        for start, end in _periods(first, last, kind, tz):
            if self.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end}).exists():
                found.append(start)
        return found if order == "ASC" else found[::-1]


def _periods(first: datetime, last: datetime, kind: str, tz):
    year, month = first.year, first.month if kind == "month" else 1
    while (year, month) <= (last.year, last.month if kind == "month" else 1):
        start = datetime(year, month, 1, tzinfo=tz)
        if kind == "year":
            year += 1
        else:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        yield start, datetime(year, month, 1, tzinfo=tz)


_PROBE_CLASSES: dict[type, type] = {}


class IndexedDateHierarchyMixin:
    """For a changelist whose `date_hierarchy` field is indexed and whose table is large."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request).all()
        cls = type(queryset)
        if cls not in _PROBE_CLASSES:
            _PROBE_CLASSES[cls] = type(f"PeriodProbe{cls.__name__}", (_PeriodProbes, cls), {})
        queryset.__class__ = _PROBE_CLASSES[cls]
        return queryset


class GuardedChangeList(ChangeList):
    """A changelist whose query-string filters cannot end in a server error.

    The admin accepts a lookup on any of a model's own fields from the query string, as its
    filter links produce them (`?created_at__gte=...`, `?value__lte=...`). Some values pass
    Django's parsing and fail only in the database or while the query is compiled: a UTC offset
    beyond PostgreSQL's ±15:59, an instant with no UTC equivalent, a number with more decimals
    than `numeric` holds, an unbalanced `__regex`, a `__range` with one bound. Counting the
    filtered rows runs that query first; if it fails on such a value, the savepoint undoes it
    and the visitor gets the admin's own "invalid filter" notice (`?e=1`) instead of a 500.
    Without query-string filters nothing is caught: a failure then is ours, and must show.
    """

    # DataError: PostgreSQL refusing the value; OperationalError: SQLite's REGEXP raising.
    FILTER_VALUE_ERRORS = (DataError, OperationalError, IndexError, OverflowError, ValueError, TypeError)

    def get_results(self, request):
        if not self.get_filters_params():
            return super().get_results(request)
        try:
            with transaction.atomic(using=self.queryset.db):
                return super().get_results(request)
        except self.FILTER_VALUE_ERRORS as error:
            logger.warning(
                "changelist filter refused on %s: %r", self.model._meta.label, error, exc_info=True
            )
            raise IncorrectLookupParameters(error) from error


class GuardedChangeListMixin:
    """ModelAdmin mixin: its changelist is a GuardedChangeList (the admin site adds it to all)."""

    def get_changelist(self, request, **kwargs):
        return GuardedChangeList


class ReasonForChangeMixin:
    """Editing a regulated record in the admin asks why; the reason lands in the audit event of
    every row the save changes (the record, its inlines and its many-to-many links)."""

    def _form_with_reason(self):
        base = self.form

        class WithReason(base):
            change_reason = forms.CharField(
                label="Reason for change",
                min_length=5,
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
                help_text="Recorded in the audit trail with this change (at least five characters).",
            )

        WithReason.__name__ = base.__name__
        return WithReason

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and "form" not in kwargs:
            kwargs["form"] = self._form_with_reason()
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None or not self.has_change_permission(request, obj):
            return fieldsets
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "change_reason"]})
            for name, options in fieldsets
        ]
        return [*fieldsets, ("Reason for change", {"fields": ["change_reason"]})]

    def _reason(self, form, change: bool):
        reason = form.cleaned_data.get("change_reason") if change else None
        return because(reason) if reason else contextlib.nullcontext()

    def save_model(self, request, obj, form, change):
        with self._reason(form, change):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        with self._reason(form, change):
            super().save_related(request, form, formsets, change)
