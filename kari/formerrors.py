"""Showing a service's errors: on a form (each message on its field, the rest on top) or as
messages on the next page."""

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _


def apply_errors(form, exc) -> None:
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, field_messages in exc.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def errors_to_messages(request, exc) -> None:
    """A service's ValidationError as messages on the next page, each prefixed by its field;
    an all-or-nothing import's rejection (``kari.tabular.ImportRejected``) line by line."""
    rows = getattr(exc, "errors", None)
    if isinstance(rows, list):
        for e in rows[:50]:
            messages.error(request, str(e))
        if len(rows) > 50:
            messages.error(request, _("… and %(n)s more.") % {"n": len(rows) - 50})
        return
    for field, msgs in getattr(exc, "message_dict", {"": exc.messages}).items():
        for m in msgs:
            messages.error(request, f"{field}: {m}" if field and field != "__all__" else m)


def posted_id(request, name: str) -> int:
    """An object id from a POST field; a missing or malformed one is the client's error (400),
    never a server error (issue 11, point 6)."""
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise BadRequest(f"{name}: not an id")
    return int(value)
