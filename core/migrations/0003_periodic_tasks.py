"""Beat schedules for the platform's housekeeping, stored with django-celery-beat so staff can
see and change them in the admin. Every entry expires before its next run."""

from django.db import migrations

from core.scheduling import install_periodic_tasks, remove_periodic_tasks

INTERVAL_TASKS = [
    # (name, task, every seconds, expire seconds)
    ("Send outbox messages left by a broker outage", "core.tasks.drain_outbox", 60, 50),
    ("Retry webhook deliveries that are due", "core.tasks.retry_webhooks", 60, 50),
    ("Worker heartbeat for /health/", "core.tasks.heartbeat", 30, 25),
]
CRONTAB_TASKS = [
    # (name, task, minute, hour, day of week, expire seconds)
    (
        "Purge idempotency records older than two days",
        "core.tasks.purge_idempotency_records",
        "15",
        "3",
        "*",
        3600,
    ),
]


def schedule(apps, schema_editor):
    install_periodic_tasks(apps, interval_tasks=INTERVAL_TASKS, crontab_tasks=CRONTAB_TASKS)


def unschedule(apps, schema_editor):
    remove_periodic_tasks(apps, [task[0] for task in INTERVAL_TASKS + CRONTAB_TASKS])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_api_keys_webhooks_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
