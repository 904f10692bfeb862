"""Changelist filters from the query string whose values the database cannot take.

The admin accepts a lookup on any of a model's own fields from the query string, as its filter
links produce them. Some values pass Django's parsing and fail only in the database or while the
query is compiled: a UTC offset beyond PostgreSQL's ±15:59, an instant before year 1 in UTC,
a number with more decimals than `numeric` holds, an unbalanced regular expression, a range
with one bound. Such a request gets the admin's "invalid filter" notice (`?e=1`) or, where the
database can answer it, the filtered list: never a server error (the test client re-raises one).
"""

from datetime import UTC, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import DataError, connection, models
from django.urls import reverse

from engagements.models import Engagement
from tests.factories import ActivityFactory, EngagementFactory

pytestmark = pytest.mark.django_db

ENGAGEMENTS = reverse("admin:engagements_engagement_changelist")
REFUSED = (302, f"{ENGAGEMENTS}?e=1")
FAR_OFFSET = "2025-01-01T00:00:00-21:03"  # Python parses it, PostgreSQL refuses it

# (lookup, value, refused on which backends): the rest answer with the list.
VALUES = [
    ("created_at__gte", FAR_OFFSET, {"postgresql"}),
    ("created_at__lt", "0001-01-01T00:30:00+05:00", {"sqlite"}),  # PostgreSQL has year 0
    ("created_at__gte", "9999-12-31T23:30:00-05:00", {"sqlite"}),
    # The admin hands `__range` its text whole: never a valid pair (one character was an
    # IndexError while the query compiled).
    ("created_at__range", f"2025-01-01T00:00:00+00:00,{FAR_OFFSET}", {"postgresql", "sqlite"}),
    ("value__range", "1", {"postgresql", "sqlite"}),
    ("value__gte", "1e-20000", {"postgresql"}),
    ("value__in", "1,1e200000", {"postgresql"}),
    ("name__regex", "(((", {"postgresql", "sqlite"}),
    ("name__iregex", "[", {"postgresql", "sqlite"}),
    ("probability__gte", "99999999999999", set()),
]


def _date_time_lookups():
    """(model, field) for every registered changelist with a date-time field of its own."""
    return [
        (model, field.name)
        for model in admin.site._registry
        for field in model._meta.get_fields()
        if isinstance(field, models.DateTimeField)
    ]


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize(
    ("lookup", "value", "refused_on"), VALUES, ids=lambda v: v if isinstance(v, str) else ""
)
def test_a_value_the_database_cannot_take_gets_the_invalid_filter_notice(
    superuser, client, lookup, value, refused_on
):
    EngagementFactory(name="Phase II oncology")
    client.force_login(superuser)
    response = client.get(f"{ENGAGEMENTS}?{urlencode({lookup: value})}")
    if connection.vendor in refused_on:
        assert (response.status_code, response["Location"]) == REFUSED
    else:
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("model", "field"),
    _date_time_lookups(),
    ids=lambda value: getattr(value, "_meta", None) and value._meta.label,
)
def test_no_changelist_fails_on_a_far_offset(superuser, client, model, field):
    client.force_login(superuser)
    url = _changelist(model)
    response = client.get(f"{url}?{urlencode({f'{field}__gte': FAR_OFFSET})}")
    if connection.vendor == "postgresql":
        assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")
    else:
        assert response.status_code == 200


def test_an_ordinary_offset_still_filters_by_the_instant(superuser, client):
    engagement = ActivityFactory(occurred_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC)).engagement
    ActivityFactory(engagement=engagement, occurred_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    client.force_login(superuser)
    after = datetime(2026, 3, 1, 11, 0, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    url = reverse("admin:engagements_activity_changelist")
    response = client.get(f"{url}?{urlencode({'occurred_at__gte': after.isoformat()})}")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_the_database_still_answers_after_a_refused_filter(superuser, client):
    EngagementFactory(name="Still here")
    client.force_login(superuser)
    assert client.get(f"{ENGAGEMENTS}?name__regex=(((").status_code == 302
    # The failed statement was undone to its savepoint: the same transaction goes on.
    assert Engagement.objects.filter(name="Still here").exists()
    assert client.get(f"{ENGAGEMENTS}?e=1").status_code == 200


def test_a_failure_without_filters_is_not_hidden(superuser, client, monkeypatch):
    def broken(self, request):
        raise DataError("a fault of ours, not of the visitor's input")

    monkeypatch.setattr(ChangeList, "get_results", broken)
    client.force_login(superuser)
    with pytest.raises(DataError):
        client.get(ENGAGEMENTS)
    assert client.get(f"{ENGAGEMENTS}?name__regex=x")["Location"] == f"{ENGAGEMENTS}?e=1"
