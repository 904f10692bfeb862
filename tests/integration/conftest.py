"""A real Celery worker, in its own process, against the real Redis and the test database.

The tests here commit their data (transactional_db) so the worker sees it; serialized rollback
puts the reference data of the migrations back afterwards. Each xdist worker gets
its own queue and Redis database index, so parallel runs never steal each other's tasks.
"""

import contextlib
import os
import shutil
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

    def start(
        self, *, extra_env: dict[str, str] | None = None, extra_args=(), timeout: float = 40
    ) -> "WorkerProcess":
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
                *extra_args,
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


def _worker(*, broker: str, tmp_path: Path, queue: str, name: str, extra_env=None) -> WorkerProcess:
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
        **(extra_env or {}),
    }
    return WorkerProcess(
        name=name, queue=queue, env=env, mail_dir=tmp_path / "mail", log_path=tmp_path / "worker"
    )


@contextlib.contextmanager
def _this_process_on(broker: str, queue: str):
    """Point this process's Celery app at `broker` and `queue` for the duration."""
    from config.celery import app

    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url", "task_default_queue")}
    app.conf.update(task_always_eager=False, broker_url=broker, task_default_queue=queue)
    _forget_connections(app)
    try:
        yield
    finally:
        app.conf.update(**saved)
        _forget_connections(app)


def _require_services() -> None:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL and Redis")  # conftest turns this into a failure under CI


@pytest.fixture
def celery_worker(django_db_serialized_rollback, transactional_db, tmp_path):
    """Start a worker for this test; point this process's Celery app at the same queue."""
    _require_services()
    index = _xdist_index()
    queue = f"itest-{index}-{os.getpid()}"
    broker = f"{settings.REDIS_URL.rsplit('/', 1)[0]}/{10 + index}"
    worker = _worker(broker=broker, tmp_path=tmp_path, queue=queue, name=f"itest{index}@%h")
    with _this_process_on(broker, queue):
        worker.start()
        try:
            yield worker
        finally:
            worker.stop()
            import redis

            redis.Redis.from_url(broker).flushdb()  # this test's queue only lives in its own database


# --- a private Redis the test may stop and restart ------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PrivateRedis:
    """A redis-server of this test's own, on a free port, without persistence: stopping it is an
    outage, restarting it loses every queued message (as a Redis restarted without persistence
    does). The shared Redis is never touched."""

    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> "PrivateRedis":
        import redis

        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
                *("--daemonize", "no", "--loglevel", "warning"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: self._pong(client), timeout=timeout, message=f"redis-server on port {self.port}")
        return self

    @staticmethod
    def _pong(client) -> bool:
        import redis

        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self):
        import redis

        return redis.Redis(port=self.port)


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        from tests.conftest import IN_CI

        (pytest.fail if IN_CI else pytest.skip)("redis-server is not installed")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(port=_free_port(), folder=folder).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def on_private_redis(django_db_serialized_rollback, transactional_db, private_redis, tmp_path):
    """This process's broker and cache on the private Redis; `start_worker()` starts a worker there."""
    from django.test import override_settings

    _require_services()
    queue = f"faults-{os.getpid()}"
    cache_there = override_settings(
        CACHES={
            "default": {
                "BACKEND": "core.cache.RedisCache",
                "LOCATION": private_redis.url,
                "KEY_PREFIX": "faults",
            }
        }
    )
    workers: list[WorkerProcess] = []

    def start_worker(*extra_args: str, **extra_env: str) -> WorkerProcess:
        worker = _worker(
            broker=private_redis.url,
            tmp_path=tmp_path,
            queue=queue,
            name=f"faults{len(workers)}-{os.getpid()}@%h",
            extra_env={"CACHE_KEY_PREFIX": "faults", **extra_env},
        )
        workers.append(worker)
        return worker.start(extra_args=extra_args)

    start_worker.queue = queue
    with _this_process_on(private_redis.url, queue), cache_there:
        try:
            yield start_worker
        finally:
            for worker in workers:
                worker.stop()
                print(f"--- log of {worker.name} (shown when the test fails)\n{worker.log_text()[-6000:]}")
