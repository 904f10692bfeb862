"""The "Account managers" group: what an account manager may do in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = []
    for actions, table in (
        (("add", "change", "delete", "view"), FULL),
        (("change", "view"), VIEW_AND_CHANGE),
        (("view",), VIEW_ONLY),
    ):
        for app_label, models in table.items():
            for model in models:
                wanted += [(app_label, f"{action}_{model}") for action in actions]
    for app_label, codename in wanted:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0001_initial"),
        ("providers", "0002_reference_catalogs"),
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
