"""gunicorn settings, read from the project root by `gunicorn config.wsgi` (Procfile.dev, bench/).

Single-threaded worker processes, 2 × cores + 1 of them (`WEB_CONCURRENCY` overrides). A Django
request is CPU-bound Python under the GIL: threads of one process take turns, and a thread that
has waited for PostgreSQL or Redis waits again for the GIL while another thread computes. Measured
on 2 cores under 8 concurrent clients (bench/RESULTS.md), 2 processes × 4 threads left a third of
the CPU idle (6 of 16 core-seconds) and served 46–56 requests/s on the engagement and sponsor
lists; 5 processes × 1 thread left it busy and served 80–90. gthread keeps client connections
alive between requests (sync workers close them), as a load balancer in front expects.
"""

import gc
import multiprocessing
import os
import sys

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("WEB_THREADS", 1))
worker_class = "gthread"
# The access log never shows password-reset, invitation or two-factor set-up tokens.
logger_class = "core.gunicorn_logging.RedactingLogger"

# gunicorn's own lines (start-up, errors, the access log) as JSON too, like the application's
# (core.observability); each access line names the request id the application echoed.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if os.environ.get("LOG_FORMAT", "json") != "plain":
    from core.observability import json_formatter

    access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": json_formatter()},
        # The names gunicorn's defaults refer to (its root logger writes to "console").
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json"},
            "error_console": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["error_console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def on_starting(server):
    """prometheus-client's multiprocess mode (core.metrics): the counts of an earlier run of this
    host are stale, start from an empty directory."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and os.path.isdir(folder):
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    """A worker process ended: its live gauges go (its counters stay in the sum)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Exempt what the worker loaded at start (modules, URLs, models, settings) from the cyclic
    garbage collector: a full collection then scans only what requests made since, and its pause
    drops from ~90 ms to ~11 ms (measured over 500 engagement pages of 100 rows; bench/RESULTS.md).
    Those objects live as long as the process anyway."""
    gc.freeze()
