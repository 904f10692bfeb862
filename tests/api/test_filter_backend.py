"""The filter backend skips django-filter only when no parameter could be a filter."""

import datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from django_filters.rest_framework import DjangoFilterBackend

from engagements.models import Stage
from tests import factories
from tests.api.conftest import API

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(monkeypatch):
    calls = []
    original = DjangoFilterBackend.get_filterset

    def spy(self, request, queryset, view):
        calls.append(request.query_params.dict())
        return original(self, request, queryset, view)

    monkeypatch.setattr(DjangoFilterBackend, "get_filterset", spy)
    return calls


def test_an_unfiltered_page_does_not_build_a_filterset(staff_key, built):
    factories.EngagementFactory()
    assert staff_key.get(f"{API}/engagements/?page_size=5&ordering=-created_at").status_code == 200
    assert built == []


def test_a_filter_parameter_still_filters(staff_key, built):
    wanted = factories.EngagementFactory(stage=Stage.LEAD)
    factories.EngagementFactory(stage=Stage.PROPOSAL)
    response = staff_key.get(f"{API}/engagements/?stage=lead")
    assert [row["id"] for row in response.json()["results"]] == [str(wanted.pk)]
    assert built == [{"stage": "lead"}]


def test_a_bad_filter_value_is_still_a_clear_400(staff_key):
    response = staff_key.get(f"{API}/engagements/?stage=nonsense")
    assert response.status_code == 400


def test_the_stage_filter_takes_several_stages_and_needs_no_distinct(staff_key):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lead = factories.EngagementFactory(stage=Stage.LEAD)
    proposal = factories.EngagementFactory(stage=Stage.PROPOSAL)
    factories.EngagementFactory(stage=Stage.WON)
    with CaptureQueriesContext(connection) as ctx:
        response = staff_key.get(f"{API}/engagements/?stage=lead&stage=proposal")
    assert {row["id"] for row in response.json()["results"]} == {str(lead.pk), str(proposal.pk)}
    page_queries = [q["sql"] for q in ctx.captured_queries if 'FROM "engagements_engagement"' in q["sql"]]
    assert page_queries and not any("DISTINCT" in sql for sql in page_queries)


# PostgreSQL refuses offsets beyond ±15:59 that Python parses; the filters hand it UTC instead.
@pytest.mark.parametrize(
    "path",
    [
        "sponsors/?created_after={}",
        "engagements/?created_before={}",
        "activities/?occurred_after={}",
        "follow-ups/?due_before={}",
    ],
)
def test_a_date_time_filter_with_a_far_offset_is_read_as_its_utc_instant(staff_key, path):
    now = datetime.datetime.now(datetime.UTC)
    far = (now + datetime.timedelta(days=3)).astimezone(
        datetime.timezone(-datetime.timedelta(hours=21, minutes=3))
    )
    response = staff_key.get(f"{API}/{path.format(quote(far.isoformat()))}")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("value", ["0001-01-01T00:30:00+05:00", "9999-12-31T23:30:00-05:00"])
def test_a_date_time_with_no_utc_equivalent_is_a_clear_400(staff_key, value):
    response = staff_key.get(f"{API}/engagements/?created_after={quote(value)}")
    assert response.status_code == 400
    assert "out of range" in response.content.decode()


def test_an_offset_date_time_filter_compares_instants(staff_key):
    engagement = factories.EngagementFactory()
    offset = datetime.timezone(datetime.timedelta(hours=-21, minutes=-3))
    just_after = (engagement.created_at + datetime.timedelta(seconds=1)).astimezone(offset)
    just_before = (engagement.created_at - datetime.timedelta(seconds=1)).astimezone(offset)

    def ids(query):
        return [row["id"] for row in staff_key.get(f"{API}/engagements/?{query}").json()["results"]]

    assert ids(f"created_before={quote(just_after.isoformat())}") == [str(engagement.pk)]
    assert ids(f"created_before={quote(just_before.isoformat())}") == []


@pytest.mark.parametrize("value", ["1e-20000", "1e200000", "0.001", "123456789012345"])
def test_a_value_filter_beyond_the_columns_precision_is_a_clear_400(staff_key, value):
    # PostgreSQL's numeric refuses more than 16,383 decimals; the column keeps 14 digits, 2 decimals.
    response = staff_key.get(f"{API}/engagements/?value_min={value}")
    assert response.status_code == 400
    assert "value_min" in response.json()["error"]["fields"]


def test_a_value_filter_within_precision_filters(staff_key):
    big = factories.EngagementFactory(value=Decimal("250000.00"))
    factories.EngagementFactory(value=Decimal("1000.00"))
    response = staff_key.get(f"{API}/engagements/?value_min=249999.99")
    assert [row["id"] for row in response.json()["results"]] == [str(big.pk)]
