"""A9.3, A10.3: institutions send EMIS their competition results, at least 10 days before the
test (later ones are taken and stamped late), all or nothing."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.permissions import authorize
from kari.audit.log import record
from kari.catalogue.models import Institution
from kari.ranking.models import CompetitionResult
from kari.registration.models import Registration
from kari.rounds.deadlines import deadline
from kari.tabular import ImportRejected, RowError, TableError, read_table

COLUMNS = [
    "programme_code",
    "programme_name",
    "personal_number",
    "first_name",
    "last_name",
    "score",
]
MAX_COMPETITION_SCORE = Decimal("99999.99")


def parse(institution: Institution, round_, rows: list[tuple[int, dict]]) -> list[dict]:
    programmes = {
        p.code: p
        for p in institution.programmes.filter(art_sport_tourism=True)
        | institution.programmes.filter(work_based=True)
    }
    regs = dict(
        Registration.objects.filter(round=round_, stage="primary").values_list(
            "applicant__personal_number", "pk"
        )
    )
    errors: list[RowError] = []
    out = []
    seen = set()
    for line, row in rows:
        code = (row.get("programme_code") or "").strip()
        prog = programmes.get(code)
        if prog is None:
            errors.append(
                RowError(
                    line,
                    "programme_code",
                    _(
                        "“%(code)s” is not an art, sport, tourism or work-based programme of "
                        "this institution."
                    )
                    % {"code": code},
                )
            )
            continue
        pn = (row.get("personal_number") or "").strip()
        if len(pn) < 11 and pn.isdigit():
            pn = pn.zfill(11)
        reg = regs.get(pn)
        if reg is None:
            errors.append(
                RowError(line, "personal_number", _("No applicant with this number registered."))
            )
            continue
        raw = (row.get("score") or "").strip().replace(",", ".")
        try:
            score = Decimal(raw)
        except InvalidOperation:
            errors.append(RowError(line, "score", _("“%(v)s” is not a number.") % {"v": raw}))
            continue
        if not (0 <= score <= MAX_COMPETITION_SCORE) or score != score.quantize(Decimal("0.01")):
            errors.append(
                RowError(line, "score", _("A score is a number from 0 with at most 2 decimals."))
            )
            continue
        if (prog.pk, reg) in seen:
            errors.append(RowError(line, "personal_number", _("This applicant is listed twice.")))
            continue
        seen.add((prog.pk, reg))
        out.append({"programme": prog, "registration": reg, "score": score})
    if errors:
        raise ImportRejected(errors[:200])
    return out


@transaction.atomic
def import_competition_results(
    actor,
    institution: Institution,
    round_,
    data: bytes | None = None,
    fmt: str = "csv",
    *,
    rows: list[dict] | None = None,
    today=None,
) -> list[CompetitionResult]:
    """Take an institution's competition results (upload or page), all or nothing; a programme's
    earlier results are replaced by the new ones. Columns: A9.3(a)-(d), A10.3(a)-(d)."""
    authorize(actor, "competition.submit", institution.organisation)
    if rows is None:
        try:
            _headers, table = read_table(data or b"", fmt)
        except TableError as exc:
            raise ImportRejected([RowError(0, "file", str(exc))]) from exc
    else:
        table = [(n, r) for n, r in enumerate(rows, start=1)]
    parsed = parse(institution, round_, table)
    if not parsed:
        raise ImportRejected([RowError(0, "file", _("The file has no rows."))])
    today = today or timezone.localdate()
    due = deadline(round_, "competition").date
    on_time = today <= due
    now = timezone.now()
    programmes = {r["programme"] for r in parsed}
    CompetitionResult.objects.filter(round=round_, programme__in=programmes).delete()
    made = CompetitionResult.objects.bulk_create(
        [
            CompetitionResult(
                round=round_,
                programme=r["programme"],
                registration_id=r["registration"],
                score=r["score"],
                submitted_at=now,
                submitted_by=actor,
                on_time=on_time,
            )
            for r in parsed
        ]
    )
    for prog in sorted(programmes, key=lambda p: p.code):
        record(
            actor,
            "competition.submit",
            prog,
            after={
                "rows": sum(1 for r in parsed if r["programme"] == prog),
                "deadline": due.isoformat(),
                "on_time": on_time,
            },
            reason=_("Competition results (A9.3, A10.3)"),
        )
    return made
