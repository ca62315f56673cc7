"""The solver's reasons for an unplaced applicant, shown in the user's language.

``kari.distribution`` is pure (no Django, no gettext) and states its reasons in fixed English;
this module turns them, and the test items they name, into translated text for the pages.
"""

import re

from django.utils.translation import gettext as _

from kari.catalogue.models import SkillsTest, Subject


def item_label(item: str) -> str:
    """``skills:mechanical`` -> the skills test's name; ``subject:georgian`` -> the subject's."""
    kind, _sep, code = item.partition(":")
    model = SkillsTest if kind == "skills" else Subject if kind == "subject" else None
    found = model.objects.filter(code=code).first() if model else None
    return str(found) if found else item


def _items(text: str) -> str:
    return ", ".join(item_label(i.strip()) for i in text.split(","))


PATTERNS = [
    (re.compile(r"^no session for item (\S+)$"),
     lambda m: _("no session of %(test)s") % {"test": item_label(m[1])}),
    (re.compile(r"^no adapted centre$"), lambda m: _("no centre with an adapted environment")),
    (re.compile(r"^no centre with seats$"), lambda m: _("no centre with seats")),
    (re.compile(r"^no adapted centre hosts item (\S+)$"),
     lambda m: _("no centre with an adapted environment hosts %(test)s") % {"test": item_label(m[1])}),
    (re.compile(r"^no centre hosts item (\S+)$"),
     lambda m: _("no centre hosts %(test)s") % {"test": item_label(m[1])}),
    (re.compile(r"^no adapted centre hosts all of: (.+)$"),
     lambda m: _("no centre with an adapted environment hosts all of: %(tests)s") % {"tests": _items(m[1])}),
    (re.compile(r"^no centre hosts all of: (.+)$"),
     lambda m: _("no centre hosts all of: %(tests)s") % {"tests": _items(m[1])}),
    (re.compile(r"^no capacity for item (\S+)$"),
     lambda m: _("no free seat for %(test)s") % {"test": item_label(m[1])}),
    (re.compile(r"^centre quotas reached$"),
     lambda m: _("NAEC's numbers for the centres are reached (A17.2(b))")),
    (re.compile(r"^no capacity: "),
     lambda m: _("every possible centre is full for one of the applicant's tests")),
]


def reason_label(reason: str) -> str:
    for pattern, label in PATTERNS:
        m = pattern.match(reason)
        if m:
            return label(m)
    return reason  # already translated (the service's own reasons) or unknown
