"""The applicant's outcome in the cabinet: `{% ranking_outcome reg %}`; in the re-ranking window
the previous round's cut-offs: `{% previous_cutoffs reg %}` (load ranking_cabinet)."""

from decimal import Decimal

from django import template

from kari.catalogue.models import Programme
from kari.ranking import selectors
from kari.ranking.models import Explanation
from kari.ranking.services import publication
from kari.registration.models import ScoreRecord

register = template.Library()


@register.inclusion_tag("ranking/_outcome.html")
def ranking_outcome(reg):
    """Admitted to choice k (or not), and for every higher choice why not (A27): only once the
    ranking is approved."""
    ranking = selectors.approved(reg.round).filter(institution=None).first()
    if ranking is None:
        return {"outcome": None}
    admission = (
        ranking.admissions.filter(registration=reg)
        .select_related("programme__institution__organisation")
        .first()
    )
    explanation = Explanation.objects.filter(ranking=ranking, registration=reg).first()
    if admission is None and explanation is None:
        return {"outcome": None}
    items = list(explanation.items) if explanation else []
    codes = [i["programme"] for i in items]
    named = {p.code: p.name for p in Programme.objects.filter(code__in=codes)}
    for it in items:
        it["name"] = named.get(it["programme"], it["programme"])
    return {"outcome": {"reg": reg, "admission": admission, "items": items}}


@register.inclusion_tag("ranking/_previous_cutoffs.html")
def previous_cutoffs(reg):
    """In the re-ranking window (A26.2): next to each chosen programme, the previous round's
    cut-off against the applicant's published test score, so that they can choose. Public
    data only: never this round's provisional outcome."""
    choices = list(reg.choices.select_related("programme").order_by("rank"))
    known = publication.previous_cutoffs(reg.round, [c.programme for c in choices])
    record = ScoreRecord.objects.filter(registration=reg).first()
    score = None
    if record is not None and record.scores:
        score = sum((Decimal(str(v)) for v in record.scores.values()), Decimal(0))
    rows = []
    for c in choices:
        prev = known.get(c.programme_id)
        cutoff = prev["cutoff"] if prev else None
        rows.append(
            {
                "programme": c.programme,
                "round": prev["round"] if prev else "",
                "cutoff": None if cutoff is None else cutoff.normalize(),
                "known": prev is not None,
                "above": score is not None and cutoff is not None and score >= cutoff,
            }
        )
    return {"rows": rows, "score": score, "reg": reg}
