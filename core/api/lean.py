"""The lean read path for large lists.

DRF's ModelSerializer builds a model instance and runs a field object per attribute per row,
which costs more than the database work on a 50-row page. List endpoints that serve large
volumes build their rows from `.values()` instead, with each relation fetched for the whole
page in one query, and render them with orjson. DRF still does authentication, permissions,
scoping, filtering, pagination, writes, validation and the OpenAPI schema; the rows are
byte-for-byte what the serializer would produce (tests compare the two).
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import orjson
from django.db import connection
from django.utils.encoding import force_str
from django.utils.functional import Promise
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


def _default(value: Any):
    if isinstance(value, Promise):
        return force_str(value)
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class ORJSONRenderer(JSONRenderer):
    """JSON through orjson (several times faster than the standard library encoder)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


def datetime_text(value) -> str | None:
    """A datetime as DRF writes it (ISO 8601, 'Z' for UTC)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def date_text(value) -> str | None:
    return value.isoformat() if value is not None else None


def decimal_text(value, places: int) -> str:
    return f"{value:.{places}f}"


def uuid_text(value) -> str | None:
    return str(value) if value is not None else None


def grouped(pairs: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    """[(owner, item), …] → {owner: [item, …]}, keeping the query's order."""
    groups: dict[Any, list[Any]] = defaultdict(list)
    for owner, item in pairs:
        groups[owner].append(item)
    return groups


def catalog_codes(relation, owner_ids: list[Any]) -> dict[Any, list[str]]:
    """owner id → the codes a many-to-many relation to a catalog holds, in the catalog's order.

    `relation` is the descriptor (`Engagement.regions`). One SQL statement over the link table
    joined to the catalog for its ordering (`Meta.ordering`, position then name): the same rows
    as `through.objects.filter(owner_id__in=…).order_by(…).values_list(…)` without building
    and compiling a queryset, which on a 50-row page cost twice the database's own time.
    """
    if not owner_ids:
        return {}
    field = relation.field
    catalog = field.related_model._meta
    link = field.remote_field.through._meta
    quote = connection.ops.quote_name
    owner, code = quote(field.m2m_column_name()), quote(field.m2m_reverse_name())
    order = ", ".join(
        f"c.{quote(catalog.get_field(name.lstrip('-')).column)}{' DESC' if name.startswith('-') else ''}"
        for name in catalog.ordering
    )
    owner_pk = field.model._meta.pk
    stored = {owner_pk.get_db_prep_value(pk, connection): pk for pk in owner_ids}
    # Identifiers come from model metadata, quoted; every value is a parameter.
    sql = (
        f"SELECT t.{owner}, t.{code} FROM {quote(link.db_table)} t "  # noqa: S608
        f"JOIN {quote(catalog.db_table)} c ON c.{quote(catalog.pk.column)} = t.{code} "
        f"WHERE t.{owner} IN ({', '.join(['%s'] * len(stored))}) ORDER BY {order}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(stored))
        return grouped((stored[owner_id], code_value) for owner_id, code_value in cursor.fetchall())


def _column_value(instance, column: str):
    """The value `.values(column)` would give, read from a loaded instance (`owner__email`)."""
    value = instance
    for name in column.split("__"):
        if value is None:
            return None
        value = getattr(value, name)
    return value


class LeanListMixin:
    """`list` from `.values(*lean_columns)` rows turned into output by `lean_rows(rows)`.

    `retrieve` shares the path: the object is found (scoped, 404, object permissions) without the
    serializer's prefetches, and its one row goes through `lean_rows` like a page of one.
    """

    lean_columns: tuple[str, ...] = ()

    def lean_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def get_queryset(self):
        queryset = super().get_queryset()
        # Relations are fetched page-wide in lean_rows, not by prefetch_related.
        return queryset.prefetch_related(None) if self.action in ("list", "retrieve") else queryset

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset()).values(*self.lean_columns)
        page = self.paginate_queryset(queryset)
        rows = self.lean_rows(list(page if page is not None else queryset))
        if page is not None:
            return self.get_paginated_response(rows)
        return Response(rows)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        row = {column: _column_value(instance, column) for column in self.lean_columns}
        return Response(self.lean_rows([row])[0])
