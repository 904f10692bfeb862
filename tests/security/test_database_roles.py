"""The audit trail cannot be erased or bypassed by the application's own database role.

Under CI the suite connects as the application role (`sourcewise_app`); the owner role migrated
the tables (core/db_roles.py). Each attempt below is what an attacker with the application's
credentials (or a bug) would try; each must fail, and the trail must still record the change.
"""

import pytest
from django.db import DatabaseError, connection, transaction

from engagements.models import Sponsor, SponsorEvent
from tests.factories import SponsorFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _triggers_of(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table]
        )
        return [row[0] for row in cursor.fetchall()]


def _refused(sql: str, params=None) -> DatabaseError:
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return refusal.value


@pytest.mark.app_role
def test_the_application_role_owns_no_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (False, False, False)


@pytest.mark.app_role
def test_the_pgtrigger_ignore_setting_cannot_silence_the_trail():
    sponsor = SponsorFactory(name="Before")
    names = "{" + ",".join(_triggers_of(Sponsor._meta.db_table)) + "}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [names])
        Sponsor.objects.filter(pk=sponsor.pk).update(name="Changed in silence?")
    assert SponsorEvent.objects.filter(
        pgh_obj_id=sponsor.pk, pgh_label="update", name="Changed in silence?"
    ).exists()


@pytest.mark.app_role
def test_events_cannot_be_deleted_or_rewritten_even_with_the_guard_muted():
    sponsor = SponsorFactory()
    table = SponsorEvent._meta.db_table
    guard = "{" + ",".join(_triggers_of(table)) + "}"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [guard])
        cursor.execute(f'DELETE FROM "{table}" WHERE pgh_obj_id = %s', [sponsor.pk])
    assert "permission denied" in str(_refused(f'UPDATE "{table}" SET name = %s', ["forged"]))
    assert SponsorEvent.objects.filter(pgh_obj_id=sponsor.pk).exists()


@pytest.mark.app_role
def test_event_tables_cannot_be_truncated():
    SponsorFactory()
    assert "permission denied" in str(_refused(f'TRUNCATE "{SponsorEvent._meta.db_table}"'))
    assert SponsorEvent.objects.exists()


@pytest.mark.app_role
@pytest.mark.parametrize("table", [SponsorEvent._meta.db_table, Sponsor._meta.db_table])
def test_triggers_cannot_be_disabled(table):
    assert "must be owner" in str(_refused(f'ALTER TABLE "{table}" DISABLE TRIGGER ALL'))


@pytest.mark.app_role
def test_replication_role_cannot_switch_triggers_off():
    _refused("SET session_replication_role = replica")


@pytest.mark.app_role
def test_the_application_cannot_rewrite_the_migration_history():
    _refused("DELETE FROM django_migrations WHERE app = 'core'")


def test_a_change_outside_any_request_names_its_database_origin():
    """manage.py shell, a script, a SQL console: the event still says who and from where."""
    sponsor = SponsorFactory()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE engagements_sponsor SET notes = %s WHERE id = %s", ["raw SQL", sponsor.pk])
        cursor.execute("SELECT current_user")
        role = cursor.fetchone()[0]
    event = SponsorEvent.objects.filter(pgh_obj_id=sponsor.pk, notes="raw SQL").get()
    origin = event.pgh_context["origin"]
    assert origin["db_user"] == role
    assert origin["application"].startswith("sourcewise")
    assert origin["client"]


def test_a_request_keeps_its_actor_beside_the_origin(am_client):
    from django.urls import reverse

    sponsor = SponsorFactory()
    response = am_client.post(reverse("admin:engagements_sponsor_delete", args=[sponsor.pk]), {"post": "yes"})
    assert response.status_code == 302
    event = SponsorEvent.objects.filter(pgh_obj_id=sponsor.pk, pgh_label="delete").get()
    assert event.pgh_context["actor"].startswith("user:") and event.pgh_context["origin"]["db_user"]
