"""Account managers run assessments and maintain questionnaires; answers and recommendations are read-only."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FULL = ["questionnaire", "section", "question", "choice", "scoringweight", "assessment"]
VIEW = ["answer", "recommendation"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Account managers")
    codenames = [f"{a}_{m}" for m in FULL for a in ("add", "change", "delete", "view")] + [
        f"view_{m}" for m in VIEW
    ]
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="assessments", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0002_reference_questionnaire"),
        ("engagements", "0002_account_managers_group"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
