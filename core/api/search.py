"""`?search=` for the large lists: full-text (stored tsvector, GIN index) plus partial-name
matching (trigram index) on PostgreSQL; the plain icontains search elsewhere."""

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Q
from rest_framework.filters import SearchFilter


class FullTextSearchFilter(SearchFilter):
    """Views opt in with `search_vector_field` (tsvector column) and `search_name_field`."""

    RARE_TERM_LIMIT = 2000

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
        ids = list(matches.order_by().values_list("pk", flat=True)[: self.RARE_TERM_LIMIT + 1])
        if len(ids) <= self.RARE_TERM_LIMIT:
            return queryset.filter(pk__in=ids)
        return matches
