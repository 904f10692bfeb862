"""A real Celery worker, in its own process, against the real Redis and the test database.

The tests here commit their data (transactional_db) so the worker sees it; serialized rollback
puts the reference data of the migrations back afterwards. Each xdist worker gets
its own queue and Redis database index, so parallel runs never steal each other's tasks.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.celery_worker]


def _xdist_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker[2:].isdigit() else 0


@dataclass
class WorkerProcess:
    name: str
    queue: str
    env: dict[str, str]
    mail_dir: Path
    log_path: Path
    process: subprocess.Popen | None = None
    logs: list[Path] = field(default_factory=list)

    def start(self, *, extra_env: dict[str, str] | None = None, timeout: float = 40) -> "WorkerProcess":
        log = self.log_path.with_suffix(f".{len(self.logs)}.log")
        self.logs.append(log)
        handle = log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-l",
                "INFO",
                "-c",
                "2",
                "-P",
                "prefork",
                "-Q",
                self.queue,
                "-n",
                self.name,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in log.read_text():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited early:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker not ready after {timeout}s:\n{log.read_text()[-3000:]}")

    def children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def kill(self) -> None:
        for pid in [*self.children(), self.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def mails(self) -> list[str]:
        return [p.read_text() for p in sorted(self.mail_dir.glob("*.log"))] if self.mail_dir.exists() else []

    def log_text(self) -> str:
        return "\n".join(p.read_text() for p in self.logs if p.exists())


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")


def _forget_connections(app) -> None:
    """Make the app open new broker connections (kombu keys its pools by URL)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_worker(django_db_serialized_rollback, transactional_db, tmp_path):
    """Start a worker for this test; point this process's Celery app at the same queue."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL and Redis")  # conftest turns this into a failure under CI
    from config.celery import app

    index = _xdist_index()
    queue = f"itest-{index}-{os.getpid()}"
    broker = f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{10 + index}"
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "CI"}},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL": "False",
        "REDIS_URL": broker,
        "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SOURCEWISE_VAR_DIR": str(tmp_path / "var"),
        "SITE_URL": settings.SITE_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    worker = WorkerProcess(
        name=f"itest{index}@%h",
        queue=queue,
        env=env,
        mail_dir=tmp_path / "mail",
        log_path=tmp_path / "worker",
    )
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    app.conf.update(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    _forget_connections(app)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.update(**saved)
        _forget_connections(app)
        import redis

        redis.Redis.from_url(broker).flushdb()  # this test's queue only lives in its own database
