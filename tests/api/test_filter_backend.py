"""The filter backend skips django-filter only when no parameter could be a filter."""

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
