"""Prometheus metrics at /metrics (prometheus-client), closed unless a token or an address allows it.

Two kinds of figures:
- counted where they happen, in every process (requests and their latency and database queries by
  view; Celery tasks by task and outcome, their run time; e-mails sent by kind). Under gunicorn
  and Celery's prefork pool each process counts on its own: with PROMETHEUS_MULTIPROC_DIR set
  (the same directory for every process of a host) prometheus-client keeps the counts in files
  there and /metrics adds up all of them (its multiprocess mode);
- read at scrape time from the database and the broker, the same whoever answers (queue lengths,
  the outbox backlog and the age of its oldest row, webhook deliveries and e-mails waiting,
  reports in progress, stuck jobs).
README (Operations) says what each metric means.
"""

import hmac
import ipaddress
import logging
import os
import time

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "sourcewise_http_requests_total",
    "HTTP requests answered, by view, method and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "sourcewise_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and method.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUEST_QUERIES = Histogram(
    "sourcewise_http_request_db_queries",
    "Database queries run to answer one HTTP request, by view.",
    ["view"],
    buckets=(0, 1, 2, 4, 8, 16, 32, 64, 128),
)
TASKS = Counter(
    "sourcewise_celery_tasks_total",
    "Celery tasks that ended, by task and outcome (succeeded, failed, retried, time_limit).",
    ["task", "outcome"],
)
TASK_SECONDS = Histogram(
    "sourcewise_celery_task_duration_seconds",
    "Run time of a Celery task, by task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 150, 300),
)
EMAILS_SENT = Counter(
    "sourcewise_emails_sent_total",
    "E-mails sent, by kind (the reminders: follow_up_due, assessment_reminder, review_reminder).",
    ["kind"],
)


# --- requests ------------------------------------------------------------------------------------


class RequestMetricsMiddleware:
    """Counts every request, its latency and its database queries, labelled by the view's name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match.route) if match else "unresolved"
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(view, request.method).observe(time.perf_counter() - started)
        REQUEST_QUERIES.labels(view).observe(queries[0])
        return response


# --- Celery tasks (signal handlers connected in config/celery.py) -------------------------------

_started: dict[str, float] = {}


def task_started(task_id=None, **kwargs) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def task_ended(task_id=None, task=None, state=None, **kwargs) -> None:
    began = _started.pop(task_id, None)
    name = getattr(task, "name", None) or "unknown"
    outcome = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}.get(
        state, (state or "").lower()
    )
    TASKS.labels(name, outcome or "unknown").inc()
    if began is not None:
        TASK_SECONDS.labels(name).observe(time.perf_counter() - began)


def task_failed(sender=None, exception=None, **kwargs) -> None:
    """Hard time limits end in the worker's main process, where no task_postrun is sent."""
    from celery.exceptions import TimeLimitExceeded

    if isinstance(exception, TimeLimitExceeded):
        TASKS.labels(getattr(sender, "name", "unknown"), "time_limit").inc()


# --- figures read at scrape time ---------------------------------------------------------------


class StateCollector:
    """Queue lengths, backlogs and stuck jobs, read from the broker and the database per scrape."""

    def collect(self):
        from core import operations

        snapshot = operations.snapshot()
        broker = GaugeMetricFamily("sourcewise_broker_up", "1 when the Celery broker answered this scrape.")
        broker.add_metric([], 1 if snapshot.queues is not None else 0)
        yield broker
        queues = GaugeMetricFamily(
            "sourcewise_queue_length", "Messages waiting in a Celery queue of the broker.", labels=["queue"]
        )
        for queue, length in (snapshot.queues or {}).items():
            queues.add_metric([queue], length)
        yield queues
        yield GaugeMetricFamily(
            "sourcewise_outbox_backlog",
            "Outbox rows not yet handed to the broker.",
            value=snapshot.outbox_pending,
        )
        yield GaugeMetricFamily(
            "sourcewise_outbox_oldest_age_seconds",
            "Age of the oldest outbox row not yet handed to the broker (0 when there is none).",
            value=snapshot.outbox_oldest_seconds or 0,
        )
        for name, help_text, counts in (
            (
                "sourcewise_webhook_deliveries",
                "Webhook deliveries not finished, by status.",
                snapshot.deliveries,
            ),
            ("sourcewise_emails_waiting", "E-mails not sent yet, by status.", snapshot.emails),
            ("sourcewise_reports_in_progress", "PDF reports not finished, by status.", snapshot.reports),
            (
                "sourcewise_stuck_jobs",
                "Jobs past their limit (see the admin's Operations page).",
                snapshot.stuck,
            ),
        ):
            family = GaugeMetricFamily(name, help_text, labels=["status" if "stuck" not in name else "kind"])
            for label, count in counts.items():
                family.add_metric([label], count)
            yield family


class _ThisProcess:
    """The counters of this process (when not in multiprocess mode)."""

    def collect(self):
        yield from REGISTRY.collect()


# --- the endpoint --------------------------------------------------------------------------------


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
            return True
    networks = settings.METRICS_ALLOWED_NETWORKS
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(network, strict=False) for network in networks)
    return False


@never_cache
@require_GET
def metrics_view(request):
    """The metrics for Prometheus; 404 (as for any unknown page) unless the token or address fits."""
    if not _allowed(request):
        raise Http404
    registry = CollectorRegistry()
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        multiprocess.MultiProcessCollector(registry, path=folder)
    else:
        registry.register(_ThisProcess())
    registry.register(StateCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
