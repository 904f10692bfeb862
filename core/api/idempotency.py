"""`Idempotency-Key` on POST: a retried request replays the first response instead of acting twice."""

import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework import status
from rest_framework.response import Response

from core.api.auth import principal_id
from core.api.errors import error_body
from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class Replay(Exception):
    """Raised before the handler runs to answer with a stored (or refusing) response."""

    def __init__(self, response: Response):
        self.response = response


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def begin(request) -> IdempotencyRecord | None:
    """Claim the key for this request, or raise Replay with what the client should get."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Replay(
            Response(error_body("invalid", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters."), status=400)
        )
    principal = principal_id(request.user)
    fingerprint = _fingerprint(request)
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                principal=principal,
                key=key,
                request_hash=fingerprint,
                method=request.method,
                path=request.path,
            )
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.get(principal=principal, key=key)
    if record.request_hash != fingerprint:
        raise Replay(
            Response(
                error_body("idempotency_key_reused", f"This {HEADER} was used for a different request."),
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        )
    if record.status_code is None:
        raise Replay(
            Response(
                error_body(
                    "conflict", f"A request with this {HEADER} is still being processed; retry later."
                ),
                status=status.HTTP_409_CONFLICT,
            )
        )
    response = Response(record.response, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    raise Replay(response)


def finish(record: IdempotencyRecord, response: Response) -> None:
    """Keep the outcome for replays; forget server errors so the client can simply retry."""
    if response.status_code >= 500:
        record.delete()
        return
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, response=json.loads(json.dumps(response.data, default=str))
    )
