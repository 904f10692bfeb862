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
