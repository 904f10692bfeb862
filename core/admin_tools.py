"""Shared admin pieces: the error-message helper and the "mine" filters."""

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest
from django.utils.functional import cached_property

from core.errors import ApplicationError


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
