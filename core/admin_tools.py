"""Shared admin pieces: the error-message helper and the "mine" filters."""

from django.contrib import admin, messages
from django.http import HttpRequest

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
