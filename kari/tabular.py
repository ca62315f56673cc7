"""Reading and writing CSV and XLSX tables (openpyxl), rows as dicts keyed by header."""

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

FORMATS = ("csv", "xlsx")


class TableError(Exception):
    pass


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str
    personal_number: str = ""  # the row's person, when the file has one (sorting, reports)
    check: bool = False  # a cross-check against other records, not a fault of the row alone

    def __str__(self) -> str:
        return _("line %(line)s, %(field)s: %(message)s") % {
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(map(str, errors[:5])))


def _limits() -> tuple[int, int, int, int]:
    conf = settings.KARI_UPLOADS
    return conf["table"], conf["rows"], conf["columns"], conf["unpacked"]


def read_table(data: bytes, fmt: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """Return (headers, [(line_number, row)]). Line numbers are as a spreadsheet shows them.

    The file is distrusted (issue 11, point 3): refused over the size limit, rows are read one
    at a time (an XLSX's declared dimension is ignored) and the table is refused as soon as it
    has more rows or columns than the limits allow."""
    max_bytes, max_rows, max_cols, max_unpacked = _limits()
    if len(data) > max_bytes:
        raise TableError(
            _("The file is larger than %(limit)s.") % {"limit": filesizeformat(max_bytes)}
        )
    fmt = fmt.lower().lstrip(".")
    if fmt == "csv":
        rows = _csv_rows(data)
    elif fmt == "xlsx":
        rows = _xlsx_rows(data, max_unpacked)
    else:
        raise TableError(_("Unsupported format “%(fmt)s”: use CSV or XLSX.") % {"fmt": fmt})

    headers: list[str] | None = None
    out = []
    for number, values in enumerate(rows, start=1):
        if len(values) > max_cols:
            values = _trim(values)
            if len(values) > max_cols:
                raise TableError(
                    _("Line %(line)s has more than %(max)s columns.")
                    % {"line": number, "max": max_cols}
                )
        if number > max_rows + 1:
            raise TableError(_("The file has more than %(max)s rows.") % {"max": max_rows})
        if headers is None:
            headers = [str(h).strip().lower() for h in values]
            continue
        if all(str(v).strip() == "" for v in values):
            continue
        row = {h: _text(values[i]) if i < len(values) else "" for i, h in enumerate(headers)}
        out.append((number, row))
    if headers is None:
        raise TableError(_("The file is empty."))
    return headers, out


def _trim(values):
    """A row without its empty cells at the end (a spreadsheet often keeps a few)."""
    values = list(values)
    while values and (values[-1] is None or str(values[-1]).strip() == ""):
        values.pop()
    return values


def _csv_rows(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(_("The CSV file is not UTF-8 text.")) from exc
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as exc:
        raise TableError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def _xlsx_rows(data: bytes, max_unpacked: int):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile as exc:
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc
    if unpacked > max_unpacked:
        raise TableError(
            _("The workbook unpacks to more than %(limit)s.")
            % {"limit": filesizeformat(max_unpacked)}
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # never trust the declared A1:XFD1048576: read what is there
        for r in ws.iter_rows(values_only=True):
            yield ["" if v is None else v for v in r]
    except TableError:
        raise
    except Exception as exc:  # openpyxl raises many kinds
        raise TableError(_("The file is not a readable XLSX workbook.")) from exc


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unneutralise(str(value).strip())


# ---------------------------------------------------------------- safe to open (CSV injection)

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def neutralise(value):
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe
    (OWASP CSV injection); numbers and E.164 phone numbers are left as they are."""
    if not isinstance(value, str) or not value.startswith(DANGEROUS):
        return value
    if _NUMBER.fullmatch(value) or _E164.fullmatch(value.replace(" ", "")):
        return value
    return "'" + value


def unneutralise(value: str) -> str:
    """What `neutralise` wrote, read back (so an export re-imports unchanged)."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(DANGEROUS):
        return value[1:]
    return value


def write_table(headers: list[str], rows: Sequence[Sequence], fmt: str) -> bytes:
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([neutralise(h) for h in headers])
        writer.writerows([neutralise(v) for v in r] for r in rows)
        return buf.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append([_xlsx_cell(ws, h) for h in headers])
        for r in rows:
            ws.append([_xlsx_cell(ws, v) for v in r])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    raise TableError(_("Unsupported format “%(fmt)s”: use CSV or XLSX.") % {"fmt": fmt})


def _xlsx_cell(ws, value):
    """Numbers stay numeric; text is always a string cell, never a formula."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(ws, value=neutralise(value))
    cell.data_type = "s"  # openpyxl would make a string that starts with "=" a formula
    return cell
