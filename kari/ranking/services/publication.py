"""A26.2: the results published to the applicants, the public statistics per test, and the
cut-offs of earlier rounds (Kari's own approved rankings, and an import of the rounds before
Kari) shown in the re-ranking window so that applicants can choose.

Georgian A26.2: the management system "reflects" NAEC's results (the import, A26.1, writes
each applicant's scores record); after that, in the minister's window, the applicant may change
the ranked list. Publication adds what the applicants and the public see: a notice to every
applicant with results (email and SMS after commit) and the statistics page.
"""

import statistics
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari import notify
from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.catalogue.models import Programme, SkillsTest, Subject
from kari.errors import RuleError
from kari.exams.models import Result, ResultImport, ResultStatus
from kari.ranking.models import EarlierCutoff, ProgrammeOutcome, RankingStatus, ResultsPublication
from kari.registration.carried import previous_round_key
from kari.rounds.models import Round, Season
from kari.sms import sms_on_commit
from kari.tabular import ImportRejected, RowError, TableError, read_table

PUBLISHED_SUBJECT = gettext_lazy("Kari: your test results (%(round)s)")
PUBLISHED_BODY = gettext_lazy(
    "Your results of %(round)s are published: see your scores in your cabinet. From "
    "%(opens)s to %(closes)s you may change the order of your programmes."
)


def publication_of(round_) -> ResultsPublication | None:
    return ResultsPublication.objects.filter(round=round_).first()


def reranking_opens(round_):
    """A26.2: the window opens at the later of the publication and the minister's date."""
    pub = publication_of(round_)
    if pub is None:
        return None
    return max(timezone.localtime(pub.published_at).date(), round_.reranking_opens)


@transaction.atomic
def publish_results(actor, round_, *, now=None) -> ResultsPublication:
    """A26.2: EMIS publishes NAEC's current results of the round: every applicant of the import
    is told (email and SMS after commit); the statistics page shows the round. A re-import
    (A26.1) is published again."""
    authorize(actor, "ranking.publish", NATIONAL)
    Round.objects.select_for_update().get(pk=round_.pk)
    current = ResultImport.objects.current(round_).first()
    if current is None:
        raise RuleError(_("NAEC's results of this round are not in yet."), citation="A26.1")
    if ResultsPublication.objects.filter(round=round_, result_import=current).exists():
        raise RuleError(_("These results are already published."), citation="A26.2")
    pub = ResultsPublication.objects.create(
        round=round_, result_import=current, published_at=now or timezone.now(), published_by=actor
    )
    opens = max(timezone.localtime(pub.published_at).date(), round_.reranking_opens)
    values = {
        "round": round_,
        "opens": opens.strftime("%d.%m.%Y"),
        "closes": round_.reranking_closes.strftime("%d.%m.%Y"),
    }
    subject = notify.bilingual(PUBLISHED_SUBJECT, sep=" / ", **values)
    text = notify.bilingual(PUBLISHED_BODY, **values)
    n = 0
    for email, phone in Result.objects.filter(result_import=current).values_list(
        "registration__applicant__email", "registration__applicant__phone"
    ):
        notify.email_on_commit([email], subject, text)
        sms_on_commit(phone, text)
        n += 1
    pub.notified = n
    pub.save(update_fields=["notified"])
    record(
        actor,
        "results.publish",
        pub,
        after={"import": current.number, "notified": n, "reranking_opens": opens.isoformat()},
        reason=_("Results published to the applicants (A26.2)"),
    )
    return pub


# ---------------------------------------------------------------- statistics


def _histogram(values: list[Decimal], width: int = 5) -> list[dict]:
    """Counts per band of ``width`` points, from 0 to the highest score."""
    if not values:
        return []
    top = int(max(values))
    bands = []
    for low in range(0, top + 1, width):
        high = low + width
        bands.append(
            {
                "label": f"{low}–{high - 1}" if width > 1 else str(low),
                "count": sum(1 for v in values if low <= v < high),
            }
        )
    return bands


def statistics_of(round_) -> list[dict]:
    """Per test (the skills tests, then the subjects): applicants with a completed test, the
    median and the distribution of the scores, from NAEC's current import (no personal data)."""
    current = ResultImport.objects.current(round_).first()
    if current is None:
        return []
    skills: dict[int, list[Decimal]] = {}
    subjects: dict[str, list[Decimal]] = {}
    rows = Result.objects.filter(result_import=current, status=ResultStatus.COMPLETED).values_list(
        "registration__skills_test_id", "skills_score", "subject_scores"
    )
    for test_id, score, by_subject in rows.iterator(chunk_size=5000):
        if score is not None and test_id is not None:
            skills.setdefault(test_id, []).append(Decimal(score))
        for code, value in (by_subject or {}).items():
            if value not in (None, ""):
                subjects.setdefault(code, []).append(Decimal(str(value)))
    names = {t.pk: t.name for t in SkillsTest.objects.filter(pk__in=list(skills))}
    subject_names = {s.code: s.name for s in Subject.objects.filter(code__in=list(subjects))}
    out = []
    for key, values, name in [
        *((k, v, names.get(k, "")) for k, v in sorted(skills.items())),
        *((k, v, subject_names.get(k, k)) for k, v in sorted(subjects.items())),
    ]:
        bands = _histogram(values)
        most = max((b["count"] for b in bands), default=0) or 1
        for b in bands:
            b["height"] = round(100 * b["count"] / most)
        out.append(
            {
                "key": key,
                "name": name,
                "count": len(values),
                "median": statistics.median(values),
                "bands": bands,
            }
        )
    return out


# ---------------------------------------------------------------- earlier cut-offs

CUTOFF_COLUMNS = ["year", "season", "programme_code", "places", "admitted", "cutoff"]


def _number(raw: str, line: int, field: str, errors: list, *, integer: bool = False):
    raw = (raw or "").strip().replace(",", ".")
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        errors.append(RowError(line, field, _("“%(v)s” is not a number.") % {"v": raw}))
        return None
    if value < 0 or (integer and value != value.to_integral_value()):
        errors.append(RowError(line, field, _("Enter a whole number from 0.")))
        return None
    return int(value) if integer else value


@transaction.atomic
def import_earlier_cutoffs(actor, data: bytes, fmt: str = "csv") -> int:
    """Earlier rounds' published cut-offs (CSV or XLSX with the columns ``CUTOFF_COLUMNS``), all
    or nothing; a row for a programme and round already imported replaces it."""
    authorize(actor, "ranking.cutoffs", NATIONAL)
    try:
        _headers, table = read_table(data or b"", fmt)
    except TableError as exc:
        raise ImportRejected([RowError(0, "file", str(exc))]) from exc
    errors: list[RowError] = []
    rows, seen = [], set()
    seasons = {s.value: s.value for s in Season} | {str(s.label): s.value for s in Season}
    known = set(Programme.objects.values_list("code", flat=True))
    for line, row in table:
        year = _number(row.get("year", ""), line, "year", errors, integer=True)
        if year is not None and not 2000 <= year <= timezone.localdate().year:
            errors.append(RowError(line, "year", _("Enter a year from 2000 to this year.")))
        season = seasons.get((row.get("season") or "").strip().lower())
        if season is None:
            errors.append(RowError(line, "season", _("Enter spring or autumn.")))
        code = (row.get("programme_code") or "").strip()
        if code not in known:
            errors.append(
                RowError(line, "programme_code", _("No programme with this code in Kari."))
            )
        places = _number(row.get("places", ""), line, "places", errors, integer=True)
        admitted = _number(row.get("admitted", ""), line, "admitted", errors, integer=True)
        cutoff = _number(row.get("cutoff", ""), line, "cutoff", errors)
        key = (year, season, code)
        if key in seen:
            errors.append(RowError(line, "programme_code", _("This programme is listed twice.")))
        seen.add(key)
        rows.append((year, season, code, places, admitted, cutoff))
    if not table:
        errors.append(RowError(0, "file", _("The file has no rows.")))
    if errors:
        raise ImportRejected(errors[:200])
    now = timezone.now()
    last = None
    for year, season, code, places, admitted, cutoff in rows:
        last, _created = EarlierCutoff.objects.update_or_create(
            year=year,
            season=season,
            programme_code=code,
            defaults={
                "places": places,
                "admitted": admitted,
                "cutoff": cutoff,
                "imported_at": now,
                "imported_by": actor,
            },
        )
    record(
        actor,
        "ranking.cutoffs_import",
        last,
        after={"rows": len(rows), "rounds": sorted({f"{s} {y}" for y, s, *_r in rows})},
        reason=_("Earlier rounds' cut-offs imported"),
    )
    return len(rows)


def previous_cutoffs(round_, programmes) -> dict[int, dict]:
    """Programme id -> the cut-off of the round immediately before ``round_`` (A28.1's "previous
    round"): from Kari's approved ranking of that round, else from the imported cut-offs.
    Public data only; never the current round's provisional outcome."""
    year, season = previous_round_key(round_.year, round_.season)
    ids = [p.pk for p in programmes]
    label = f"{Season(season).label} {year}"
    out: dict[int, dict] = {}
    for o in ProgrammeOutcome.objects.filter(
        ranking__round__year=year,
        ranking__round__season=season,
        ranking__status=RankingStatus.APPROVED,
        ranking__institution=None,
        programme_id__in=ids,
    ):
        out[o.programme_id] = {"cutoff": o.cutoff, "round": label, "places": o.places}
    codes = {p.code: p.pk for p in programmes if p.pk not in out}
    for c in EarlierCutoff.objects.filter(year=year, season=season, programme_code__in=list(codes)):
        out[codes[c.programme_code]] = {"cutoff": c.cutoff, "round": label, "places": c.places}
    return out
