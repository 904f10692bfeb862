"""The date hierarchy of the big changelists: the same years and months as Django's own
`DISTINCT DATE_TRUNC` over every row, found with index probes instead."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagements.models import Activity
from tests.factories import ActivityFactory, EngagementFactory

pytestmark = pytest.mark.django_db

URL = reverse("admin:engagements_activity_changelist")
WHEN = [
    datetime(2024, 3, 5, tzinfo=UTC),
    datetime(2026, 1, 31, 23, 59, tzinfo=UTC),
    datetime(2026, 7, 1, tzinfo=UTC),
]


@pytest.fixture
def activities():
    engagement = EngagementFactory()
    return [ActivityFactory(engagement=engagement, occurred_at=when) for when in WHEN]


def _hierarchy(client, query=""):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL + query)
    assert response.status_code == 200
    sql = " ".join(q["sql"] for q in ctx.captured_queries).upper()
    return response.content.decode(), sql


def test_years_with_rows_are_listed_and_the_empty_year_between_is_not(client, superuser, activities):
    client.force_login(superuser)
    page, sql = _hierarchy(client)
    assert "occurred_at__year=2024" in page and "occurred_at__year=2026" in page
    assert "occurred_at__year=2025" not in page
    assert "DISTINCT" not in sql


def test_a_year_lists_exactly_its_months_with_rows(client, superuser, activities):
    client.force_login(superuser)
    page, sql = _hierarchy(client, "?occurred_at__year=2026")
    months = {
        m for m in range(1, 13) if f"occurred_at__month={m}&" in page or f'occurred_at__month={m}"' in page
    }
    assert months == {1, 7}
    assert "DISTINCT" not in sql


def test_the_probes_give_what_django_gives(activities):
    from core.admin_tools import IndexedDateHierarchyMixin

    class Base:
        def get_queryset(self, request):
            return Activity.objects.all()

    class Probed(IndexedDateHierarchyMixin, Base):
        pass

    probed = Probed().get_queryset(None)
    for kind in ("year", "month"):
        assert list(probed.datetimes("occurred_at", kind)) == list(
            Activity.objects.datetimes("occurred_at", kind)
        )
        assert list(probed.datetimes("occurred_at", kind, order="DESC")) == list(
            Activity.objects.datetimes("occurred_at", kind, order="DESC")
        )
