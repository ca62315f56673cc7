"""The solver's reasons for an unplaced applicant, shown in the user's language.

``kari.distribution`` is pure (no Django, no gettext) and states its reasons in fixed English;
this module turns them, and the test items they name, into translated text for the pages.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kari.catalogue.models import SkillsTest, Subject


def item_names() -> dict[str, str]:
    """Every test item's display name, read once (two small reference tables)."""
    names = {f"skills:{t.code}": str(t) for t in SkillsTest.objects.all()}
    names.update({f"subject:{s.code}": str(s) for s in Subject.objects.all()})
    return names


def item_label(item: str, names: dict[str, str] | None = None) -> str:
    """``skills:mechanical`` -> the skills test's name; ``subject:georgian`` -> the subject's."""
    return (names if names is not None else item_names()).get(item, item)


# (pattern, message marked for translation); a message's %(test)s is the one item named,
# %(tests)s the list.
PATTERNS = [
    (re.compile(r"^no session for item (?P<test>\S+)$"), gettext_noop("no session of %(test)s")),
    (re.compile(r"^no adapted centre$"), gettext_noop("no centre with an adapted environment")),
    (re.compile(r"^no centre with seats$"), gettext_noop("no centre with seats")),
    (
        re.compile(r"^no adapted centre hosts item (?P<test>\S+)$"),
        gettext_noop("no centre with an adapted environment hosts %(test)s"),
    ),
    (re.compile(r"^no centre hosts item (?P<test>\S+)$"), gettext_noop("no centre hosts %(test)s")),
    (
        re.compile(r"^no adapted centre hosts all of: (?P<tests>.+)$"),
        gettext_noop("no centre with an adapted environment hosts all of: %(tests)s"),
    ),
    (
        re.compile(r"^no centre hosts all of: (?P<tests>.+)$"),
        gettext_noop("no centre hosts all of: %(tests)s"),
    ),
    (
        re.compile(r"^no capacity for item (?P<test>\S+)$"),
        gettext_noop("no free seat for %(test)s"),
    ),
    (
        re.compile(r"^centre quotas reached$"),
        gettext_noop("NAEC's numbers for the centres are reached (A17.2(b))"),
    ),
    (
        re.compile(r"^no capacity: "),
        gettext_noop("every possible centre is full for one of the applicant's tests"),
    ),
]


def reason_label(reason: str, names: dict[str, str] | None = None) -> str:
    """The reason in the active language; pass ``names`` (``item_names()``) for many reasons."""
    for pattern, message in PATTERNS:
        m = pattern.match(reason)
        if m:
            groups = m.groupdict()
            if groups:
                names = names if names is not None else item_names()
                groups = {
                    k: ", ".join(item_label(i.strip(), names) for i in v.split(","))
                    for k, v in groups.items()
                }
            return _(message) % groups
    return reason  # already translated (the service's own reasons) or unknown
