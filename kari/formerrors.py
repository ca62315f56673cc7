"""Showing a service's errors: on a form (each message on its field, the rest on top) or as
messages on the next page; and the page's one error summary (the ``formerrors`` template tag
library: ``{% error_summary form %}``, which ``includes/form.html`` calls for every form)."""

from django import template
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.utils.html import format_html
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


# --- The error summary (GOV.UK Design System) ------------------------------------------------
register = template.Library()
_SHOWN = "kari.formerrors.error_summary"  # a page's summary state, in its render context


def _anchor(field) -> str:
    """The link target of a field's problem: its input; a group of radios or checkboxes, its
    first option (``#id_x_0``); a hidden field, none (there is nothing to go to)."""
    if field.is_hidden:
        return ""
    if field.id_for_label:
        return f"#{field.id_for_label}"
    id_ = field.field.widget.attrs.get("id") or field.auto_id
    return f"#{id_}_0" if id_ else ""


def summary_items(form=None, extra=()) -> list[tuple[str, str]]:
    """The error summary's (anchor, message) items in page order: the form's problems not on a
    field (plain), each field's problems (a link to its input), then ``extra``: a page's own
    (anchor, message) pairs, e.g. a list of choices outside the form's fields."""
    items: list[tuple[str, str]] = []
    if getattr(form, "errors", None):
        items += [("", str(e)) for e in form.non_field_errors()]
        for f in form:
            items += [(_anchor(f), str(e)) for e in f.errors]
    return items + [(anchor, str(message)) for anchor, message in extra or ()]


@register.simple_tag(takes_context=True)
def error_summary(context, form=None, extra=None, title=None, after=None):
    """The page's one error summary, where it is first called with a problem to show; focused
    on load (``kari/forms.js``). A later call for the same form (``includes/form.html`` after a
    page put the summary on top, with ``extra`` items) adds nothing; a second form in error on
    the same page keeps its problems by its fields, and one not on a field above them, without
    a second alert. ``title`` replaces the heading; ``after`` names a template shown in the
    summary below the list."""
    # Django's own {% include %} keeps per-render state in the root render context, too.
    state = context.render_context.dicts[0].setdefault(_SHOWN, {"shown": False, "forms": set()})
    if form is not None and id(form) in state["forms"]:
        return ""
    items = summary_items(form, extra)
    if not items:
        return ""
    if form is not None:
        state["forms"].add(id(form))
    if state["shown"]:
        errors = form.non_field_errors() if getattr(form, "errors", None) else None
        return format_html('<div class="msg error">{}</div>', errors) if errors else ""
    state["shown"] = True
    summary = context.template.engine.get_template("includes/error_summary.html")
    with context.push(
        error_summary_items=items, error_summary_title=title, error_summary_after=after
    ):
        return summary.render(context)
