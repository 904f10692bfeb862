"""The lean read path for large lists.

DRF's ModelSerializer builds a model instance and runs a field object per attribute per row,
which costs more than the database work on a 50-row page. List endpoints that serve large
volumes build their rows from `.values()` instead, each relation arriving with its row in the
same statement (catalog codes as a PostgreSQL array, related objects as one JSON document), and
render them with orjson. DRF still does
authentication, permissions, scoping, filtering, pagination, writes, validation and the
OpenAPI schema; the rows are what the serializer would produce (tests compare the two).
"""

from decimal import Decimal
from typing import Any, ClassVar

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, models
from django.db.models import F, Func, OuterRef, Subquery, Value
from django.db.models.expressions import OrderByList, RawSQL
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
    """JSON through orjson (several times faster than the standard library encoder).

    Datetimes, dates and UUIDs are written as DRF's fields write them (ISO 8601, 'Z' for UTC;
    the canonical UUID form), so the lean rows hand them over as they come from the database.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z)


def decimal_text(value, places: int) -> str:
    return f"{value:.{places}f}"


def code_array(relation) -> ArraySubquery:
    """`ARRAY(SELECT code …)`: the codes a many-to-many catalog relation holds for the outer row.

    For the page query on PostgreSQL: one correlated subquery, planned once and run per row
    through the link table's index, instead of a second statement with the page's ids in an
    `IN` list (whose planning alone cost more than its execution). In the catalog's order
    (`Meta.ordering`: position, then name).
    """
    field = relation.field
    through = field.remote_field.through
    target = field.m2m_reverse_field_name()
    order = [
        f"-{target}__{name[1:]}" if name.startswith("-") else f"{target}__{name}"
        for name in field.related_model._meta.ordering
    ]
    return ArraySubquery(
        through.objects.filter(**{field.m2m_field_name(): OuterRef("pk")})
        .order_by(*order)
        .values(through._meta.get_field(target).attname)
    )


class _JSONList(models.TextField):
    """A JSON array as psycopg hands it to Django (text), decoded by orjson; NULL (no rows) is []."""

    def from_db_value(self, value, expression, connection):
        return [] if value is None else orjson.loads(value)


class _JSONAgg(Func):
    """`JSON_AGG(item ORDER BY …)`, declared as a plain function: Django would give an aggregate a
    GROUP BY, and the subquery it heads must yield one row for its outer row."""

    function = "JSON_AGG"
    template = "%(function)s(%(expressions)s)::text"  # text for orjson (psycopg decodes `json` itself)
    arg_joiner = " "
    output_field = _JSONList()


def object_array(queryset, **fields) -> Subquery:
    """`(SELECT JSON_AGG(JSON_BUILD_OBJECT(…) ORDER BY …))`: the outer row's related rows as dicts.

    `queryset` is already filtered on `OuterRef("pk")` and ordered; `fields` name the keys, in the
    output's order, and the expressions (or field paths) that fill them. `json` keeps the keys in
    that order (`jsonb` sorts them), and one JSON document per row is parsed once by orjson: on a
    100-row provider page a quarter less time than an array of `jsonb` objects, decoded one by one.
    """
    pairs = []
    for key, value in fields.items():
        pairs += [Value(key), F(value) if isinstance(value, str) else value]
    item = Func(*pairs, function="JSON_BUILD_OBJECT", output_field=models.TextField())
    order = queryset.query.order_by
    aggregate = _JSONAgg(item, OrderByList(*order)) if order else _JSONAgg(item)
    return Subquery(queryset.order_by().values(items=aggregate), output_field=_JSONList())


def _column_value(instance, column: str):
    """The value `.values(column)` would give, read from a loaded instance (`owner__email`)."""
    value = instance
    for name in column.split("__"):
        if value is None:
            return None
        value = getattr(value, name)
    return value


def precompiled(model, expressions: dict[str, Any]) -> dict[str, RawSQL]:
    """The expressions compiled once into SQL for queries over `model`'s table.

    Compiling four correlated subqueries costs ~4 ms of Python on every request, more than the
    rest of the query; their SQL never changes. Resolved against a plain query of `model`, an
    `OuterRef` names the table itself, which is also the alias the table has in any queryset of
    `model` (Django aliases only later joins), and the subqueries' own aliases (U0, V0, …) cannot
    meet the outer query's (T3, …).
    """
    query = model._default_manager.all().query
    compiler = query.get_compiler(connection=connection)
    compiled = {}
    for name, expression in expressions.items():
        resolved = expression.resolve_expression(query, allow_joins=True, reuse=None)
        sql, params = compiler.compile(resolved)
        # SQL the ORM compiled from model metadata, with its parameters kept apart: no input.
        compiled[name] = RawSQL(sql, tuple(params), output_field=resolved.output_field)  # noqa: S611
    return compiled


def lean_path_available() -> bool:
    """The lean path folds relations into the page query with PostgreSQL arrays and JSON."""
    return connection.vendor == "postgresql"


class LeanListMixin:
    """`list` from `.values(*lean_columns, **lean_arrays())` rows turned into output by `lean_rows`.

    `lean_arrays()` names the page query's array annotations (`code_array`, `object_array`):
    each relation comes with its row, so a page is one statement whatever it shows. They are
    compiled to SQL once per viewset class, so they must not depend on the request. `retrieve`
    shares the path: the object is found (scoped, 404, object permissions) as before, in one
    statement that carries its arrays, and goes through `lean_rows` like a page of one. On a
    database without arrays (SQLite in development) both actions take DRF's serializers, which
    the lean rows are tested to equal.
    """

    lean_columns: tuple[str, ...] = ()
    _compiled_arrays: ClassVar[dict[tuple[type, str], dict[str, RawSQL]]] = {}

    def lean_arrays(self) -> dict[str, Any]:
        return {}

    def _arrays(self, model) -> dict[str, RawSQL]:
        """`lean_arrays()` compiled once per viewset class and database."""
        key = (type(self), connection.alias)
        arrays = self._compiled_arrays.get(key)
        if arrays is None:
            arrays = self._compiled_arrays[key] = precompiled(model, self.lean_arrays())
        return arrays

    def lean_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _lean(self) -> bool:
        # Not while drf-spectacular inspects the view for the schema: compiling the arrays asks the
        # database server for its version, which must not happen at import time (the test runner
        # would find a connection pool already bound to the real database).
        return (
            self.action in ("list", "retrieve")
            and not getattr(self, "swagger_fake_view", False)
            and lean_path_available()
        )

    def get_queryset(self):
        queryset = super().get_queryset()
        if not self._lean():
            return queryset
        # Relations come with the row as the arrays, not from prefetch_related.
        queryset = queryset.prefetch_related(None)
        return queryset.annotate(**self._arrays(queryset.model)) if self.action == "retrieve" else queryset

    def list(self, request, *args, **kwargs):
        if not self._lean():
            return super().list(request, *args, **kwargs)
        queryset = self.filter_queryset(self.get_queryset())
        queryset = queryset.values(*self.lean_columns, **self._arrays(queryset.model))
        page = self.paginate_queryset(queryset)
        rows = self.lean_rows(list(page if page is not None else queryset))
        if page is not None:
            return self.get_paginated_response(rows)
        return Response(rows)

    def retrieve(self, request, *args, **kwargs):
        if not self._lean():
            return super().retrieve(request, *args, **kwargs)
        instance = self.get_object()  # one statement: the row, its joined columns and its arrays
        names = (*self.lean_columns, *self._arrays(type(instance)))
        row = {name: _column_value(instance, name) for name in names}
        return Response(self.lean_rows([row])[0])
