"""The hand-overs between EMIS and NAEC, as documented CSV and JSON (see docs/exchange-formats.md).

Every file carries its kind, citation, round and statutory deadline: a JSON object with
``meta`` and ``rows``; a CSV whose first lines are ``# key: value`` comments, then a header.
Each export or import is recorded as a Handover, stamped on time or late, and audited.
"""

import csv
import hashlib
import io
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.rounds.deadlines import deadline
from kari.rounds.models import Round
from kari.rounds.services import record_receipt
from kari.tabular import ImportRejected, RowError, neutralise
from kari.tasks import files

from .. import selectors
from ..models import (
    Assignment,
    CentreQuota,
    ExamCentre,
    Handover,
    HandoverKind,
    Sitting,
)

CITATION = {
    HandoverKind.REGISTRATION_DATA: "A12.3(c)",
    HandoverKind.CENTRES_TO_NAEC: "A17.2(a)",
    HandoverKind.NUMBERS_TO_EMIS: "A17.2(b)",
    HandoverKind.DISTRIBUTION_TO_NAEC: "A17.4",
}
EXPORTS = [
    HandoverKind.REGISTRATION_DATA,
    HandoverKind.CENTRES_TO_NAEC,
    HandoverKind.DISTRIBUTION_TO_NAEC,
]
QUOTA_COLUMNS = ["centre", "applicants"]


def _registration_rows(round_):
    headers = [
        "registration",
        "personal_number",
        "last_name",
        "first_name",
        "birth_date",
        "test_language",
        "foreign_language",
        "skills_test",
        "subject_group",
        "preferred_municipality",
        "adapted_environment",
    ]
    rows = []
    for reg in selectors.registrations_to_distribute(round_):
        a = reg.applicant
        rows.append(
            [
                str(reg),
                a.personal_number,
                a.last_name_ka,
                a.first_name_ka,
                a.birth_date.isoformat(),
                reg.test_language,
                reg.foreign_language,
                getattr(reg.skills_test, "code", ""),
                getattr(reg.subject_group, "code", ""),
                getattr(reg.exam_municipality, "code", ""),
                reg.adapted_environment,
            ]
        )
    return headers, rows


def _centre_rows(round_):
    """A17.2(a): the centres, and registrants by preferred municipality and tests."""
    headers = [
        "section",
        "centre",
        "name",
        "municipality",
        "address",
        "seats",
        "sessions_per_day",
        "adapted",
        "skills_test",
        "subject_group",
        "applicants",
    ]
    rows = [
        [
            "centre",
            c.code,
            c.name_ka,
            c.municipality.code,
            c.address,
            c.seats,
            c.sessions_per_day,
            int(c.adapted),
            "",
            "",
            "",
        ]
        for c in selectors.active_centres()
    ]
    demand: dict[tuple, int] = {}
    for reg in selectors.registrations_to_distribute(round_):
        key = (
            getattr(reg.exam_municipality, "code", ""),
            getattr(reg.skills_test, "code", ""),
            getattr(reg.subject_group, "code", ""),
            int(bool(reg.adapted_environment.strip())),
        )
        demand[key] = demand.get(key, 0) + 1
    rows += [
        ["registrants", "", "", m, "", "", "", adapted, st, sg, n]
        for (m, st, sg, adapted), n in sorted(demand.items())
    ]
    return headers, rows


def _distribution_rows(round_):
    """A17.4: names, personal numbers, registration data and each sitting."""
    headers = [
        "registration",
        "personal_number",
        "last_name",
        "first_name",
        "birth_date",
        "test_language",
        "foreign_language",
        "adapted_environment",
        "centre",
        "session_date",
        "session_start",
        "test",
    ]
    rows = []
    sittings = (
        Sitting.objects.issued()
        .of_round(round_)
        .select_related(
            "assignment__registration__applicant",
            "assignment__centre",
            "session__skills_test",
            "session__subject",
        )
        .order_by("assignment__registration_id", "session__date", "session__starts_at")
    )
    for s in sittings:
        reg = s.assignment.registration
        a = reg.applicant
        rows.append(
            [
                str(reg),
                a.personal_number,
                a.last_name_ka,
                a.first_name_ka,
                a.birth_date.isoformat(),
                reg.test_language,
                reg.foreign_language,
                reg.adapted_environment,
                s.assignment.centre.code,
                s.session.date.isoformat(),
                f"{s.session.starts_at:%H:%M}",
                s.session.item,
            ]
        )
    return headers, rows


BUILDERS = {
    HandoverKind.REGISTRATION_DATA: _registration_rows,
    HandoverKind.CENTRES_TO_NAEC: _centre_rows,
    HandoverKind.DISTRIBUTION_TO_NAEC: _distribution_rows,
}


def meta(round_, kind: str) -> dict:
    d = deadline(round_, kind)
    return {
        "kind": kind,
        "citation": CITATION[kind],
        "round": str(round_),
        "deadline": d.date.isoformat(),
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
    }


def encode(headers, rows, fmt: str, head: dict) -> bytes:
    if fmt == "json":
        return json.dumps(
            {"meta": head, "rows": [dict(zip(headers, r, strict=True)) for r in rows]},
            ensure_ascii=False,
            indent=1,
        ).encode()
    buf = io.StringIO()
    for k, v in head.items():
        buf.write(f"# {k}: {v}\n")
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows([neutralise(v) for v in r] for r in rows)  # safe to open in a spreadsheet
    return buf.getvalue().encode("utf-8")


# The hand-overs whose receipt starts the next body's deadline (მიღებიდან), and the permission
# under which their receipt is recorded.
RECEIPTS = {
    HandoverKind.CENTRES_TO_NAEC: "exams.handover",  # starts A17.2(b)
    HandoverKind.NUMBERS_TO_EMIS: "exams.numbers",  # starts A17.4
}


def _stamp(actor, round_, kind: str, fmt: str, rows: int, blob: bytes, today) -> Handover:
    due = deadline(round_, kind).date
    if kind in RECEIPTS:
        record_receipt(actor, round_, kind, perm=RECEIPTS[kind], on=today)
    h = Handover.objects.create(
        round=round_,
        kind=kind,
        fmt=fmt,
        at=timezone.now(),
        by=actor,
        deadline=due,
        on_time=today <= due,
        rows=rows,
        sha256=hashlib.sha256(blob).hexdigest(),
    )
    record(
        actor,
        f"handover.{kind}",
        h,
        after={
            "format": fmt,
            "rows": rows,
            "sha256": h.sha256,
            "deadline": due.isoformat(),
            "on_time": h.on_time,
        },
        reason=CITATION[kind],
    )
    return h


def _check_export(round_, kind: str, fmt: str) -> None:
    if kind not in BUILDERS or fmt not in ("csv", "json"):
        raise ImportRejected([RowError(0, "kind", _("Unknown hand-over or format."))])
    if (
        kind == HandoverKind.DISTRIBUTION_TO_NAEC
        and not Assignment.objects.issued().of_round(round_).exists()
    ):
        raise ImportRejected(
            [
                RowError(
                    0,
                    "distribution",
                    _("Issue the invitations first: A17.4 sends the final distribution."),
                )
            ]
        )


@transaction.atomic
def export(actor, round_, kind: str, fmt: str, *, today=None) -> tuple[bytes, Handover]:
    """Build one hand-over file from EMIS to NAEC and record it (A12.3(c), A17.2(a), A17.4)."""
    authorize(actor, "exams.handover", NATIONAL)
    _check_export(round_, kind, fmt)
    headers, rows = BUILDERS[kind](round_)
    blob = encode(headers, rows, fmt, meta(round_, kind))
    return blob, _stamp(actor, round_, kind, fmt, len(rows), blob, today or timezone.localdate())


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@transaction.atomic
def start_export(actor, round_, kind: str, fmt: str, *, back: str = ""):
    """A hand-over from the web: a job of the queue (``kari worker`` runs :func:`export_job`,
    which builds the file and records the hand-over when it runs); its page offers the file.
    Refused at once (ImportRejected) when the file could not be built. ``kari exams handover``
    exports inline."""
    authorize(actor, "exams.handover", NATIONAL)
    _check_export(round_, kind, fmt)
    return files.start(
        actor,
        export_job,
        params={"round": round_.pk, "kind": kind, "fmt": fmt},
        name=f"{HandoverKind(kind).label} ({fmt.upper()})",
        back=back,
    )


@files.file_job
def export_job(actor, job) -> files.Outcome:
    round_ = Round.objects.get(pk=job.params["round"])
    kind, fmt = job.params["kind"], job.params["fmt"]
    try:
        blob, h = export(actor, round_, kind, fmt)
    except ImportRejected as exc:  # the round changed since the job was started
        raise ValidationError([str(e.message) for e in exc.errors]) from exc
    message = (
        _("%(n)s rows. The hand-over is recorded as on time.")
        if h.on_time
        else _("%(n)s rows. The hand-over is recorded as late (the deadline was %(d)s).")
    ) % {"n": h.rows, "d": h.deadline.strftime("%d.%m.%Y")}
    return files.Outcome(
        message=message,
        output=blob,
        output_name=(
            f"{kind}-{round_.year}-{round_.season}-{timezone.localtime(h.at):%Y%m%d%H%M}.{fmt}"
        ),
        content_type=CONTENT_TYPES[fmt],
    )


def _read(data: bytes, fmt: str) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """(line, row) pairs and the errors found while reading them (rows too long for the header)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(1, "file", _("The file is not UTF-8 text."))]) from exc
    if fmt == "json":
        try:
            doc = json.loads(text)
            return [
                (i, {k: str(v) for k, v in r.items()}) for i, r in enumerate(doc["rows"], 1)
            ], []
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ImportRejected(
                [RowError(1, "file", _("Not a hand-over JSON document with “rows”."))]
            ) from exc
    lines = text.splitlines()
    skip = 0
    while lines and lines[0].startswith("#"):
        lines.pop(0)
        skip += 1
    reader = csv.DictReader(lines)
    missing = [c for c in QUOTA_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([RowError(skip + 1, c, _("column is missing")) for c in missing])
    rows, errors = [], []
    for n, row in enumerate(reader, start=2):
        if None in row:  # DictReader keeps the cells beyond the header as a list under None
            errors.append(RowError(skip + n, "file", _("too many columns")))
            continue
        rows.append((skip + n, {k: (v or "").strip() for k, v in row.items()}))
    return rows, errors


@transaction.atomic
def import_numbers(actor, round_, data: bytes, fmt: str, *, today=None) -> Handover:
    """A17.2(b): NAEC's number of applicants per exam centre; all-or-nothing; replaces earlier."""
    authorize(actor, "exams.numbers", NATIONAL)
    rows, errors = _read(data, fmt)
    centres = {c.code: c for c in ExamCentre.objects.active()}
    quotas = {}
    for line, row in rows:
        code = row.get("centre", "")
        if code not in centres:
            errors.append(RowError(line, "centre", _("No exam centre “%(c)s”.") % {"c": code}))
            continue
        if code in quotas:
            errors.append(RowError(line, "centre", _("This centre is listed twice.")))
            continue
        try:
            n = int(row.get("applicants", ""))
            if n < 0:
                raise ValueError
        except ValueError:
            errors.append(RowError(line, "applicants", _("A whole number, 0 or more.")))
            continue
        quotas[code] = n
    if not rows and not errors:
        errors.append(RowError(1, "file", _("The file is empty.")))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.line, e.field)))
    CentreQuota.objects.filter(round=round_).delete()
    CentreQuota.objects.bulk_create(
        [
            CentreQuota(round=round_, centre=centres[c], applicants=n)
            for c, n in sorted(quotas.items())
        ]
    )
    return _stamp(
        actor,
        round_,
        HandoverKind.NUMBERS_TO_EMIS,
        fmt,
        len(quotas),
        data,
        today or timezone.localdate(),
    )


def quota_template(round_) -> bytes:
    """A blank A17.2(b) answer for NAEC: every active centre with its seat count as a start."""
    rows = [[c.code, ""] for c in selectors.active_centres()]
    return encode(QUOTA_COLUMNS, rows, "csv", meta(round_, HandoverKind.NUMBERS_TO_EMIS))
