"""Structured logs: one JSON object per line, for the web and the workers, with the request id
(web) and the task id (workers) on every line logged while they are current.

Everything logs through the standard library; structlog's ProcessorFormatter renders each record
(Django's, Celery's, ours) with the context bound in contextvars merged in. The request id comes
from the client's `X-Request-Id` when it is short and printable, otherwise it is made here; it is
echoed in the response and travels with the Celery tasks the request queues (a message header),
so a task's lines carry the id of the request that caused it. This module imports no models: the
settings and the Celery app load it early.
"""

import logging
import logging.config
import re
import uuid
from collections.abc import Mapping

import structlog

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII, no spaces, at most 64


def request_id_from(value: str | None) -> str:
    """The client's id when it is acceptable, otherwise a new one."""
    if value and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Bind a request id for the logs of this request, and echo it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Cleared when the next request starts (or the response is closed: see below), not on the
        # way out: Django logs "Not Found" and errors after the middleware chain has returned.
        structlog.contextvars.clear_contextvars()
        request.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        structlog.contextvars.bind_contextvars(request_id=request.request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


def forget_request(**kwargs) -> None:
    """request_finished: the response is sent; lines logged after belong to no request."""
    structlog.contextvars.clear_contextvars()


# --- Celery (signal handlers connected in config/celery.py) ------------------------------------


def stamp_request_id(headers=None, **kwargs) -> None:
    """before_task_publish: a task queued while a request id is bound carries it along."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


def bind_task(task_id=None, task=None, **kwargs) -> None:
    """task_prerun: every line the task logs carries its id, name and the request that caused it."""
    structlog.contextvars.clear_contextvars()
    context = {"task_id": task_id, "task": getattr(task, "name", None)}
    request_id = getattr(getattr(task, "request", None), "request_id", None)
    if request_id:
        context["request_id"] = request_id
    structlog.contextvars.bind_contextvars(**context)


def unbind_task(**kwargs) -> None:
    structlog.contextvars.clear_contextvars()


def configure_logging(**kwargs) -> None:
    """Celery's setup_logging: keep Django's LOGGING (JSON) in the workers instead of Celery's."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


# --- processors ------------------------------------------------------------------------------------


def add_celery_ids(logger, method_name, event_dict):
    """Celery's own lines about a task ("received", "succeeded") name it in their `data` extra."""
    record = event_dict.get("_record")
    args = getattr(record, "data", None)
    if isinstance(args, Mapping) and "id" in args and "task_id" not in event_dict:
        event_dict["task_id"] = args["id"]
        if "name" in args:
            event_dict.setdefault("task", args["name"])
    return event_dict


def rename_event(logger, method_name, event_dict):
    event_dict["message"] = event_dict.pop("event", "")
    return event_dict


SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
]


def json_formatter() -> dict:
    """The LOGGING formatter that writes every record as one JSON line."""
    return {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": [*SHARED_PROCESSORS, add_celery_ids],
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            rename_event,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
    }


def configure_structlog() -> None:
    """structlog's own loggers (structlog.get_logger) go through the same handlers and format."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _connect_request_finished() -> None:
    from django.core.signals import request_finished

    request_finished.connect(forget_request, dispatch_uid="sourcewise-forget-request-id")


_connect_request_finished()
