"""Issue 11, point 3: imports that cannot exhaust memory; exports that cannot run formulas."""

import csv
import io
import re
import time
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kari.files import UploadField, check_upload
from kari.tabular import TableError, neutralise, read_table, write_table


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite_sheet(data: bytes, change) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = change(body.decode()).encode()
            z.writestr(item, body)
    return out.getvalue()


def test_an_xlsx_declaring_a_huge_dimension_is_read_as_it_is_quickly():
    small = _xlsx([["code", "name"], ["A-1", "მზარეული"]])
    bomb = _rewrite_sheet(
        small, lambda x: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:XFD1048576"', x)
    )
    assert (
        "A1:XFD1048576"
        in zipfile.ZipFile(io.BytesIO(bomb)).read("xl/worksheets/sheet1.xml").decode()
    )
    started = time.monotonic()
    headers, rows = read_table(bomb, "xlsx")
    assert time.monotonic() - started < 2
    assert headers == ["code", "name"] and rows == [(2, {"code": "A-1", "name": "მზარეული"})]


def test_an_xlsx_with_a_cell_in_the_last_column_is_refused_quickly():
    wide = _rewrite_sheet(
        _xlsx([["code"], ["A-1"]]),
        lambda x: x.replace(
            "</row></sheetData>",
            '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
        ),
    )
    assert len(wide) < 10_000
    started = time.monotonic()
    with pytest.raises(TableError, match="columns"):
        read_table(wide, "xlsx")
    assert time.monotonic() - started < 2


def test_tables_over_the_size_row_or_column_limit_are_refused(settings):
    settings.KARI_UPLOADS = settings.KARI_UPLOADS | {"table": 1000, "rows": 5, "columns": 3}
    with pytest.raises(TableError, match="larger than"):
        read_table(b"a\n" + b"x\n" * 600, "csv")
    with pytest.raises(TableError, match="more than 5 rows"):
        read_table(b"a\n" + b"x\n" * 6, "csv")
    assert len(read_table(b"a\n" + b"x\n" * 5, "csv")[1]) == 5
    with pytest.raises(TableError, match="more than 3 columns"):
        read_table(b"a,b,c,d\n1,2,3,4\n", "csv")
    assert read_table(b"a,b\n1,2,,,,\n", "csv")[1] == [(2, {"a": "1", "b": "2"})]


def test_an_xlsx_that_unpacks_to_gigabytes_is_refused(settings):
    settings.KARI_UPLOADS = settings.KARI_UPLOADS | {"unpacked": 10_000}
    with pytest.raises(TableError, match="unpacks"):
        read_table(_xlsx([["code"]] + [[f"A-{i}"] for i in range(2000)]), "xlsx")


def test_uploads_are_refused_by_kind_size_and_first_bytes(settings):
    settings.KARI_UPLOADS = settings.KARI_UPLOADS | {"table": 100}
    field = UploadField(extensions=("csv", "xlsx"))
    with pytest.raises(ValidationError, match=r"\.csv, \.xlsx"):
        field.clean(SimpleUploadedFile("x.exe", b"MZ"))
    with pytest.raises(ValidationError, match="larger than"):
        field.clean(SimpleUploadedFile("x.csv", b"a\n" * 100))
    with pytest.raises(ValidationError, match="not a .xlsx file"):
        field.clean(SimpleUploadedFile("x.xlsx", b"<html>"))
    assert field.clean(SimpleUploadedFile("x.csv", b"a\n1\n")).name == "x.csv"
    with pytest.raises(ValidationError, match="not a .pdf file"):
        check_upload(SimpleUploadedFile("cv.pdf", b"<script>"), extensions=("pdf",), limit=1000)


DANGEROUS = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_text_never_runs_as_a_formula(fmt):
    safe = ["-5", "+3.5", "+995 555 12 34 56", "+995555123456", "ნინო"]
    data = write_table(["value"], [[v] for v in DANGEROUS + safe] + [[-2], [3.5]], fmt)
    if fmt == "csv":
        cells = [r[0] for r in csv.reader(io.StringIO(data.decode("utf-8-sig")))][1:]
        kinds = [None] * len(cells)
    else:
        ws = openpyxl.load_workbook(io.BytesIO(data)).active
        cells = [c.value for (c,) in ws.iter_rows(min_row=2)]
        kinds = [c.data_type for (c,) in ws.iter_rows(min_row=2)]
        assert "f" not in kinds  # text is never written as a formula
        assert cells[-2:] == [-2, 3.5] and kinds[-2:] == ["n", "n"]  # numbers stay numeric
    for cell in cells[: len(DANGEROUS)]:
        assert str(cell).startswith("'"), cell
    assert cells[len(DANGEROUS) : len(DANGEROUS) + len(safe)] == safe
    # Kari reads its own exports back unchanged.
    back = [r["value"] for _, r in read_table(data, fmt)[1]]
    assert back[:5] == DANGEROUS[:5]  # (XLSX stores a lone carriage return as a line feed)


def test_neutralise_leaves_numbers_and_phone_numbers():
    assert neutralise("-12.5") == "-12.5" and neutralise("+995599112233") == "+995599112233"
    assert neutralise("=1+1") == "'=1+1" and neutralise(7) == 7


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_catalogue_exports_and_reimports_unchanged_with_formula_like_text(world, fmt):
    from kari.catalogue import transfer
    from kari.catalogue.models import Programme

    prog = world["progs_a"][0]
    Programme.objects.filter(pk=prog.pk).update(name_en='=HYPERLINK("http://evil")')
    before = transfer.export_table("programmes", fmt)
    transfer.import_table(world["emis"], "programmes", before, fmt)
    prog.refresh_from_db()
    assert prog.name_en == '=HYPERLINK("http://evil")'
    assert transfer.export_table("programmes", fmt) == before or fmt == "xlsx"
    assert read_table(transfer.export_table("programmes", fmt), fmt) == read_table(before, fmt)
