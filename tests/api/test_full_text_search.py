"""`?search=` on PostgreSQL: stored tsvector (GIN) for words, trigram for partial names, and the
rare-term path that sorts only the matching rows instead of walking the whole cursor index."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.api.search import FullTextSearchFilter
from engagements.models import Engagement
from tests import factories
from tests.api.conftest import API

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def engagements(sponsor_a):
    now = timezone.now()
    made = []
    for age, (name, description) in enumerate(
        [
            ("Oncology basket trial", "Pivotal study with protocol ONC-30295 in Europe"),
            ("Rare disease registry", "Natural history registry, pivotal for the submission"),
            ("Vaccine phase III", "Pivotal efficacy study"),
            ("Device feasibility", "First in human"),
        ]
    ):
        engagement = factories.EngagementFactory(sponsor=sponsor_a, name=name, description=description)
        Engagement.objects.filter(pk=engagement.pk).update(created_at=now - timedelta(days=age))
        made.append(engagement)
    return made


@pytest.mark.parametrize("limit", [FullTextSearchFilter.RARE_TERM_LIMIT, 1])
def test_a_word_in_the_description_finds_its_engagements_newest_first(
    limit, staff_key, engagements, monkeypatch
):
    # limit=1 makes "pivotal" (3 matches) a common term: the ordered-walk branch answers
    monkeypatch.setattr(FullTextSearchFilter, "RARE_TERM_LIMIT", limit)
    names = _names(staff_key.get(f"{API}/engagements/?search=pivotal"))
    assert names == ["Oncology basket trial", "Rare disease registry", "Vaccine phase III"]


def test_stemming_matches_other_forms_of_a_word(staff_key, engagements):
    assert _names(staff_key.get(f"{API}/engagements/?search=registries")) == ["Rare disease registry"]


def test_a_partial_name_is_found_through_the_trigram_index(staff_key, engagements):
    assert _names(staff_key.get(f"{API}/engagements/?search=feasib")) == ["Device feasibility"]


def test_a_rare_term_pages_through_its_matches_with_the_cursor(staff_key, engagements):
    first = staff_key.get(f"{API}/engagements/?search=pivotal&page_size=2").json()
    assert [row["name"] for row in first["results"]] == ["Oncology basket trial", "Rare disease registry"]
    second = staff_key.get(first["next"]).json()
    assert [row["name"] for row in second["results"]] == ["Vaccine phase III"]


def test_search_stays_inside_the_callers_sponsor(sponsor_a, sponsor_b, key_a, engagements):
    factories.EngagementFactory(sponsor=sponsor_b, name="Their pivotal study")
    names = _names(key_a.get(f"{API}/engagements/?search=pivotal"))
    assert "Their pivotal study" not in names and len(names) == 3


def test_sponsors_are_searched_by_word_and_partial_name(staff_key):
    factories.SponsorFactory(name="Helixion Therapeutics", headquarters="Basel")
    factories.SponsorFactory(name="Northwind Biologics", headquarters="Boston")
    assert _names(staff_key.get(f"{API}/sponsors/?search=basel")) == ["Helixion Therapeutics"]
    assert _names(staff_key.get(f"{API}/sponsors/?search=northw")) == ["Northwind Biologics"]


def _bounded_statements(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return sum(
        'FROM "engagements_engagement"' in q["sql"] and " LIMIT " in q["sql"] and "EXPLAIN" not in q["sql"]
        for q in captured
    )


def test_a_term_the_planner_expects_to_be_common_skips_the_rare_term_probe(
    staff_key, engagements, monkeypatch
):
    # With the limit and the share at 0 every estimate exceeds them: the page query alone answers.
    monkeypatch.setattr(FullTextSearchFilter, "RARE_TERM_LIMIT", 0)
    monkeypatch.setattr(FullTextSearchFilter, "COMMON_SHARE", 0)
    assert _bounded_statements(staff_key, f"{API}/engagements/?search=pivotal") == 1
    names = _names(staff_key.get(f"{API}/engagements/?search=pivotal"))
    assert names == ["Oncology basket trial", "Rare disease registry", "Vaccine phase III"]
    monkeypatch.setattr(FullTextSearchFilter, "RARE_TERM_LIMIT", 2000)
    assert _bounded_statements(staff_key, f"{API}/engagements/?search=pivotal") == 2  # probe + page
