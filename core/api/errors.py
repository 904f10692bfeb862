"""One JSON error shape for the whole API:

{"error": {"code": "invalid", "message": "…", "fields": {"field": ["…"]}}}
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ApplicationError, Conflict, NotFound


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            key = str(key)
            if isinstance(value, dict):
                for sub, messages in _flatten(value).items():
                    head, _, rest = str(sub).partition(".")
                    name = f"{key}[{head}]" if head.isdigit() else f"{key}.{head}"
                    fields[f"{name}.{rest}" if rest else name] = messages
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub, messages in _flatten(item).items():
                        fields[f"{key}[{index}].{sub}"] = messages
            else:
                fields[key] = [str(m) for m in (value if isinstance(value, list) else [value])]
        return fields
    return {}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _log_refusal(context, status_code: int) -> None:
    from core.security_log import log_access_refused

    request = context.get("request")
    if request is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return
    log_access_refused(request, status=status_code, surface="api")


def exception_handler(exc, context):
    if isinstance(exc, NotFound):
        _log_refusal(context, 404)
        return Response(error_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ApplicationError):
        code, http = ("conflict", status.HTTP_409_CONFLICT) if isinstance(exc, Conflict) else ("invalid", 400)
        return Response(error_body(code, exc.message, exc.field_errors), status=http)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            error_body("conflict", "Other records depend on this one, so it cannot be deleted."), status=409
        )
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        return Response(error_body("invalid", " ".join(exc.messages), fields), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.NotFound | exceptions.PermissionDenied):
        _log_refusal(context, exc.status_code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(detail) if isinstance(detail, dict) else {}
        non_field = fields.pop("non_field_errors", None)
        message = " ".join(non_field) if non_field else "Some fields are not valid."
        if isinstance(detail, list):
            message = " ".join(str(d) for d in detail)
        response.data = error_body("invalid", message, fields)
    else:
        message = str(detail.get("detail", detail)) if isinstance(detail, dict) else str(detail)
        code = getattr(getattr(exc, "detail", None), "code", None) or exc.default_code
        if isinstance(exc, exceptions.NotFound):
            code, message = "not_found", "Not found."
        response.data = error_body(str(code), message)
    return response
