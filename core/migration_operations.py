"""Migration operations for PostgreSQL-only features (full-text and trigram search).

The embedded SQLite default has no tsvector, GIN index or trigger language, and does not need
them for a few dozen sponsors; these operations are skipped there."""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def baseline_events(*event_models: str):
    """A RunPython that records, for each row already in a newly audited table, a `baseline`
    event: the state when tracking began. The next change of that row then shows old and new
    values instead of only the new ones. `event_models` are "app_label.EventModel" names."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for label in event_models:
            event = apps.get_model(label)
            tracked = event._meta.get_field("pgh_obj").related_model
            fields = [f for f in event._meta.concrete_fields if not f.name.startswith("pgh_")]
            columns = ", ".join(quote(f.column) for f in fields)
            # Identifiers come from the models' metadata, quoted; no value is interpolated.
            sql = (
                f"INSERT INTO {quote(event._meta.db_table)} "  # noqa: S608
                f"(pgh_created_at, pgh_label, pgh_obj_id, pgh_context, {columns}) "
                f"SELECT NOW(), 'baseline', {quote(tracked._meta.pk.column)}, %s::jsonb, "
                f"{columns} FROM {quote(tracked._meta.db_table)}"
            )
            schema_editor.execute(
                sql, ['{"reason": "state when the audit trail began to track these records"}']
            )

    return migrations.RunPython(forwards, migrations.RunPython.noop)
