"""Structured logs: JSON lines with the request id (web) and the task id (workers)."""

import json
import logging

import pytest
from django.conf import settings

from core.observability import REQUEST_ID_HEADER

pytestmark = pytest.mark.django_db


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def log_lines():
    """The console handler's formatter, as configured in settings, writing to a buffer."""
    import io

    config = settings.LOGGING["formatters"]["structured"]
    factory = config["()"]
    formatter = factory(**{k: v for k, v in config.items() if k != "()"})
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: _json_lines(buffer.getvalue())
    finally:
        root.removeHandler(handler)


def test_a_request_gets_an_id_echoed_in_the_response(client):
    response = client.get("/health/live")
    assert len(response[REQUEST_ID_HEADER]) == 32


def test_a_clients_short_printable_request_id_is_kept(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="req-2026.12.02:abc")
    assert response[REQUEST_ID_HEADER] == "req-2026.12.02:abc"


@pytest.mark.parametrize("bad", ["a" * 65, "has space", "new\nline", "ünïcode", ""])
def test_a_request_id_that_is_too_long_or_not_printable_is_replaced(client, bad):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=bad)
    assert response[REQUEST_ID_HEADER] != bad
    assert len(response[REQUEST_ID_HEADER]) == 32


def test_every_line_logged_during_a_request_carries_its_id(client, log_lines, settings):
    # A view that logs: the 404 of an unknown page is logged by Django ("Not Found").
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-me-1")
    lines = [line for line in log_lines() if line["logger"] == "django.request"]
    assert lines, "Django logs the 404"
    assert all(line["request_id"] == "trace-me-1" for line in lines)
    assert {"time", "level", "logger", "message"} <= set(lines[0])


def test_lines_logged_by_a_task_carry_its_id_and_the_request_that_queued_it(log_lines):
    from celery import signals

    from config.celery import app

    @app.task(name="tests.log_something", bind=True)
    def log_something(self):
        logging.getLogger("tests.task").warning("inside the task")
        return self.request.id

    import structlog

    structlog.contextvars.bind_contextvars(request_id="from-the-request")
    try:
        headers = {}
        signals.before_task_publish.send(sender="tests.log_something", headers=headers, body=None)
        assert headers == {"request_id": "from-the-request"}
        task_id = log_something.apply(headers=headers).get()
    finally:
        structlog.contextvars.clear_contextvars()
    (line,) = [line for line in log_lines() if line["logger"] == "tests.task"]
    assert line["task_id"] == task_id
    assert line["task"] == "tests.log_something"
    assert line["message"] == "inside the task"


def test_celerys_own_lines_about_a_task_carry_its_id(log_lines):
    # As celery.worker.strategy logs a message it receives (in the worker's main process).
    context = {"id": "0f1e2d3c", "name": "core.tasks.heartbeat", "args": "()", "kwargs": "{}", "eta": None}
    logging.getLogger("celery.worker.strategy").info(
        "Task %(name)s[%(id)s] received", context, extra={"data": context}
    )
    (line,) = [line for line in log_lines() if line["logger"] == "celery.worker.strategy"]
    assert (line["task_id"], line["task"]) == ("0f1e2d3c", "core.tasks.heartbeat")
    assert line["message"] == "Task core.tasks.heartbeat[0f1e2d3c] received"
