"""`?search=` for the large lists: full-text (stored tsvector, GIN index) plus partial-name
matching (trigram index) on PostgreSQL; the plain icontains search elsewhere."""

import json

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Q
from rest_framework.filters import SearchFilter


def _estimated_rows(queryset) -> float:
    """How many rows PostgreSQL's planner expects `queryset` to return (EXPLAIN, not run)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str | bytes):
        plan = json.loads(plan)
    return plan[0]["Plan"]["Plan Rows"]


class FullTextSearchFilter(SearchFilter):
    """Views opt in with `search_vector_field` (tsvector column) and `search_name_field`."""

    RARE_TERM_LIMIT = 2000
    COMMON_SHARE = 0.02

    def filter_queryset(self, request, queryset, view):
        vector_field = getattr(view, "search_vector_field", None)
        terms = self.get_search_terms(request)
        if not terms or vector_field is None or connection.vendor != "postgresql":
            return super().filter_queryset(request, queryset, view)
        text = " ".join(terms)[:200]
        query = SearchQuery(text, search_type="websearch", config="english")
        name_field = getattr(view, "search_name_field", "name")
        # Both conditions have an index; PostgreSQL combines them with a BitmapOr.
        matches = queryset.filter(Q(**{vector_field: query}) | Q(**{f"{name_field}__icontains": text}))
        # A page is ordered by the cursor's index (newest first). For a common term, walking that
        # index finds a page of matches at once; for a rare one (a protocol number) the walk would
        # visit every row before giving up. So first ask the GIN/trigram indexes, unordered, for at
        # most RARE_TERM_LIMIT + 1 matches: when there are no more than that, the page is sorted
        # from exactly those rows; otherwise the term is common and the ordered walk is cheap.
        # The planner's estimate (word frequencies from ANALYZE) settles the clearly common terms
        # first: for them the probe would be a scan that stops only after RARE_TERM_LIMIT matches.
        # A word ANALYZE has not seen gets a default estimate (0.5% of the table), so only an
        # estimate well above both the limit and that default counts as common.
        expected = _estimated_rows(matches.order_by().values("pk"))
        if expected > 10 * self.RARE_TERM_LIMIT and expected > self.COMMON_SHARE * _estimated_rows(
            queryset.order_by().values("pk")
        ):
            return matches
        ids = list(matches.order_by().values_list("pk", flat=True)[: self.RARE_TERM_LIMIT + 1])
        if len(ids) <= self.RARE_TERM_LIMIT:
            return queryset.filter(pk__in=ids)
        return matches
