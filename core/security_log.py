"""Security events as JSON lines on the `sourcewise.security` logger.

Failed logins, lock-outs, refused access to tenant objects, revoked or invalid API keys and admin
exports. Fields are chosen, never dumped: no passwords, tokens, keys (only their public prefix)
or answers ever reach the log.
"""

import json
import logging
import re
from datetime import UTC, datetime

from core.client_ip import client_ip

logger = logging.getLogger("sourcewise.security")

ALLOWED_FIELDS = {
    "actor",
    "email",
    "ip",
    "path",
    "method",
    "status",
    "key_prefix",
    "reason",
    "model",
    "object",
    "rows",
    "since",
    "until",
    "surface",
    "change",
}


def log_event(event: str, **fields) -> None:
    """Record a security event; unknown field names are refused so secrets cannot slip in."""
    unknown = set(fields) - ALLOWED_FIELDS
    if unknown:
        raise ValueError(f"Not a security-log field: {', '.join(sorted(unknown))}")
    logger.warning(event, extra={"security": {k: v for k, v in fields.items() if v is not None}})


def log_access_refused(request, *, status: int, surface: str) -> None:
    """A signed-in caller was refused a tenant object (403/404): who, from where, what."""
    from core.audit import actor_label

    log_event(
        "access_refused",
        actor=actor_label(getattr(request, "user", None)),
        ip=client_ip(request),
        path=request.path,
        method=request.method,
        status=status,
        surface=surface,
    )


class JSONLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "security", {}),
        }
        return json.dumps(payload, default=str)


# One-time tokens in URLs: password-reset and invitation links (portal/password-reset/<uid>/<token>/)
# and two-factor set-up links (two-factor/enrol/<token>/), raw or URL-encoded (inside ?next=...).
_SLASH = r"(?:/|%2F)"
_TOKEN_IN_URL = re.compile(
    rf"(?P<keep>password-reset{_SLASH}(?!sent{_SLASH}|done{_SLASH})[^/%?&\s]+{_SLASH}|two-factor{_SLASH}enrol{_SLASH})"
    r"(?P<token>(?!set-password)[^/%?&\s\"']+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """The text with every one-time token in a URL replaced by `[redacted]`."""
    return _TOKEN_IN_URL.sub(r"\g<keep>[redacted]", text) if "-" in text else text


class RedactSecretsFilter(logging.Filter):
    """On every log handler: no password-reset, invitation or set-up token reaches a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
