from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = "Accounts and platform"

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun

        from core import audit, audit_review, db_roles, signals  # noqa: F401 - connects their receivers

        audit_review.register()  # reviews of the audit trail are signed (core/signatures.py)

        def enter(task_id=None, task=None, **kwargs):
            context = audit.task_context(task.name)
            context.__enter__()
            task.request.audit_context = context

        def leave(task_id=None, task=None, **kwargs):
            context = getattr(task.request, "audit_context", None)
            if context is not None:
                context.__exit__(None, None, None)

        # Changes made by background work are attributed to the task that made them.
        task_prerun.connect(enter, weak=False, dispatch_uid="audit-task-enter")
        task_postrun.connect(leave, weak=False, dispatch_uid="audit-task-leave")


class SourcewiseAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "core.admin_site.SourcewiseAdminSite"
