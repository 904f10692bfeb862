"""Account managers read reports and adjust the follow-up automation and its schedules."""

from django.db import migrations

from core.scheduling import grant_group_permissions

PERMISSIONS = {
    "assessments": ["view_report"],
    "engagements": [
        "view_automationpolicy",
        "change_automationpolicy",
        "view_stagelimit",
        "add_stagelimit",
        "change_stagelimit",
        "delete_stagelimit",
    ],
    "django_celery_beat": [
        "view_periodictask",
        "change_periodictask",
        "view_intervalschedule",
        "add_intervalschedule",
        "view_crontabschedule",
        "add_crontabschedule",
    ],
    "core": ["view_notification"],
}


def grant(apps, schema_editor):
    grant_group_permissions(apps, "Account managers", PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_periodic_tasks"),
        ("engagements", "0005_sponsor_require_two_factor"),
        ("core", "0004_notification"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
