"""The public VET portal (A13.8-9): confirmed programmes of the current round."""

from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import render

from kari.catalogue.models import (
    AnnouncementStatus,
    Direction,
    Field,
    Institution,
    Municipality,
    SkillsTest,
)
from kari.catalogue.selectors import published_lines, search_lines
from kari.enrolment.selectors import terms_of as enrolment_terms
from kari.registration.services import window as registration_window
from kari.rounds.models import Round
from kari.rounds.services import current_round

FILTERS = ("direction", "field", "municipality", "institution", "skills_test")


def published_rounds():
    return (
        Round.objects.filter(announcements__status=AnnouncementStatus.CONFIRMED)
        .distinct()
        .order_by("test_starts")
    )


def portal_round(request):
    """The round the visitor looks at: ?round=<id> among rounds with published programmes,
    otherwise the round being run."""
    pk = request.GET.get("round", "")
    if pk.isdigit():
        chosen = published_rounds().filter(pk=int(pk)).first()
        if chosen:
            return chosen
    return current_round()


def home(request):
    round_ = portal_round(request)
    params = {k: request.GET.get(k, "").strip() for k in ("q", *FILTERS)}
    filtered = any(params.values())
    lines = search_lines(round_, **params) if round_ else []
    page = Paginator(lines, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    fields = Field.objects.all()
    if params["direction"]:
        fields = fields.filter(direction__code=params["direction"])
    return render(
        request,
        "portal/home.html",
        {
            "rounds": published_rounds(),
            "chart": (chart := places_by_direction(lines) if round_ else []),
            "chart_height": CHART_ROW * len(chart) + 8,
            "round": round_,
            "page": page,
            "params": params,
            "querystring": query.urlencode(),
            "directions": Direction.objects.all(),
            "fields": fields,
            "municipalities": Municipality.objects.filter(
                organisation__institution__isnull=False
            ).distinct(),
            "institutions": Institution.objects.select_related("organisation"),
            "skills_tests": SkillsTest.objects.all(),
            "filtered": filtered,
            "register_open": _register_open(round_),
        },
    )


def _register_open(round_) -> bool:
    """Online registration is open for this round (A15.5): the "Register" start is shown."""
    return bool(
        round_ and round_ == current_round() and registration_window(round_) == "registration"
    )


def programme(request, code):
    round_ = portal_round(request)
    line = published_lines(round_).filter(programme__code=code).first() if round_ else None
    if line is None:
        raise Http404
    p = line.programme
    return render(
        request,
        "portal/programme.html",
        {
            "round": round_,
            "line": line,
            "programme": p,
            "subjects": p.subject_group.subjects.all() if p.subject_group else [],
            "institution": p.institution,
            "terms": enrolment_terms(round_, p),
            "register_open": _register_open(round_) and p.stage == "primary",
        },
    )


CHART_ROW, CHART_BAR = 44, 300


def places_by_direction(lines) -> list[dict]:
    """Places (and SEN places) per direction for the current search, as bars for a chart."""
    totals = (
        lines.values("programme__field__direction__code")
        .annotate(places=Sum("places"), sen=Sum("sen_places"))
        .order_by("-places")
    )
    names = {d.code: d.name for d in Direction.objects.all()}
    top = max((t["places"] for t in totals), default=0) or 1
    return [
        {
            "name": names.get(t["programme__field__direction__code"], ""),
            "places": t["places"],
            "sen": t["sen"],
            # a row of 44 units: the label above its bar, so the chart is 360 units wide and
            # its text stays readable on a phone (issue 19)
            "y": CHART_ROW * i,
            "width": round(CHART_BAR * t["places"] / top),
            "sen_width": round(CHART_BAR * t["sen"] / top),
        }
        for i, t in enumerate(totals)
    ]
