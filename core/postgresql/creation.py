"""Test databases are created and dropped by the owner role (core/db_roles.py); the tests then
run as the application role, with exactly the rights it has in production."""

from io import StringIO

from django.core import serializers
from django.db.backends.postgresql import creation
from django.db.transaction import atomic

from core.db_roles import as_owner


def _is_audit_event(model) -> bool:
    from pghistory.models import Event

    return issubclass(model, Event)


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, *args, **kwargs):
        with as_owner(self.connection.alias):
            return super().create_test_db(*args, **kwargs)

    def destroy_test_db(self, *args, **kwargs):
        with as_owner(self.connection.alias):
            return super().destroy_test_db(*args, **kwargs)

    def deserialize_db_from_string(self, data):
        """Django's, minus audit events: a test with serialized rollback puts the migrations' rows
        back by saving each (an UPDATE first), and event tables refuse updates by design; the
        events are history, not data a test starts from."""
        table_names = set()
        with atomic(using=self.connection.alias):
            with self.connection.constraint_checks_disabled():
                for obj in serializers.deserialize("json", StringIO(data), using=self.connection.alias):
                    if _is_audit_event(type(obj.object)):
                        continue
                    obj.save()
                    table_names.add(obj.object.__class__._meta.db_table)
            self.connection.check_constraints(table_names=table_names)
