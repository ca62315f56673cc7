"""A confirmation step before an action that cannot be undone (GOV.UK "confirm" pattern).

A view that would run an irreversible service first checks ``confirmed(request)``; when the
POST has not been confirmed yet it answers with ``confirmation(...)``: a page that says what
will happen and that it cannot be undone, and posts the same fields again with
``confirmed=yes`` (a warning button), or goes back (a link)."""

from collections.abc import Iterable

from django.http import HttpResponse
from django.shortcuts import render

CONFIRMED = "confirmed"


def confirmed(request) -> bool:
    return request.POST.get(CONFIRMED) == "yes"


def confirmation(
    request,
    *,
    title: str,
    consequences: Iterable[str],
    button: str,
    back: str,
    facts: Iterable[tuple[str, str]] = (),
    items_title: str = "",
    items: Iterable[str] = (),
    keep: Iterable[str] = (),
    action: str = "",
    irreversible: bool = True,
) -> HttpResponse:
    """The confirmation page. ``keep`` names the POST fields posted again on confirmation."""
    hidden = [(name, value) for name in keep for value in request.POST.getlist(name)]
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "consequences": list(consequences),
            "button": button,
            "back": back,
            "facts": list(facts),
            "items_title": items_title,
            "items": list(items),
            "hidden": hidden,
            "action": action or request.path,
            "irreversible": irreversible,
        },
    )
