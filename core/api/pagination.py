from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pagination: the 1,000th page costs what the first does (no OFFSET scan)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")


class NamedCursorPagination(StableCursorPagination):
    ordering = ("name", "id")


class IdCursorPagination(StableCursorPagination):
    ordering = ("id",)
