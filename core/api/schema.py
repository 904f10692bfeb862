"""OpenAPI post-processing: document the error responses every operation can give."""

from django.conf import settings

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Messages per field (or question code).",
                },
            },
        }
    },
}
DESCRIPTIONS = {
    "400": "Invalid input: nothing was changed.",
    "401": "Missing, invalid, revoked or expired credentials.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "Not found, or not visible to you.",
    "409": "The object's current state does not allow this.",
    "413": "The request body is too large.",
    "422": "The Idempotency-Key was already used for a different request.",
    "429": "Too many requests: slow down (see Retry-After).",
}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            codes = ["400", "401", "403", "404", "429"]
            if method in ("post", "patch", "put", "delete"):
                codes += ["409"]
                operation.setdefault("parameters", []).append(
                    {
                        "name": "X-Change-Reason",
                        "in": "header",
                        "required": bool(settings.API_REQUIRE_CHANGE_REASON),
                        "schema": {"type": "string", "maxLength": 500},
                        "description": "Why this change is made: recorded with it in the audit trail.",
                    }
                )
            if method in ("post", "patch", "put"):
                codes += ["413"]
            if method == "post":
                codes += ["422"]
                operation.setdefault("parameters", []).append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 255},
                        "description": "Retry safely: the same key replays the first response.",
                    }
                )
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {"description": DESCRIPTIONS[code], "content": reference})
    return result
