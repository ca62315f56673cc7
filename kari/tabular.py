"""Reading and writing CSV and XLSX tables (openpyxl), rows as dicts keyed by header."""

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

FORMATS = ("csv", "xlsx")


class TableError(Exception):
    pass


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

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


def read_table(data: bytes, fmt: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """Return (headers, [(line_number, row)]). Line numbers are as a spreadsheet shows them."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TableError(_("The CSV file is not UTF-8 text.")) from exc
        reader = csv.reader(io.StringIO(text))
        rows = list(reader)
    elif fmt == "xlsx":
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds
            raise TableError(_("The file is not a readable XLSX workbook.")) from exc
        rows = [
            ["" if v is None else v for v in r]
            for r in wb.worksheets[0].iter_rows(values_only=True)
        ]
    else:
        raise TableError(_("Unsupported format “%(fmt)s”: use CSV or XLSX.") % {"fmt": fmt})
    if not rows:
        raise TableError(_("The file is empty."))
    headers = [str(h).strip().lower() for h in rows[0]]
    out = []
    for number, values in enumerate(rows[1:], start=2):
        if all(str(v).strip() == "" for v in values):
            continue
        row = {h: _text(values[i]) if i < len(values) else "" for i, h in enumerate(headers)}
        out.append((number, row))
    return headers, out


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def write_table(headers: list[str], rows: list[list], fmt: str) -> bytes:
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(headers)
        writer.writerows(rows)
        return buf.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.append(headers)
        for r in rows:
            ws.append(r)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    raise TableError(_("Unsupported format “%(fmt)s”: use CSV or XLSX.") % {"fmt": fmt})
