"""The default follow-up automation policy and stage limits (editable in the admin)."""

from django.db import migrations

STAGE_LIMITS = {
    "lead": 14,
    "qualification": 14,
    "assessment": 21,
    "proposal": 14,
    "negotiation": 21,
    "won": 14,
}


def create(apps, schema_editor):
    AutomationPolicy = apps.get_model("engagements", "AutomationPolicy")
    StageLimit = apps.get_model("engagements", "StageLimit")
    policy, _ = AutomationPolicy.objects.get_or_create(pk=1)
    for stage, days in STAGE_LIMITS.items():
        StageLimit.objects.get_or_create(policy=policy, stage=stage, defaults={"days": days})


class Migration(migrations.Migration):
    dependencies = [("engagements", "0003_automationpolicy_stagelimit")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
