import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("sourcewise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _install_operations() -> None:
    """Worker heartbeat for /health/ (a bootstep in each worker's main process), JSON logs with
    the task id (core.observability) and task metrics (core.metrics)."""
    from celery import signals

    from core import metrics, observability
    from core.health import WorkerHeartbeat

    app.steps["worker"].add(WorkerHeartbeat)
    signals.setup_logging.connect(observability.configure_logging, weak=False)
    signals.before_task_publish.connect(observability.stamp_request_id, weak=False)
    signals.task_prerun.connect(observability.bind_task, weak=False)
    signals.task_postrun.connect(observability.unbind_task, weak=False)
    signals.task_prerun.connect(metrics.task_started, weak=False)
    signals.task_postrun.connect(metrics.task_ended, weak=False)
    signals.task_failure.connect(metrics.task_failed, weak=False)


_install_operations()
