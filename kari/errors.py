"""Errors raised by services: each names the field (or row) it is about."""

from django.core.exceptions import PermissionDenied, ValidationError

__all__ = ["PermissionDenied", "ValidationError", "RuleError", "field_error"]


class RuleError(ValidationError):
    """A rule of the regulation was not met; `citation` names it (e.g. "A13.4(e)")."""

    def __init__(self, message, *, field: str | None = None, citation: str | None = None):
        self.citation = citation
        self.field = field
        cited = not citation or f"({citation})" in str(message)
        text = message if cited else f"{message} ({citation})"
        if field:
            super().__init__({field: [text]})
        else:
            super().__init__(text)


def field_error(field: str, message: str, citation: str | None = None) -> RuleError:
    return RuleError(message, field=field, citation=citation)
