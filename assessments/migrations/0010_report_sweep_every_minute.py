"""The report sweep runs every minute: a job killed at its time limit or whose message the broker
lost is tried again (or failed) within its limits plus one minute."""

from django.db import migrations

from core.scheduling import install_periodic_tasks

NAME = "Requeue report jobs nobody finished"
TASK = "assessments.tasks.requeue_stale_reports"


def every_minute(apps, schema_editor):
    install_periodic_tasks(apps, interval_tasks=[(NAME, TASK, 60, 50)])


def every_five_minutes(apps, schema_editor):
    install_periodic_tasks(apps, interval_tasks=[(NAME, TASK, 300, 280)])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0009_report_attempts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(every_minute, every_five_minutes)]
