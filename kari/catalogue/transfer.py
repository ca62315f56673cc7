"""Import and export of institutions and programmes (CSV, XLSX).

An import is all-or-nothing: every row is validated through the same rules as the
forms, every bad row is reported with its line and field, and nothing is written
unless the whole file is valid.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kari.accounts.permissions import NATIONAL, authorize, authorize_any, can
from kari.audit.log import record
from kari.tabular import ImportRejected, RowError, TableError, read_table, write_table
from kari.tasks import files

from . import rules
from .models import Institution, Programme
from .services import (
    _write_institution,
    _write_programme,
    institution_snapshot,
    programme_snapshot,
)

INSTITUTION_COLUMNS = [
    "code",
    "name_ka",
    "name_en",
    "legal_form",
    "municipality",
    "address",
    "phone",
    "email",
    "heads",
]
PROGRAMME_COLUMNS = [
    "code",
    "institution",
    "name_ka",
    "name_en",
    "field",
    "stage",
    "art_sport_tourism",
    "work_based",
    "framework_based",
    "skills_test",
    "subject_group",
    "foreign_language",
    "extra_requirements",
    "work_based_specifics",
    "authorised_places",
]
COLUMNS = {"institutions": INSTITUTION_COLUMNS, "programmes": PROGRAMME_COLUMNS}


@dataclass
class ImportResult:
    kind: str
    created: int
    updated: int


def _check_headers(kind: str, headers: list[str]) -> None:
    missing = [c for c in COLUMNS[kind] if c not in headers and c != "name_en"]
    if missing:
        raise ImportRejected([RowError(1, c, _("column is missing")) for c in missing])


def _collect(errors: list, line: int, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        for m in msgs:
            errors.append(RowError(line, field, m))


@transaction.atomic
def _authorize_import(actor, kind: str) -> None:
    if kind not in COLUMNS:
        raise ValueError(kind)
    if kind == "institutions":
        authorize(actor, "reference.edit", NATIONAL)
    elif not (can(actor, "catalogue.import", NATIONAL) or can(actor, "programme.import", NATIONAL)):
        raise PermissionDenied(_("Your roles do not allow importing programmes."))


@transaction.atomic
def start_import(actor, kind: str, data: bytes, name: str, *, reason: str = "", back: str = ""):
    """An import from the web: a job of the queue (``kari worker`` runs :func:`import_table`);
    its page shows the outcome. ``kari catalogue import`` imports inline."""
    _authorize_import(actor, kind)
    return files.start(
        actor,
        import_job,
        params={"kind": kind, "reason": reason},
        upload=data,
        name=name,
        back=back,
    )


@files.file_job
def import_job(actor, job) -> files.Outcome:
    try:
        result = import_table(
            actor,
            job.params["kind"],
            bytes(job.upload),
            job.upload_name.rsplit(".", 1)[-1],
            reason=job.params.get("reason", ""),
        )
    except ImportRejected as exc:
        return files.Outcome(errors=files.refused_rows(exc.errors))
    return files.Outcome(
        message=_("Imported: %(c)s new, %(u)s updated.")
        % {"c": result.created, "u": result.updated}
    )


def import_table(actor, kind: str, data: bytes, fmt: str, *, reason: str = "") -> ImportResult:
    """Import institutions or programmes; raise ImportRejected listing every bad row."""
    _authorize_import(actor, kind)
    try:
        headers, rows = read_table(data, fmt)
    except TableError as exc:
        raise ImportRejected([RowError(1, "file", str(exc))]) from exc
    _check_headers(kind, headers)
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    cleaned = []
    for line, row in rows:
        key = (
            row.get("code", "").strip().lower()
            if kind == "institutions"
            else row.get("code", "").strip()
        )
        if key in seen:
            errors.append(
                RowError(line, "code", _("duplicate of line %(line)s") % {"line": seen[key]})
            )
            continue
        seen[key] = line
        try:
            if kind == "institutions":
                cleaned.append((line, rules.clean_institution(row), None))
            else:
                clean = rules.clean_programme(row)
                inst = rules.institution_by_code(row.get("institution"))
                if inst is None:
                    raise ValidationError(
                        {
                            "institution": [
                                _("Unknown institution “%(code)s”.")
                                % {"code": row.get("institution", "")}
                            ]
                        }
                    )
                if not can(actor, "catalogue.import", NATIONAL) and not can(
                    actor, "programme.import", inst.organisation
                ):
                    raise ValidationError(
                        {
                            "institution": [
                                _("You can only import programmes of your own institution.")
                            ]
                        }
                    )
                owner = (
                    Programme.objects.filter(code=clean["code"])
                    .values_list("institution_id", flat=True)
                    .first()
                )
                if owner is not None and owner != inst.pk:
                    raise ValidationError(
                        {"code": [_("This code belongs to another institution's programme.")]}
                    )
                cleaned.append((line, clean, inst))
        except ValidationError as exc:
            _collect(errors, line, exc)
    if not rows:
        errors.append(RowError(2, "file", _("no rows to import")))
    if errors:
        raise ImportRejected(errors)
    created = updated = 0
    for _line, clean, inst in cleaned:
        if kind == "institutions":
            obj, before = _write_institution(clean)
            after = institution_snapshot(obj)
        else:
            obj, before = _write_programme(inst, clean)
            after = programme_snapshot(obj)
        if before is None:
            created += 1
        else:
            updated += 1
        if before != after:
            record(
                actor,
                f"{kind[:-1]}.import",
                obj,
                before=before,
                after=after,
                reason=reason or "import",
            )
    return ImportResult(kind, created, updated)


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _authorize_export(actor) -> None:
    authorize_any(actor, ("catalogue.export", NATIONAL), ("catalogue.import", NATIONAL))


def export_label(kind: str, fmt: str) -> str:
    what = _("Institutions") if kind == "institutions" else _("Programmes")
    return f"{what} ({fmt.upper()})"


@transaction.atomic
def start_export(actor, kind: str, fmt: str, *, back: str = ""):
    """An export from the web: a job of the queue (``kari worker`` runs :func:`export_job`); its
    page offers the file when it is ready. ``kari catalogue export`` exports inline.
    An unknown kind or format is a ``ValueError`` (no such page)."""
    _authorize_export(actor)
    if kind not in COLUMNS or fmt not in CONTENT_TYPES:
        raise ValueError(f"{kind}.{fmt}")
    return files.start(
        actor,
        export_job,
        params={"kind": kind, "fmt": fmt},
        name=export_label(kind, fmt),
        back=back,
    )


@files.file_job
def export_job(actor, job) -> files.Outcome:
    _authorize_export(actor)  # the starter may have lost the role since
    kind, fmt = job.params["kind"], job.params["fmt"]
    return files.Outcome(
        message=_("The file is ready."),
        output=export_table(kind, fmt),
        output_name=f"kari-{kind}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )


def export_table(kind: str, fmt: str, queryset=None) -> bytes:
    """The catalogue back to CSV or XLSX, in the import's own columns (a round trip)."""
    if kind == "institutions":
        qs = queryset or Institution.objects.select_related("organisation__municipality")
        rows = []
        for i in qs:
            snap = institution_snapshot(i)
            snap["heads"] = rules.format_heads(snap["heads"])
            rows.append([i.code, *(snap.get(c, "") for c in INSTITUTION_COLUMNS[1:])])
        return write_table(INSTITUTION_COLUMNS, rows, fmt)
    qs = queryset or Programme.objects.select_related(
        "institution__organisation", "field", "skills_test", "subject_group"
    )
    rows = []
    for p in qs:
        snap = programme_snapshot(p)
        row = [p.code]
        for c in PROGRAMME_COLUMNS[1:]:
            v = snap.get(c)
            row.append(("yes" if v else "no") if isinstance(v, bool) else ("" if v is None else v))
        rows.append(row)
    return write_table(PROGRAMME_COLUMNS, rows, fmt)
