"""Import and export of institutions and programmes: all-or-nothing, errors with line and field."""

import io

import pytest
from openpyxl import Workbook

from kari.catalogue import transfer
from kari.catalogue.models import Institution, Programme
from kari.tabular import read_table, write_table

pytestmark = pytest.mark.django_db

HEAD = ",".join(transfer.PROGRAMME_COLUMNS)


def row(code, inst="college-a", field="1013", **over):
    from kari.catalogue.reference import field_defaults

    d = field_defaults()[field]
    values = {
        "code": code,
        "institution": inst,
        "name_ka": "მზარეული",
        "name_en": "Cook",
        "field": field,
        "stage": "primary",
        "art_sport_tourism": "no",
        "work_based": "no",
        "framework_based": "no",
        "skills_test": d["skills_test"],
        "subject_group": d["subject_group"],
        "foreign_language": "any",
        "extra_requirements": "",
        "work_based_specifics": "",
        "authorised_places": "20",
    }
    values.update(over)
    return ",".join(str(values[c]) for c in transfer.PROGRAMME_COLUMNS)


def test_import_with_one_bad_row_writes_nothing_and_names_line_and_field(world):
    emis = world["emis"]
    before = Programme.objects.count()
    csv = "\n".join([HEAD, row("N-1"), row("N-2"), row("N-3", foreign_language="it"), row("N-4")])
    with pytest.raises(transfer.ImportRejected) as exc:
        transfer.import_table(emis, "programmes", csv.encode(), "csv")
    assert [(e.line, e.field) for e in exc.value.errors] == [(4, "foreign_language")]
    assert Programme.objects.count() == before


def test_import_reports_every_bad_row(world):
    csv = "\n".join(
        [
            HEAD,
            row("N-1", institution="nowhere"),
            row("N-2", skills_test="nope"),
            row("N-1", institution="nowhere"),
        ]
    )
    with pytest.raises(transfer.ImportRejected) as exc:
        transfer.import_table(world["emis"], "programmes", csv.encode(), "csv")
    found = {(e.line, e.field) for e in exc.value.errors}
    assert (2, "institution") in found and (3, "skills_test") in found and (4, "code") in found


def test_valid_csv_import_creates_and_updates(world):
    csv = "\n".join([HEAD, row("N-1"), row("A-0", name_ka="ახალი სახელი")])
    result = transfer.import_table(world["emis"], "programmes", csv.encode(), "csv")
    assert (result.created, result.updated) == (1, 1)
    assert Programme.objects.get(code="A-0").name_ka == "ახალი სახელი"


def test_xlsx_import_of_institutions(world):
    wb = Workbook()
    ws = wb.active
    ws.append(transfer.INSTITUTION_COLUMNS)
    ws.append(
        [
            "college-x",
            "კოლეჯი X",
            "College X",
            "სსიპ",
            "batumi",
            "გორგილაძის 1",
            "+995 555 11 11 11",
            "x@example.ge",
            "ნინო: +995 599 12 34 56",
        ]
    )
    ws.append(
        [
            "college-y",
            "კოლეჯი Y",
            "College Y",
            "სსიპ",
            "batumi",
            "გორგილაძის 2",
            "12345",
            "y@example.ge",
            "ნინო: +995 599 12 34 56",
        ]
    )
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(transfer.ImportRejected) as exc:
        transfer.import_table(world["emis"], "institutions", buf.getvalue(), "xlsx")
    assert [(e.line, e.field) for e in exc.value.errors] == [(3, "phone")]
    assert not Institution.objects.filter(organisation__code="college-x").exists()
    ws.delete_rows(3)
    buf = io.BytesIO()
    wb.save(buf)
    result = transfer.import_table(world["emis"], "institutions", buf.getvalue(), "xlsx")
    assert result.created == 1
    inst = Institution.objects.get(organisation__code="college-x")
    assert inst.organisation.phone == "+995555111111" and inst.heads[0]["name"] == "ნინო"


def test_institution_admin_imports_only_own_programmes(world):
    from kari.accounts.roles import Role

    admin = world["users"][Role.INSTITUTION_ADMIN]
    csv = "\n".join([HEAD, row("N-1"), row("N-2", inst="college-b")])
    with pytest.raises(transfer.ImportRejected) as exc:
        transfer.import_table(admin, "programmes", csv.encode(), "csv")
    assert [(e.line, e.field) for e in exc.value.errors] == [(3, "institution")]


def test_missing_column_is_reported(world):
    with pytest.raises(transfer.ImportRejected) as exc:
        transfer.import_table(
            world["emis"], "programmes", b"code,institution\nX,college-a\n", "csv"
        )
    assert {e.field for e in exc.value.errors} >= {"field", "stage"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_round_trips_through_import(world, fmt):
    data = transfer.export_table("programmes", fmt)
    headers, rows = read_table(data, fmt)
    assert headers == transfer.PROGRAMME_COLUMNS
    assert {r["code"] for _, r in rows} == set(Programme.objects.values_list("code", flat=True))
    result = transfer.import_table(world["emis"], "programmes", data, fmt)
    assert result.created == 0 and result.updated == Programme.objects.count()
    inst = transfer.export_table("institutions", fmt)
    assert transfer.import_table(world["emis"], "institutions", inst, fmt).created == 0


def test_write_table_rejects_unknown_format():
    from kari.tabular import TableError

    with pytest.raises(TableError):
        write_table(["a"], [], "ods")
