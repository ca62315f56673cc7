"""The applicant's outcome in the cabinet: `{% ranking_outcome reg %}` (load ranking_cabinet)."""

from django import template

from kari.catalogue.models import Programme
from kari.ranking import selectors
from kari.ranking.models import Explanation

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
