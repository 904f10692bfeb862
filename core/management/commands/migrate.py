"""`migrate`, connected as the owner role when DATABASE_OWNER_URL names one (core/db_roles.py)."""

from django.core.management.commands.migrate import Command as MigrateCommand

from core.db_roles import as_owner


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with as_owner(options["database"]):
            return super().handle(*args, **options)
