"""Account managers run assessments and maintain questionnaires; answers and recommendations are read-only."""

from django.db import migrations

from core.scheduling import grant_group_permissions

FULL = ["questionnaire", "section", "question", "choice", "scoringweight", "assessment"]
VIEW = ["answer", "recommendation"]


def grant(apps, schema_editor):
    codenames = [f"{a}_{m}" for m in FULL for a in ("add", "change", "delete", "view")] + [
        f"view_{m}" for m in VIEW
    ]
    grant_group_permissions(apps, "Account managers", {"assessments": codenames})


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0002_reference_questionnaire"),
        ("engagements", "0002_account_managers_group"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
