"""Beat schedules for the follow-up rules, reminders, digests and report housekeeping.

Stored with django-celery-beat: staff see and change them in the admin (Periodic tasks). Each
entry expires before its next run, so a backlog after an outage does not pile up duplicates.
"""

from django.db import migrations

from core.scheduling import install_periodic_tasks, remove_periodic_tasks

INTERVAL_TASKS = [
    # (name, task, every seconds, expire seconds)
    ("Reminders for follow-ups that are due", "engagements.tasks.remind_due_follow_ups", 300, 280),
    ("Retry e-mails that failed", "core.tasks.retry_notifications", 60, 50),
    ("Requeue report jobs nobody finished", "assessments.tasks.requeue_stale_reports", 300, 280),
]
CRONTAB_TASKS = [
    # (name, task, minute, hour, day of week, expire seconds)
    (
        "Assessment reminders and review follow-ups",
        "assessments.tasks.run_assessment_rules",
        "5",
        "*",
        "*",
        3000,
    ),
    (
        "Follow-ups for engagements idle in their stage",
        "engagements.tasks.flag_idle_engagements",
        "35",
        "*",
        "*",
        3000,
    ),
    ("Weekly digest for account managers", "assessments.tasks.send_weekly_digests", "0", "7", "1", 3600 * 6),
]


def schedule(apps, schema_editor):
    install_periodic_tasks(apps, interval_tasks=INTERVAL_TASKS, crontab_tasks=CRONTAB_TASKS)


def unschedule(apps, schema_editor):
    remove_periodic_tasks(apps, [task[0] for task in INTERVAL_TASKS + CRONTAB_TASKS])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0004_historicalreport_report"),
        ("core", "0004_notification"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
