"""`flush` (empties every table, audit trail included: tests and local resets only), connected as
the owner role when DATABASE_OWNER_URL names one; the application role may not truncate."""

from django.core.management.commands.flush import Command as FlushCommand

from core.db_roles import as_owner


class Command(FlushCommand):
    def handle(self, **options):
        with as_owner(options["database"]):
            return super().handle(**options)
