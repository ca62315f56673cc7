"""Why an applicant is unplaced (A17.2), in the user's language: the one table of reasons.

A distribution stores each unplaced applicant's reason as ``{"code": ..., "items": [...]}``:
the solver's codes (``kari.distribution.Reason``, pure, no gettext) and the two this app
adds for registrations it cannot hand to the solver. ``MESSAGES`` maps every code to its
translatable message; ``%(test)s`` is the first item the reason names, ``%(tests)s`` all.
"""

from django.utils.translation import gettext_lazy as _

from kari.catalogue.models import SkillsTest, Subject
from kari.distribution import Reason

NO_MUNICIPALITY = "no_municipality"  # no preferred exam municipality with coordinates
NO_TESTS = "no_tests"  # neither a skills test nor a subject group

MESSAGES = {
    Reason.NO_SESSION: _("no session of %(test)s"),
    Reason.NO_ADAPTED_CENTRE: _("no centre with an adapted environment"),
    Reason.NO_CENTRE_WITH_SEATS: _("no centre with seats"),
    Reason.NO_CENTRE_HOSTS_ITEM: _("no centre hosts %(test)s"),
    Reason.NO_ADAPTED_CENTRE_HOSTS_ITEM: _("no centre with an adapted environment hosts %(test)s"),
    Reason.NO_CENTRE_HOSTS_ALL: _("no centre hosts all of: %(tests)s"),
    Reason.NO_ADAPTED_CENTRE_HOSTS_ALL: _(
        "no centre with an adapted environment hosts all of: %(tests)s"
    ),
    Reason.NO_CAPACITY_FOR_ITEM: _("no free seat for %(test)s"),
    Reason.CENTRE_QUOTAS_REACHED: _("NAEC's numbers for the centres are reached (A17.2(b))"),
    Reason.NO_CAPACITY: _("every possible centre is full for one of the applicant's tests"),
    NO_MUNICIPALITY: _("no preferred exam municipality with coordinates (A15.3(c))"),
    NO_TESTS: _("no skills test or subject group (A15.3(d))"),
}
UNKNOWN = _("no exam centre could be found")  # a code this version does not know


def item_names() -> dict[str, str]:
    """Every test item's display name, read once (two small reference tables)."""
    names = {f"skills:{t.code}": str(t) for t in SkillsTest.objects.all()}
    names.update({f"subject:{s.code}": str(s) for s in Subject.objects.all()})
    return names


def reason_label(reason: dict, names: dict[str, str] | None = None) -> str:
    """A stored reason in the active language; pass ``names`` (``item_names()``) for many."""
    message = MESSAGES.get(reason.get("code"), UNKNOWN)
    items = reason.get("items") or []
    if items and names is None:
        names = item_names()
    shown = [names.get(i, i) for i in items] if names is not None else []
    return str(message) % {"test": shown[0] if shown else "", "tests": ", ".join(shown)}
