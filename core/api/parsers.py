import io

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.api.errors import PayloadTooLarge
from core.errors import NUL_MESSAGE


class LimitedJSONParser(JSONParser):
    """JSON with a size limit (API_MAX_BODY_BYTES), and a clear message for malformed bodies."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.API_MAX_BODY_BYTES
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            declared = int(length) if length else None
        except ValueError:
            raise ParseError("Invalid Content-Length header.") from None
        if declared is not None and declared > limit:
            raise PayloadTooLarge(f"The request body is {declared} bytes; the limit is {limit}.")
        if stream is None:
            return super().parse(stream, media_type, parser_context)
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than the limit of {limit} bytes.")
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except ParseError as error:
            raise ParseError(f"Malformed JSON: {error.detail}") from None
        if contains_nul(data):
            raise ParseError(NUL_MESSAGE)
        return data


def contains_nul(value) -> bool:
    """True when any string (key or value) in parsed JSON holds a NUL character.

    PostgreSQL cannot store NUL in text, and no field of ours has a use for it, so it is refused
    up front with a clear 400 rather than surfacing later as a database error.
    """
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False
