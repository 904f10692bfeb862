"""One error shape for every surface.

Services raise ApplicationError; the admin, the portal forms and the API exception handler
turn it into the same words. Nothing below a view knows about HTTP.
"""

from collections.abc import Mapping


class ApplicationError(Exception):
    """A business rule refused an operation; `message` is fit to show to the person who asked."""

    def __init__(self, message: str, *, field_errors: Mapping[str, list[str] | str] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors: dict[str, list[str]] = {
            key: [value] if isinstance(value, str) else list(value)
            for key, value in (field_errors or {}).items()
        }

    def __str__(self) -> str:
        if not self.field_errors:
            return self.message
        details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.field_errors.items())
        return f"{self.message} ({details})"


class NotFound(ApplicationError):
    """The object does not exist or the caller may not see it (the two are never told apart)."""

    def __init__(self, message: str = "Not found."):
        super().__init__(message)


class Conflict(ApplicationError):
    """The request is understood but the object's current state does not allow it."""


NUL_MESSAGE = "Text may not contain NUL (\\u0000) characters."
