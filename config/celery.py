import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("sourcewise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _install_operations() -> None:
    """Worker heartbeat for /health/ (a bootstep in each worker's main process)."""
    from core.health import WorkerHeartbeat

    app.steps["worker"].add(WorkerHeartbeat)


_install_operations()
