"""The applicant's next step, first in the cabinet (issue 19, point 4):
`{% next_step reg %}` (load cabinet).

The latest thing that happened decides: the ranking's outcome, else the re-ranking window,
else the published results, else the exam invitation, else the registration window."""

import urllib.parse

from django import template
from django.utils import timezone

from kari.catalogue.models import Subject
from kari.ranking import selectors as ranking

register = template.Library()


def _scores(record) -> list[tuple[str, str]]:
    names = {s.code: s.name for s in Subject.objects.filter(code__in=list(record.scores))}
    out = []
    for key, value in record.scores.items():
        label = record.skills_test.name if key == "skills_score" else names.get(key, key)
        out.append((label, value))
    return out


def _invitation(reg):
    inv = getattr(reg, "invitation", None)
    if inv is None:
        return None
    centre = inv.assignment.centre
    sittings = sorted(
        inv.assignment.sittings.select_related("session"),
        key=lambda s: (s.session.date, s.session.check_in_opens),
    )
    where = f"{centre.address}, {centre.municipality.name}"
    return {
        "invitation": inv,
        "centre": centre,
        "sittings": sittings,
        "map": "https://www.openstreetmap.org/search?query=" + urllib.parse.quote(where),
        "past": bool(sittings) and sittings[-1].session.date < timezone.localdate(),
    }


@register.inclusion_tag("portal/_next_step.html")
def next_step(reg, state):
    """`state`: the registration window's state for the round being run (or None)."""
    round_ = reg.round
    context = {"reg": reg, "round": round_, "kind": "registered", "state": state}
    approved = ranking.approved(round_, reg.stage).filter(institution=None).first()
    if approved is not None:
        admission = approved.admissions.filter(registration=reg).first()
        context |= {"kind": "admitted" if admission else "not_admitted", "admission": admission}
        return context
    record = getattr(reg, "score_record", None)
    if record is not None and record.scores:
        context |= {"kind": "results", "scores": _scores(record)}
        return context
    invitation = _invitation(reg)
    if invitation is not None:
        context |= {"kind": "invitation"} | invitation
        return context
    if state != "registration":
        context["kind"] = "waiting"
    return context
