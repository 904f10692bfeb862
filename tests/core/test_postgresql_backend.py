"""The PostgreSQL backend (core.postgresql): timestamps parsed by psycopg's C loader, same values."""

import datetime

import pytest
from django.db import connection
from psycopg.pq import Format

from engagements.models import Sponsor
from tests.factories import SponsorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TIMESTAMPTZ = 1184


def _loader():
    with connection.cursor() as cursor:
        return cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)


def test_timestamps_come_back_as_django_gives_them():
    at = datetime.datetime(
        2024, 2, 29, 23, 59, 58, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
    )
    sponsor = SponsorFactory()
    Sponsor.objects.filter(pk=sponsor.pk).update(created_at=at)
    loaded = Sponsor.objects.values_list("created_at", flat=True).get(pk=sponsor.pk)
    assert loaded == at
    assert loaded.tzinfo is datetime.UTC
    assert loaded.isoformat() == "2024-03-01T04:59:58.123456+00:00"
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, NULL::timestamptz", ["0001-01-01 00:00:00+00"])
        assert cursor.fetchone() == (datetime.datetime(1, 1, 1, tzinfo=datetime.UTC), None)


def test_cursors_take_psycopgs_loader_while_the_session_is_in_utc():
    assert "psycopg_binary" in _loader().__module__ or "psycopg_c" in _loader().__module__


def test_a_session_in_another_zone_keeps_djangos_loader():
    """Django's loader puts every value in UTC whatever the session's zone; so does the backend."""
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Paris'")
    try:
        assert _loader().__module__ == "django.db.backends.postgresql.psycopg_any"
        loaded = Sponsor.objects.values_list("created_at", flat=True).get(pk=SponsorFactory().pk)
        assert loaded.tzinfo is datetime.UTC
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
