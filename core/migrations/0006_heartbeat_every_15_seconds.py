"""Beat's heartbeat task runs every 15 s, so /health/ notices a stopped beat within a minute."""

from django.db import migrations

from core.scheduling import install_periodic_tasks

NAME = "Worker heartbeat for /health/"
TASK = "core.tasks.heartbeat"


def every_15_seconds(apps, schema_editor):
    install_periodic_tasks(apps, interval_tasks=[(NAME, TASK, 15, 14)])


def every_30_seconds(apps, schema_editor):
    install_periodic_tasks(apps, interval_tasks=[(NAME, TASK, 30, 25)])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_audit_trail"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(every_15_seconds, every_30_seconds)]
