"""Two database roles: an owner that migrates, and the application that may only do its work.

If the role the application connects with owned the tables, it could erase or bypass the audit
trail: `SET LOCAL pgtrigger.ignore` to change data without an event, `TRUNCATE` or
`ALTER TABLE ... DISABLE TRIGGER` on the event tables. So in production:

- `DATABASE_OWNER_URL` names the owner role. `manage.py migrate` (and the test database set-up,
  `flush`, and the scale demo loader) connect as that role; it owns every table.
- `DATABASE_URL` names the application role: web, workers and beat connect as it. After every
  migration the owner grants it SELECT, INSERT, UPDATE and DELETE on the tables, but only SELECT
  and INSERT on the append-only ones (audit events, electronic signatures, review exceptions), and
  only SELECT on `django_migrations`. It owns nothing, so TRUNCATE and ALTER TABLE are refused.

Whatever the roles, after every migration (`harden`) the database:
- answers "no" to pgtrigger's ignore switch, so no session can mute a trigger with a setting;
- stamps every audit event with where it came from in the database: the session's role, the
  client's `application_name` and network address (`origin` in the event's context), so a change
  made from `manage.py shell` or a SQL console, outside any request, still says who made it.
"""

import contextlib
import logging

import environ
from django.conf import settings
from django.db import connections, transaction
from django.db.models.signals import post_migrate
from django.dispatch import receiver

log = logging.getLogger(__name__)

# Tables whose rows are never changed or removed once written (beyond the pghistory events).
INSERT_ONLY_MODELS = ("core.Signature", "core.AuditReviewException")

ORIGIN_FUNCTION = """
CREATE OR REPLACE FUNCTION public.sourcewise_audit_origin() RETURNS TRIGGER AS $$
BEGIN
    NEW.pgh_context := COALESCE(NEW.pgh_context, '{}'::jsonb) || jsonb_build_object(
        'origin', jsonb_build_object(
            'db_user', session_user::text,
            'application', NULLIF(current_setting('application_name', true), ''),
            'client', COALESCE(host(inet_client_addr()), 'local socket')
        )
    );
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# pgtrigger's switch reads a setting any session may change; here it always answers "do not
# ignore". Every trigger install (each migration that adds one) re-creates it, so this runs after
# every migration.
NO_IGNORE_FUNCTION = """
CREATE OR REPLACE FUNCTION public._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$ SELECT FALSE $$ LANGUAGE sql;
"""


def owner_settings() -> dict | None:
    url = getattr(settings, "DATABASE_OWNER_URL", "")
    if not url:
        return None
    config = environ.Env.db_url_config(url)
    return {"USER": config.get("USER", ""), "PASSWORD": config.get("PASSWORD", "")}


def app_role() -> str | None:
    """The application's role when it is separate from the owner, else None."""
    owner = owner_settings()
    if owner is None:
        return None
    user = settings.DATABASE_APP_USER
    return user if user and user != owner["USER"] else None


def _reconnect(connection, credentials: dict) -> None:
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    connection.settings_dict.update(credentials)


@contextlib.contextmanager
def as_owner(using: str = "default"):
    """Run the block connected as the owner role (a no-op when there is no separate owner)."""
    connection = connections[using]
    owner = owner_settings()
    if (
        owner is None
        or connection.vendor != "postgresql"
        or connection.settings_dict["USER"] == owner["USER"]
    ):
        yield
        return
    if connection.in_atomic_block:
        raise RuntimeError("Switching to the owner role needs a connection outside any transaction.")
    saved = {key: connection.settings_dict.get(key) for key in owner}
    _reconnect(connection, owner)
    try:
        yield
    finally:
        _reconnect(connection, saved)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def event_tables() -> list[str]:
    from django.apps import apps
    from pghistory.core import event_models

    tables = [model._meta.db_table for model in event_models()]
    for label in INSERT_ONLY_MODELS:
        try:
            tables.append(apps.get_model(label)._meta.db_table)
        except LookupError:
            continue
    return sorted(set(tables))


def harden(using: str = "default") -> None:
    """See the module docstring. Runs as the owner, after every migration."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    insert_only = event_tables()
    # One transaction: live traffic never sees the moment between revoking and granting.
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        existing = {row[0] for row in cursor.fetchall()}
        cursor.execute(NO_IGNORE_FUNCTION)
        cursor.execute(ORIGIN_FUNCTION)
        for table in insert_only:
            if table not in existing or not table.endswith("event"):
                continue
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER sourcewise_audit_origin BEFORE INSERT ON {_quote(table)} "
                "FOR EACH ROW EXECUTE FUNCTION public.sourcewise_audit_origin()"
            )
        role = app_role()
        if role is None:
            return
        quoted = _quote(role)
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for table in insert_only:
            if table in existing:
                cursor.execute(f"REVOKE UPDATE, DELETE ON {_quote(table)} FROM {quoted}")
        cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {quoted}")
    log.info("Database hardened: %s insert-only tables; application role %s", len(insert_only), role)


@receiver(post_migrate, dispatch_uid="sourcewise-harden-database")
def _harden_after_migrate(sender, using="default", plan=None, **kwargs):
    # post_migrate is sent once per app after all migrations ran: act once, for `core`. `flush`
    # sends no plan and needs nothing here.
    if plan is None or getattr(sender, "label", None) != "core":
        return
    harden(using)
