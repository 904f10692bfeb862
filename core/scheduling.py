"""Helpers for migrations that install django-celery-beat schedules (shared, so they agree)."""


def install_periodic_tasks(apps, *, interval_tasks=(), crontab_tasks=()) -> None:
    """interval_tasks: (name, task, every seconds, expire seconds);
    crontab_tasks: (name, task, minute, hour, day of week, expire seconds)."""
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, expires in interval_tasks:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task, "interval": interval, "expire_seconds": expires, "enabled": True},
        )
    for name, task, minute, hour, day_of_week, expires in crontab_tasks:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week=day_of_week,
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "expire_seconds": expires, "enabled": True}
        )


def remove_periodic_tasks(apps, names) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(names)).delete()


def grant_group_permissions(apps, group_name: str, codenames_by_app: dict[str, list[str]]) -> None:
    """Give a group permissions by codename, creating the permissions first if needed."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=group_name)
    for app_label, codenames in codenames_by_app.items():
        found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise LookupError(f"Unknown permissions for {app_label}: {sorted(missing)}")
        group.permissions.add(*found)
