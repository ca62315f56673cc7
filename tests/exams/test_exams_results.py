"""A26.1: NAEC's results upload, checked against who was invited and who checked in."""

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models.query import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from kari.audit.models import AuditEntry
from kari.exams import services
from kari.exams.models import Result, ResultImport, ResultStatus, Sitting, SittingStatus
from kari.exams.services import results
from kari.rounds.deadlines import deadline
from kari.rounds.models import Round
from kari.tabular import ImportRejected
from tests.conftest import sign_in


def _at(session, t):
    return timezone.make_aware(dt.datetime.combine(session.date, t))


@pytest.fixture
def sat(issued):
    """The test days as the proctors recorded them: regs 0-7 checked in at every session, reg 7
    removed in the first session after two breaches (A21), regs 8 and 9 never came (A20.4)."""
    proctor = issued["proctor"]
    regs = issued["regs"]
    for session in issued["sessions"]:
        for s in Sitting.objects.filter(session=session, assignment__registration__in=regs[:8]):
            services.admit(proctor, s, now=_at(session, session.check_in_opens))
        for centre in issued["centres"]:
            services.mark_no_shows(proctor, session, centre, now=_at(session, session.starts_at))
    removed = Sitting.objects.get(session=issued["sessions"][0], assignment__registration=regs[7])
    for category in ("device", "talking"):
        services.report_breach(proctor, removed, category=category)
    assert Sitting.objects.get(pk=removed.pk).status == SittingStatus.REMOVED
    subjects = sorted(s.code for s in regs[0].subject_group.subjects.all())
    status = {**dict.fromkeys(range(7), "completed"), 7: "removed", 8: "absent", 9: "absent"}
    return {**issued, "subjects": subjects, "status": status}


def _rows(sat):
    rows = []
    for i, reg in enumerate(sat["regs"]):
        done = sat["status"][i] == "completed"
        rows.append(
            [reg.applicant.personal_number, sat["status"][i], str(20 + i) if done else ""]
            + [f"{15 + i}.5" if done else "" for _ in sat["subjects"]]
        )
    return rows


def _headers(sat):
    return ["personal_number", "status", "skills_score", *sat["subjects"]]


def _csv(headers, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue().encode()


def _rejected(sat, data, fmt="csv"):
    with pytest.raises(ImportRejected) as exc:
        results.import_results(sat["naec"], sat["round"], data, fmt, filename="bad.csv")
    assert not ResultImport.objects.exists() and not Result.objects.exists()
    return {(e.line, e.field) for e in exc.value.errors}, exc.value.errors


def test_A26_1_a_valid_file_is_taken_in(sat):
    imp = results.import_results(
        sat["naec"], sat["round"], _csv(_headers(sat), _rows(sat)), "csv", filename="results.csv"
    )
    assert imp.rows == 10 and imp.current and imp.number == 1 and imp.filename == "results.csv"
    got = {r.registration_id: r for r in imp.results.all()}
    assert len(got) == 10
    r0 = got[sat["regs"][0].pk]
    assert r0.status == ResultStatus.COMPLETED and r0.skills_score == 20
    assert r0.subject_scores == dict.fromkeys(sat["subjects"], "15.5")
    assert got[sat["regs"][7].pk].status == ResultStatus.REMOVED
    assert got[sat["regs"][9].pk].status == ResultStatus.ABSENT
    assert (
        got[sat["regs"][9].pk].skills_score is None and got[sat["regs"][9].pk].subject_scores == {}
    )
    entry = AuditEntry.objects.get(action="results.import")
    assert entry.after["rows"] == 10
    assert entry.after["by_status"] == {
        "completed": 7,
        "absent": 2,
        "removed": 1,
        "not_finished": 0,
    }
    assert entry.before is None
    assert entry.after["deadline"] == deadline(sat["round"], "results").date.isoformat()


def _replace(rows, i, column, value, headers):
    rows = [list(r) for r in rows]
    rows[i][headers.index(column)] = value
    return rows


@pytest.mark.parametrize(
    ("case", "line", "field"),
    [
        ("unknown personal number", 2, "personal_number"),
        ("score 31", 3, "skills_score"),
        ("score not a number", 3, "skills_score"),
        ("missing score for completed", 4, "subject"),
        ("absent though checked in", 5, "status"),
        ("completed though removed", 9, "status"),
        ("removed though not removed", 2, "status"),
        ("unknown status", 6, "status"),
        ("duplicate row", 12, "personal_number"),
    ],
)
def test_A26_1_one_bad_row_rejects_the_whole_file_naming_line_and_field(sat, case, line, field):
    headers, rows = _headers(sat), _rows(sat)
    subject = sat["subjects"][0]
    field = subject if field == "subject" else field
    if case == "unknown personal number":
        rows = _replace(rows, 0, "personal_number", "99999999999", headers)
    elif case == "score 31":
        rows = _replace(rows, 1, "skills_score", "31", headers)
    elif case == "score not a number":
        rows = _replace(rows, 1, "skills_score", "twenty", headers)
    elif case == "missing score for completed":
        rows = _replace(rows, 2, subject, "", headers)
    elif case == "absent though checked in":
        rows = _replace(rows, 3, "status", "absent", headers)
    elif case == "completed though removed":
        rows = _replace(rows, 7, "status", "completed", headers)
        rows = _replace(rows, 7, "skills_score", "10", headers)
        for code in sat["subjects"]:
            rows = _replace(rows, 7, code, "10", headers)
    elif case == "removed though not removed":
        rows = _replace(rows, 0, "status", "removed", headers)
    elif case == "unknown status":
        rows = _replace(rows, 4, "status", "sick", headers)
    elif case == "duplicate row":
        rows.append(list(rows[0]))
    found, _errors = _rejected(sat, _csv(headers, rows))
    assert (line, field) in found, found


def test_A26_1_a_missing_invited_applicant_is_reported(sat):
    rows = _rows(sat)
    del rows[8]
    found, errors = _rejected(sat, _csv(_headers(sat), rows))
    assert found == {(0, "personal_number")}
    assert str(sat["regs"][8]) in errors[0].message


def test_A26_1_a_missing_column_is_reported(sat):
    headers = [h for h in _headers(sat) if h != "skills_score"]
    rows = [r[:2] + r[3:] for r in _rows(sat)]
    found, _errors = _rejected(sat, _csv(headers, rows))
    assert (1, "skills_score") in found


def test_A26_1_xlsx_works_too(sat):
    wb = Workbook()
    ws = wb.active
    ws.append(_headers(sat))
    for row in _rows(sat):
        ws.append([row[0], row[1]] + [float(v) if v else None for v in row[2:]])
    buf = io.BytesIO()
    wb.save(buf)
    imp = results.import_results(
        sat["naec"], sat["round"], buf.getvalue(), "xlsx", filename="results.xlsx"
    )
    assert imp.rows == 10
    r1 = imp.results.get(registration=sat["regs"][1])
    assert r1.skills_score == 21 and r1.subject_scores[sat["subjects"][0]] == "16.5"


def test_A26_1_xlsx_with_a_bad_row_is_rejected(sat):
    wb = Workbook()
    ws = wb.active
    ws.append(_headers(sat))
    for row in _rows(sat):
        ws.append(row)
    ws.cell(row=3, column=3, value=45)
    buf = io.BytesIO()
    wb.save(buf)
    found, _errors = _rejected(sat, buf.getvalue(), "xlsx")
    assert found == {(3, "skills_score")}


def test_A26_1_a_re_import_replaces_the_previous_one(sat):
    data = _csv(_headers(sat), _rows(sat))
    first = results.import_results(sat["naec"], sat["round"], data, "csv")
    rows = _replace(_rows(sat), 0, "skills_score", "29", _headers(sat))
    second = results.import_results(sat["naec"], sat["round"], _csv(_headers(sat), rows), "csv")
    first.refresh_from_db()
    assert not first.current and second.current and second.number == 2
    assert ResultImport.objects.filter(round=sat["round"], current=True).get() == second
    assert second.results.get(registration=sat["regs"][0]).skills_score == 29
    entry = AuditEntry.objects.filter(action="results.import").order_by("-seq").first()
    assert entry.before == {"replaces": 1} and entry.after["changed"] == 1


def test_A26_1_a_rejected_re_import_keeps_the_current_results(sat):
    first = results.import_results(
        sat["naec"], sat["round"], _csv(_headers(sat), _rows(sat)), "csv"
    )
    rows = _replace(_rows(sat), 0, "skills_score", "31", _headers(sat))
    with pytest.raises(ImportRejected):
        results.import_results(sat["naec"], sat["round"], _csv(_headers(sat), rows), "csv")
    first.refresh_from_db()
    assert first.current and ResultImport.objects.count() == 1


def test_A26_1_late_upload_is_stamped(sat):
    due = deadline(sat["round"], "results").date
    data = _csv(_headers(sat), _rows(sat))
    on_time = results.import_results(sat["naec"], sat["round"], data, "csv", today=due)
    late = results.import_results(
        sat["naec"], sat["round"], data, "csv", today=due + dt.timedelta(days=1)
    )
    assert on_time.on_time is True and late.on_time is False
    entry = AuditEntry.objects.filter(action="results.import").order_by("-seq").first()
    assert entry.after["on_time"] is False


def test_A26_1_only_naec_uploads_results(sat):
    data = _csv(_headers(sat), _rows(sat))
    for user in (sat["emis"], sat["proctor"]):
        with pytest.raises(PermissionDenied):
            results.import_results(user, sat["round"], data, "csv")
    assert not ResultImport.objects.exists()


def test_A26_1_no_results_before_invitations(exam_world):
    data = _csv(["personal_number", "status", "skills_score"], [["01001000000", "absent", ""]])
    with pytest.raises(ImportRejected) as exc:
        results.import_results(exam_world["naec"], exam_world["round"], data, "csv")
    assert exc.value.errors[0].field == "file"


def test_A26_1_http_upload_is_a_task_that_shows_errors_and_keeps_nothing(sat, client):
    from django_tasks_db.models import DBTaskResult

    from kari.tasks import files
    from kari.tasks.models import FileJob
    from kari.tasks.worker import run_pending

    sign_in(client, sat["naec"])
    url = f"/exams/results/?round={sat['round'].pk}"
    rows = _replace(_rows(sat), 1, "skills_score", "31", _headers(sat))
    bad = SimpleUploadedFile("results.csv", _csv(_headers(sat), rows), content_type="text/csv")
    response = client.post(url, {"file": bad})
    job = FileJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{job.pk}/")
    task = DBTaskResult.objects.get(task_path__endswith="file_task")  # written with the job
    assert task.args_kwargs["args"] == [job.pk]
    waiting = client.get(response["Location"])
    assert waiting.status_code == 200 and 'data-running="1"' in waiting.content.decode()
    run_pending()
    html = client.get(response["Location"], follow=True).content.decode()
    assert "<td>3</td><td>skills_score</td>" in html  # the refused row, for NAEC to correct
    assert not ResultImport.objects.exists() and not Result.objects.exists()
    good = SimpleUploadedFile(
        "results.csv", _csv(_headers(sat), _rows(sat)), content_type="text/csv"
    )
    response = client.post(url, {"file": good})
    run_pending()
    done = client.get(response["Location"])
    assert done.status_code == 302 and done["Location"] == url  # back, with the message
    assert ResultImport.objects.get().rows == 10
    assert "results.csv" in client.get(url).content.decode()
    files.run(FileJob.objects.latest("pk").pk)  # the task run again: the job is finished
    assert ResultImport.objects.count() == 1
    client.logout()
    sign_in(client, sat["emis"])
    assert client.get(response["Location"]).status_code == 404  # only its starter sees it


def test_A26_1_http_upload_page_is_naec_only(sat, client):
    sign_in(client, sat["emis"])
    assert client.get("/exams/results/").status_code == 403


def test_A26_1_a_personal_number_read_as_a_number_gets_its_leading_zero_back(sat):
    """Facts: 11 digits, may start with 0. A spreadsheet number cell drops the zero (10 digits)."""
    assert sat["regs"][0].applicant.personal_number.startswith("0")
    wb = Workbook()
    ws = wb.active
    ws.append(_headers(sat))
    for row in _rows(sat):
        ws.append([int(row[0]), row[1]] + [float(v) if v else None for v in row[2:]])
    assert isinstance(ws.cell(row=2, column=1).value, int)
    buf = io.BytesIO()
    wb.save(buf)
    imp = results.import_results(sat["naec"], sat["round"], buf.getvalue(), "xlsx")
    assert imp.rows == 10
    assert imp.results.get(registration=sat["regs"][0]).skills_score == 20


@pytest.mark.parametrize("pn", ["1001000000x", "１001000000"])
def test_A26_1_a_only_plain_digits_are_padded(sat, pn):
    rows = _replace(_rows(sat), 0, "personal_number", pn, _headers(sat))
    found, _errors = _rejected(sat, _csv(_headers(sat), rows))
    assert (2, "personal_number") in found


def test_A26_1_b_not_finished_needs_a_check_in(sat):
    headers = _headers(sat)
    rows = _replace(_rows(sat), 8, "status", "not_finished", headers)  # reg 8 never came
    found, _errors = _rejected(sat, _csv(headers, rows))
    assert found == {(10, "status")}
    rows = _replace(_rows(sat), 0, "status", "not_finished", headers)  # reg 0 checked in
    rows = _replace(rows, 0, sat["subjects"][0], "", headers)
    imp = results.import_results(sat["naec"], sat["round"], _csv(headers, rows), "csv")
    r0 = imp.results.get(registration=sat["regs"][0])
    assert r0.status == ResultStatus.NOT_FINISHED and sat["subjects"][0] not in r0.subject_scores


def test_A26_1_c_an_absent_row_carries_no_scores(sat):
    headers, subject = _headers(sat), sat["subjects"][0]
    rows = _replace(_rows(sat), 8, "skills_score", "12", headers)
    rows = _replace(rows, 9, subject, "0", headers)
    found, _errors = _rejected(sat, _csv(headers, rows))
    assert found == {(10, "skills_score"), (11, subject)}


def test_A26_1_c_a_removed_row_may_keep_partial_scores(sat):
    headers = _headers(sat)
    rows = _replace(_rows(sat), 7, "skills_score", "11", headers)
    imp = results.import_results(sat["naec"], sat["round"], _csv(headers, rows), "csv")
    assert imp.results.get(registration=sat["regs"][7]).skills_score == 11


def test_A26_1_d_imports_lock_the_round_before_numbering(sat, monkeypatch):
    """Two uploads at once must not both take number n+1: the round row is locked first."""
    locked = []
    real = QuerySet.select_for_update

    def spy(qs, *args, **kwargs):
        locked.append(qs.model)
        return real(qs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    data = _csv(_headers(sat), _rows(sat))
    results.import_results(sat["naec"], sat["round"], data, "csv")
    with CaptureQueriesContext(connection) as queries:
        second = results.import_results(sat["naec"], sat["round"], data, "csv")
    assert Round in locked and second.number == 2
    if connection.features.has_select_for_update:
        sql = [q["sql"] for q in queries.captured_queries]
        lock = next(i for i, q in enumerate(sql) if "FOR UPDATE" in q)
        insert = next(
            i for i, q in enumerate(sql) if q.startswith("INSERT") and "resultimport" in q
        )
        assert Round._meta.db_table in sql[lock] and lock < insert
