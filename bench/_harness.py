"""Process and measurement plumbing for bench/run.py: the environment, gunicorn and Celery
processes started (and stopped) by the run, wrk, a keep-alive HTTP client and the result tables."""

import http.client
import json
import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
LUA_SCRIPT = BENCH / "wrk_report.lua"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sourcewise_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"
STATIC_CACHE = Path(os.environ.get("BENCH_STATIC_ROOT", "/tmp/sourcewise-bench-static"))

# gunicorn as production runs it: the project's gunicorn.conf.py (single-threaded gthread workers,
# 2 × cores + 1; see that file for why).
_GUNICORN_CONF = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
GUNICORN_WORKERS = _GUNICORN_CONF["workers"]
GUNICORN_THREADS = _GUNICORN_CONF["threads"]


def bench_environment(*, database_url: str, redis_url: str, run_dir: Path) -> dict[str, str]:
    """Production-like settings (DEBUG off) for the benchmarked processes and this one."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DEBUG": "False",
            # One key shared by this process and the servers it starts (sessions made here are
            # read there); new for every run, never stored.
            "SECRET_KEY": env.get("BENCH_SECRET_KEY") or "bench-" + secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "False",
            "API_RATE_LIMIT": "1000000/minute",
            "ROOT_URLCONF": "bench.urls",
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "WARNING",
            # Reports and the file cache stay out of the repository; collected static files (needed
            # by the admin with DEBUG off) are kept between runs in STATIC_CACHE.
            "SOURCEWISE_VAR_DIR": str(run_dir / "var"),
            "STATIC_ROOT": str(STATIC_CACHE),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def collectstatic_if_stale(env: dict[str, str]) -> None:
    """Collect static files (manifest + compression, slow) unless the collected set is current."""
    from django.contrib.staticfiles.finders import get_finders

    manifest = STATIC_CACHE / "staticfiles.json"
    if manifest.exists():
        built = manifest.stat().st_mtime
        newest = max(
            (
                os.path.getmtime(storage.path(path))
                for finder in get_finders()
                for path, storage in finder.list(["CVS", ".*", "*~"])
            ),
            default=0.0,
        )
        if newest < built:
            return
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ManagedProcess:
    """A child process in its own process group, so stopping it ends exactly what we started."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def child_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def gunicorn(env: dict[str, str], port: int, log_path: Path, *, workers: int, threads: int) -> ManagedProcess:
    argv = [
        str(VENV_BIN / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--keep-alive",
        "30",
        "--backlog",
        "1024",
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    return ManagedProcess("gunicorn", argv, env, log_path)


def celery_worker(env: dict[str, str], log_path: Path, *, concurrency: int = 2) -> ManagedProcess:
    argv = [
        str(VENV_BIN / "celery"),
        "-A",
        "config",
        "worker",
        "-c",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"bench-{os.getpid()}@%h",
    ]
    return ManagedProcess("celery", argv, env, log_path)


def wait_http(port: int, path: str, *, timeout: float = 90, process: ManagedProcess | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} exited during start-up:\n{process.log_tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
            last = f"HTTP {response.status}"
        except OSError as error:
            last = str(error)
        time.sleep(0.3)
    raise RuntimeError(f"http://127.0.0.1:{port}{path} not ready after {timeout:.0f} s ({last})")


# --- wrk ----------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    rps: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non_2xx: int

    @property
    def failed(self) -> bool:
        return self.requests == 0 or self.errors > 0 or self.non_2xx > 0


def service_cpu_seconds() -> float:
    """CPU time (user + system) used so far by the gunicorn, PostgreSQL and Redis processes.

    Read from /proc: the difference over a wrk run, divided by its requests, is what a request
    costs the machine, whatever else was competing for the cores meanwhile.
    """
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            data = stat.read_text()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        name = data[data.index("(") + 1 : data.rindex(")")]
        if name.startswith(("postgres", "redis-server")) or b"gunicorn" in command:
            fields = data[data.rindex(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def run_wrk(
    url: str,
    *,
    duration: float,
    connections: int = 8,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    paths_file: Path | None = None,
) -> WrkResult:
    argv = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
    ]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    if paths_file is not None:
        argv += ["--", str(paths_file)]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line[len("BENCH_JSON ") :])
            return WrkResult(
                requests=data["requests"],
                rps=data["rps"],
                mean_ms=data["mean_ms"],
                p50_ms=data["p50_ms"],
                p90_ms=data["p90_ms"],
                p95_ms=data["p95_ms"],
                p99_ms=data["p99_ms"],
                max_ms=data["max_ms"],
                errors=data["errors_connect"]
                + data["errors_read"]
                + data["errors_write"]
                + data["errors_timeout"],
                non_2xx=data["errors_status"],
            )
    raise RuntimeError(f"wrk produced no result for {url}:\n{completed.stdout}\n{completed.stderr}")


# --- sequential HTTP ----------------------------------------------------------------------------


class Http:
    """One keep-alive connection for sequential requests; times each request end to end."""

    def __init__(self, port: int, headers: dict[str, str] | None = None):
        self.port = port
        self.headers = headers or {}
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, float]:
        all_headers = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                started = time.perf_counter()
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                data = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, data, elapsed
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --- results ------------------------------------------------------------------------------------


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells) -> None:
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        lines = [f"## {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(self.columns))) + "|")
        for row in self.rows:
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        if self.notes:
            lines.append("")
            lines.extend(f"- {note}" for note in self.notes)
        lines.append("")
        return "\n".join(lines)


@dataclass
class Target:
    name: str
    measured: str
    target: str
    ok: bool | None  # None: not measurable in this run

    @property
    def verdict(self) -> str:
        return "n/a" if self.ok is None else ("PASS" if self.ok else "MISS")


@dataclass
class Results:
    header: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def section(self, title: str, columns: list[str]) -> Section:
        section = Section(title, columns)
        self.sections.append(section)
        return section

    def target(self, name: str, measured: str, target: str, ok: bool | None) -> None:
        self.targets.append(Target(name, measured, target, ok))

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def markdown(self) -> str:
        parts = ["# Sourcewise benchmark", "", *self.header, ""]
        summary = Section("Targets", ["target", "measured", "goal", "verdict"])
        for t in self.targets:
            summary.add(t.name, t.measured, t.target, t.verdict)
        parts.append(summary.markdown())
        if self.failures:
            parts.append("## Failed checks\n")
            parts.extend(f"- **FAIL** {message}" for message in self.failures)
            parts.append("")
        parts.extend(section.markdown() for section in self.sections)
        return "\n".join(parts)


def ms(value: float) -> str:
    if value != value:  # NaN
        return "—"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
