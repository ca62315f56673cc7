"""A26.1: NAEC's results upload (CSV or XLSX), checked against registration and check-in.

Columns: ``personal_number``, ``status`` (completed, absent, not_finished, removed),
``skills_score`` and one column per subject code (``georgian``, ``mathematics``, …) holding that
subject's score. Scores are numbers from 0 to ``MAX_SCORE``; blank where the applicant does not
sit the subject. The upload is all-or-nothing; a re-import replaces the previous results.
"""

import csv
import dataclasses
import hashlib
import io
import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.registration.services import publish_scores
from kari.rounds.deadlines import deadline
from kari.rounds.models import Round
from kari.tabular import ImportRejected, RowError, TableError, neutralise, read_table
from kari.tasks import files

from ..models import (
    Assignment,
    Result,
    ResultImport,
    ResultStatus,
    Sitting,
    SittingStatus,
)

MAX_SCORE = Decimal(30)  # facts.md: each test is scored out of 30 points
REQUIRED = ["personal_number", "status", "skills_score"]
STATUS_WORDS = {v: v for v in ResultStatus.values}
SHORT_NUMBER = re.compile(r"[0-9]{1,10}")  # a personal number read as a number lost its leading 0s


def _personal_number(value: str) -> str:
    """Personal numbers are 11 digits and may start with 0 (facts.md); an XLSX number cell
    drops the zeros, so plain digits that are too short are padded back to 11."""
    return value.zfill(11) if SHORT_NUMBER.fullmatch(value) else value


def _score(value: str, line: int, field: str, errors: list) -> Decimal | None:
    if value == "":
        return None
    try:
        d = Decimal(value.replace(",", "."))
    except InvalidOperation:
        errors.append(RowError(line, field, _("“%(v)s” is not a number.") % {"v": value}))
        return None
    if not Decimal(0) <= d <= MAX_SCORE:
        errors.append(
            RowError(line, field, _("A score is between 0 and %(max)s.") % {"max": MAX_SCORE})
        )
        return None
    return d


def _expected(round_) -> dict[str, tuple[Assignment, list[str], set[str]]]:
    """Personal number -> (assignment, subject codes, sitting statuses) of the final
    distribution."""
    out = {}
    assignments = (
        Assignment.objects.issued()
        .of_round(round_)
        .select_related("registration__applicant", "registration__subject_group")
        .prefetch_related("registration__subject_group__subjects")
    )
    statuses: dict[int, set[str]] = {}
    for a_id, status in (
        Sitting.objects.issued().of_round(round_).values_list("assignment_id", "status")
    ):
        statuses.setdefault(a_id, set()).add(status)
    for a in assignments:
        reg = a.registration
        subjects = (
            sorted(s.code for s in reg.subject_group.subjects.all()) if reg.subject_group_id else []
        )
        out[reg.applicant.personal_number] = (a, subjects, statuses.get(a.pk, set()))
    return out


def _check_status(status: str, seen: set[str], line: int, errors: list) -> None:
    """The status must agree with what the proctors recorded at check-in (A19-A21)."""
    if status == ResultStatus.ABSENT and SittingStatus.CHECKED_IN in seen:
        errors.append(RowError(line, "status", _("The applicant checked in, so cannot be absent.")))
    if status == ResultStatus.COMPLETED and not seen <= {SittingStatus.CHECKED_IN}:
        errors.append(
            RowError(
                line,
                "status",
                _(
                    "The applicant did not check in at every "
                    "session, so cannot have completed the test."
                ),
            )
        )
    if status == ResultStatus.NOT_FINISHED and SittingStatus.CHECKED_IN not in seen:
        errors.append(
            RowError(
                line,
                "status",
                _("The applicant did not check in, so cannot have started the test."),
            )
        )
    if status == ResultStatus.REMOVED and SittingStatus.REMOVED not in seen:
        errors.append(
            RowError(line, "status", _("No removal was recorded for this applicant (A21)."))
        )
    if status != ResultStatus.REMOVED and SittingStatus.REMOVED in seen:
        errors.append(RowError(line, "status", _("The applicant was removed from the test (A21).")))


def parse(round_, data: bytes, fmt: str) -> list[dict]:
    """Validate a whole results file; raise ImportRejected naming every bad line and field."""
    try:
        headers, rows = read_table(data, fmt)
    except TableError as exc:
        raise ImportRejected([RowError(1, "file", str(exc))]) from exc
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise ImportRejected([RowError(1, c, _("column is missing")) for c in missing])
    expected = _expected(round_)
    if not expected:
        raise ImportRejected(
            [
                RowError(
                    1,
                    "file",
                    _(
                        "No invitations have been issued for this "
                        "round, so there are no results to take in."
                    ),
                )
            ]
        )
    errors: list[RowError] = []  # faults of a row itself
    checks: list[RowError] = []  # disagreements with the invitations and the check-in records
    parsed, seen_numbers = [], {}
    for line, row in rows:
        pn = _personal_number(row.get("personal_number", ""))
        first = len(errors)
        _parse_row(row, line, pn, expected, seen_numbers, headers, errors, checks, parsed)
        errors[first:] = [replace(e, personal_number=pn) for e in errors[first:]]
    for pn, (assignment, _subjects, _seen) in expected.items():
        if pn not in seen_numbers and len(checks) < 5000:
            checks.append(
                RowError(
                    0,
                    "personal_number",
                    _(
                        "%(reg)s was invited but has no row; "
                        "list absent applicants with status absent."
                    )
                    % {"reg": assignment.registration},
                    personal_number=pn,
                    check=True,
                )
            )
    if errors or checks:
        # Row errors first, by personal number; then the cross-checks (issue 19, point 5).
        raise ImportRejected(
            sorted(errors, key=lambda e: (e.personal_number, e.line, e.field))
            + sorted(checks, key=lambda e: (e.line == 0, e.line, e.personal_number))
        )
    return parsed


def _parse_row(row, line, pn, expected, seen_numbers, headers, errors, checks, parsed) -> None:
    if pn not in expected:
        checks.append(
            RowError(
                line,
                "personal_number",
                _("Nobody with this personal number was invited to this round's test."),
                personal_number=pn,
                check=True,
            )
        )
        return
    if pn in seen_numbers:
        errors.append(
            RowError(
                line,
                "personal_number",
                _("Already given on line %(n)s.") % {"n": seen_numbers[pn]},
            )
        )
        return
    seen_numbers[pn] = line
    assignment, subjects, seen = expected[pn]
    status = row.get("status", "").strip().lower()
    if status not in STATUS_WORDS:
        errors.append(
            RowError(line, "status", _("Use completed, absent, not_finished or removed."))
        )
        return
    found: list[RowError] = []
    _check_status(status, seen, line, found)
    checks.extend(replace(e, personal_number=pn, check=True) for e in found)
    skills = _score(row.get("skills_score", ""), line, "skills_score", errors)
    scores = {}
    for code in subjects:
        if code not in headers:
            errors.append(RowError(line, code, _("column is missing")))
            continue
        scores[code] = _score(row.get(code, ""), line, code, errors)
    if status == ResultStatus.ABSENT:
        for code, value in [("skills_score", skills), *scores.items()]:
            if value is not None:
                errors.append(RowError(line, code, _("An absent applicant has no score.")))
    if status == ResultStatus.COMPLETED:
        if skills is None:
            errors.append(RowError(line, "skills_score", _("A completed test needs its score.")))
        for code, value in scores.items():
            if value is None:
                errors.append(RowError(line, code, _("A completed test needs its score.")))
    parsed.append(
        {
            "registration": assignment.registration_id,
            "status": status,
            "skills_score": skills,
            "subject_scores": {k: str(v) for k, v in scores.items() if v is not None},
        }
    )


def template_csv(round_) -> bytes:
    """The results file to fill in (issue 19, point 5): the columns, and a row for every
    invited applicant with their subjects' columns."""
    expected = _expected(round_)
    subjects = sorted({code for _a, codes, _s in expected.values() for code in codes})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*REQUIRED, *subjects])
    for pn in sorted(expected):
        writer.writerow([pn, "", "", *["" for _ in subjects]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@transaction.atomic
def start_template(actor, round_, *, back: str = ""):
    """The template from the web, as a job of the queue (a row for every invited applicant of
    a national round); ``kari worker`` runs :func:`template_job`, which checks the role again."""
    authorize(actor, "exams.results", NATIONAL)
    return files.start(
        actor,
        template_job,
        params={"round": round_.pk},
        name=_("The results file to fill in (CSV)"),
        back=back,
    )


@files.file_job
def template_job(actor, job) -> files.Outcome:
    authorize(actor, "exams.results", NATIONAL)
    round_ = Round.objects.get(pk=job.params["round"])
    data = template_csv(round_)
    return files.Outcome(
        message=_("%(n)s invited applicants.") % {"n": data.count(b"\n") - 1},
        output=data,
        output_name=f"kari-results-{round_.pk}-template.csv",
        content_type="text/csv; charset=utf-8",
    )


def error_report_csv(errors) -> bytes:
    """Every error of a refused results file, row errors first (issue 19, point 5). The
    cells echo what the uploaded file held (a personal number, a column, a value): none of
    them may run as a formula when the report is opened (kari.tabular.neutralise)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "personal_number", "line", "column", "problem"])
    for e in errors:
        cells = ["cross-check" if e.check else "row", e.personal_number, e.line or ""]
        writer.writerow([neutralise(v) for v in [*cells, e.field, e.message]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@transaction.atomic
def import_results(
    actor, round_, data: bytes, fmt: str, *, filename: str = "", today=None
) -> ResultImport:
    """A26.1: take in NAEC's results; all-or-nothing; a re-import replaces the previous one."""
    authorize(actor, "exams.results", NATIONAL)
    # One import per round at a time: a second waits here, then numbers after the first (the
    # (round, number) unique constraint would otherwise fail with an IntegrityError).
    Round.objects.select_for_update().get(pk=round_.pk)
    rows = parse(round_, data, fmt)
    today = today or timezone.localdate()
    due = deadline(round_, "results").date
    previous = ResultImport.objects.current(round_).first()
    number = (ResultImport.objects.filter(round=round_).aggregate(n=Max("number"))["n"] or 0) + 1
    imp = ResultImport.objects.create(
        round=round_,
        number=number,
        at=timezone.now(),
        by=actor,
        filename=filename[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        rows=len(rows),
        on_time=today <= due,
    )
    Result.objects.bulk_create(
        [
            Result(
                result_import=imp,
                registration_id=r["registration"],
                status=r["status"],
                skills_score=r["skills_score"],
                subject_scores=r["subject_scores"],
            )
            for r in rows
        ],
        batch_size=2000,
    )
    changed = 0
    if previous is not None:
        old = {
            r.registration_id: (r.status, r.skills_score, r.subject_scores)
            for r in previous.results.all()
        }
        changed = sum(
            1
            for r in rows
            if old.get(r["registration"]) != (r["status"], r["skills_score"], r["subject_scores"])
        )
        previous.current = False
        previous.save(update_fields=["current"])
    # A26.2: the results are published to the applicants; only completed tests carry scores.
    publish_scores(
        actor,
        round_,
        {
            r["registration"]: (
                {"skills_score": r["skills_score"], **r["subject_scores"]}
                if r["status"] == ResultStatus.COMPLETED
                else None
            )
            for r in rows
        },
    )
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ResultStatus.values}
    record(
        actor,
        "results.import",
        imp,
        before={"replaces": previous.number} if previous else None,
        after={
            "rows": len(rows),
            "by_status": counts,
            "sha256": imp.sha256,
            "deadline": due.isoformat(),
            "on_time": imp.on_time,
            "changed": changed,
        },
        reason=_("Results from NAEC (A26.1)"),
    )
    return imp


# ---------------------------------------------------------------- from the web: a task


@transaction.atomic
def start_results_import(actor, round_, data: bytes, filename: str, *, back: str = ""):
    """A26.1 from the web: the upload becomes a job of the queue (``kari worker`` takes the
    results in); its page shows the outcome. ``kari exams results`` imports inline."""
    authorize(actor, "exams.results", NATIONAL)
    return files.start(
        actor,
        results_import_job,
        # a refusal is shown on the upload page (row errors first, then the cross-checks)
        params={"round": round_.pk, "refusal_at_back": True},
        upload=data,
        name=filename,
        back=back,
    )


@files.file_job
def results_import_job(actor, job) -> files.Outcome:
    round_ = Round.objects.get(pk=job.params["round"])
    fmt = "xlsx" if job.upload_name.lower().endswith(".xlsx") else "csv"
    try:
        imp = import_results(actor, round_, bytes(job.upload), fmt, filename=job.upload_name)
    except ImportRejected as exc:
        # every field of a row error (the personal number, a cross-check or not), so that the
        # upload page shows row errors first by personal number, then the cross-checks
        return files.Outcome(
            errors=[{**dataclasses.asdict(e), "message": str(e.message)} for e in exc.errors],
        )
    return files.Outcome(
        message=_("%(n)s results taken in (import %(num)s).") % {"n": imp.rows, "num": imp.number}
    )
