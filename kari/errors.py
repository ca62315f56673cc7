"""Errors raised by services: each names the field (or row) it is about."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import get_language

from kari.citations import cite, is_cited

__all__ = ["PermissionDenied", "ValidationError", "RuleError", "field_error"]


class RuleError(ValidationError):
    """A rule of the regulation was not met; `citation` names it (e.g. "A13.4(e)").

    A message that does not cite its rule gets the citation appended in the reader's language:
    "(A13.4(e))" in English, „(მუხ. 13.4 „ე“)“ in Georgian.
    """

    def __init__(self, message, *, field: str | None = None, citation: str | None = None):
        self.citation = citation
        self.field = field
        cited = not citation or is_cited(str(message), citation)
        text = message if cited else f"{message} ({cite(citation, get_language())})"
        if field:
            super().__init__({field: [text]})
        else:
            super().__init__(text)


def field_error(field: str, message: str, citation: str | None = None) -> RuleError:
    return RuleError(message, field=field, citation=citation)
