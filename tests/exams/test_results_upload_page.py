"""Issue 19, point 5: NAEC's results upload offers a template file, shows the row errors
first and by personal number, offers the full error report as a download, and shows the
cross-checks with the invitations after the row errors."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kari.exams.models import Result, ResultImport
from kari.tasks.models import FileJob
from kari.tasks.worker import run_pending
from tests.conftest import sign_in
from tests.error_summary import assert_error_summary
from tests.exams.test_exams_results import _csv, _headers, _rows, sat  # noqa: F401

pytestmark = pytest.mark.django_db


def _table(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_template_has_the_columns_and_a_row_for_every_invited_applicant(sat, client):  # noqa: F811
    sign_in(client, sat["naec"])
    url = f"/exams/results/?round={sat['round'].pk}"
    assert 'id="results-template"' in client.get(url).content.decode()
    # a row for every invited applicant of a national round: a job of the queue (issue 13)
    assert client.get(url + "&template=1")["Content-Type"].startswith("text/html")
    response = client.post(url, {"template": "1"})
    job = FileJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    run_pending()
    response = client.get(f"/jobs/{job.pk}/download/")
    assert response["Content-Type"].startswith("text/csv")
    table = _table(response.content)
    assert table[0] == _headers(sat)
    assert sorted(r[0] for r in table[1:]) == sorted(
        reg.applicant.personal_number for reg in sat["regs"]
    )
    client.logout()
    sign_in(client, sat["emis"])  # not NAEC: refused
    assert client.post(url, {"template": "1"}).status_code == 403
    assert FileJob.objects.count() == 1


def test_row_errors_come_first_by_personal_number_then_the_cross_checks(sat, client):  # noqa: F811
    sign_in(client, sat["naec"])
    url = f"/exams/results/?round={sat['round'].pk}"
    rows = _rows(sat)
    rows[6][2] = "abc"  # a row error
    rows[2][2] = "31"  # another, earlier in the file
    rows[0] = [rows[0][0], "absent", ""] + [
        "" for _ in sat["subjects"]
    ]  # checked in: a cross-check
    rows.append(["01099999999", "absent", ""] + ["" for _ in sat["subjects"]])  # not invited
    upload = SimpleUploadedFile("r.csv", _csv(_headers(sat), rows), content_type="text/csv")
    response = client.post(url, {"file": upload})
    assert response.status_code == 302  # the import runs in the queue (issue 13)
    run_pending()
    job = FileJob.objects.get()
    page = client.get(response["Location"])  # the job's page sends NAEC back to the upload page
    assert page.status_code == 302 and page["Location"].endswith(f"&job={job.pk}")
    html = client.get(page["Location"]).content.decode()
    assert not ResultImport.objects.exists() and not Result.objects.exists()
    assert 'class="error-summary"' in html and 'href="#row-errors"' in html
    assert f"?report=1&amp;job={job.pk}" in html  # the report of this refusal
    assert html.index('id="row-errors"') < html.index('id="cross-checks"')
    section = html[html.index('id="row-errors"') : html.index('id="cross-checks"')]
    numbers = [rows[2][0], rows[6][0]]
    assert all(n in section for n in numbers)
    assert section.index(min(numbers)) < section.index(max(numbers))  # by personal number
    checks = html[html.index('id="cross-checks"') :]
    assert rows[0][0] in checks and "01099999999" in checks
    report = client.get(url + f"&report=1&job={job.pk}")
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    table = _table(report.content)
    assert table[0] == ["kind", "personal_number", "line", "column", "problem"]
    kinds = [r[0] for r in table[1:]]
    assert kinds == sorted(kinds, key=lambda k: k != "row") and set(kinds) == {"row", "cross-check"}
    assert {r[1] for r in table[1:] if r[0] == "row"} == set(numbers)
    # a wrong file sent again from the refusal's page: one summary with the refusal and the field
    wrong = SimpleUploadedFile("r.txt", b"personal_number\n", content_type="text/plain")
    again = client.post(page["Location"], {"file": wrong}).content.decode()
    summary = assert_error_summary(again, "id_file")
    assert 'href="#row-errors"' in summary and 'href="#cross-checks"' in summary
    assert 'id="error-report"' in again[again.index("data-error-summary") :].split("</div>")[0]


def test_the_error_report_is_not_offered_without_a_refusal(sat, client):  # noqa: F811
    sign_in(client, sat["naec"])
    url = f"/exams/results/?round={sat['round'].pk}"
    assert client.get(url + "&report=1").status_code == 404
    assert client.get(url + "&report=1&job=1").status_code == 404  # no such refusal of theirs
