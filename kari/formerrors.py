"""Showing a service's errors: on a form (each message on its field, the rest on top) or as
messages on the next page."""

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari.labels import sentence_case

# A service's error keys in people's words (the key itself is an internal name).
FIELD_NAMES = {
    "places": gettext_lazy("Places"),
    "sen_places": gettext_lazy("SEN places"),
    "programmes": gettext_lazy("Programmes"),
    "personal_number": gettext_lazy("Personal number"),
    "category": gettext_lazy("Breach"),
    "reason": gettext_lazy("Reason"),
    "file": gettext_lazy("File"),
    "centre": gettext_lazy("Exam centre"),
    "registration": gettext_lazy("Registration"),
    "date": gettext_lazy("Date"),
    "round": gettext_lazy("Round"),
}
# Keys that name no field a person sees: the message stands alone.
NO_FIELD = {"", "__all__", "status", "non_field_errors"}


def field_name(key: str) -> str:
    """``0214-0006.places`` → "Places of 0214-0006"; ``sen_places`` → "SEN places"."""
    if "." in key:
        owner, attr = key.rsplit(".", 1)
        return _("%(field)s of %(owner)s") % {"field": field_name(attr), "owner": owner}
    return str(FIELD_NAMES.get(key) or sentence_case(key.replace("_", " ")))


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
            messages.error(request, m if field in NO_FIELD else f"{field_name(field)}: {m}")


def posted_id(request, name: str) -> int:
    """An object id from a POST field; a missing or malformed one is the client's error (400),
    never a server error (issue 11, point 6)."""
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise BadRequest(f"{name}: not an id")
    return int(value)
