"""Beat schedules for the platform's housekeeping, stored with django-celery-beat so staff can
see and change them in the admin. Every entry expires before its next run."""

from django.db import migrations

INTERVAL_TASKS = [
    # (name, task, every seconds, expire seconds)
    ("Send outbox messages left by a broker outage", "core.tasks.drain_outbox", 60, 50),
    ("Retry webhook deliveries that are due", "core.tasks.retry_webhooks", 60, 50),
]
CRONTAB_TASKS = [
    # (name, task, minute, hour, expire seconds)
    (
        "Purge idempotency records older than two days",
        "core.tasks.purge_idempotency_records",
        "15",
        "3",
        3600,
    ),
]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, expires in INTERVAL_TASKS:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task, "interval": interval, "expire_seconds": expires, "enabled": True},
        )
    for name, task, minute, hour, expires in CRONTAB_TASKS:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "expire_seconds": expires, "enabled": True}
        )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[t[0] for t in INTERVAL_TASKS + CRONTAB_TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_api_keys_webhooks_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
