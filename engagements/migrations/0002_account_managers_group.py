"""The "Account managers" group: what an account manager may do in the admin."""

from django.db import migrations

from core.scheduling import grant_group_permissions

GROUP = "Account managers"
FULL = {
    "providers": ["provider", "capability", "therapeuticexpertise"],
    "engagements": [
        "sponsor",
        "sponsorcapability",
        "contact",
        "sponsormembership",
        "engagement",
        "engagementprovider",
        "activity",
        "followup",
    ],
}
VIEW_AND_CHANGE = {"providers": ["clinicalfunction", "therapeuticarea", "region", "aicapability"]}
VIEW_ONLY = {"engagements": ["stagetransition"], "core": ["user"]}


def grant(apps, schema_editor):
    wanted: dict[str, list[str]] = {}
    for actions, table in (
        (("add", "change", "delete", "view"), FULL),
        (("change", "view"), VIEW_AND_CHANGE),
        (("view",), VIEW_ONLY),
    ):
        for app_label, models in table.items():
            wanted.setdefault(app_label, []).extend(
                f"{action}_{model}" for model in models for action in actions
            )
    grant_group_permissions(apps, GROUP, wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0001_initial"),
        ("providers", "0002_reference_catalogs"),
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
