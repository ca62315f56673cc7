"""A12.3(c), A17.2(a), A17.4: EMIS's files to NAEC; A17.2(b): NAEC's numbers per exam centre."""

import csv
import datetime as dt
import hashlib
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from kari.accounts.roles import OrgKind, Role
from kari.audit.models import AuditEntry
from kari.exams import services
from kari.exams.models import Assignment, CentreQuota, Handover, HandoverKind
from kari.exams.services import handovers
from kari.rounds.deadlines import deadline
from kari.tabular import ImportRejected
from tests.conftest import sign_in

CITATIONS = {
    "registration_data": "A12.3(c)",
    "centres_to_naec": "A17.2(a)",
    "distribution_to_naec": "A17.4",
}


def _csv(blob: bytes):
    """(meta from the "# key: value" lines, header, rows)."""
    lines = blob.decode("utf-8").splitlines()
    head = {}
    while lines and lines[0].startswith("# "):
        key, _sep, value = lines.pop(0)[2:].partition(": ")
        head[key] = value
    table = list(csv.reader(lines))
    return head, table[0], table[1:]


def _rows(blob: bytes, fmt: str):
    if fmt == "json":
        doc = json.loads(blob)
        return doc["meta"], doc["rows"]
    head, header, rows = _csv(blob)
    return head, [dict(zip(header, r, strict=True)) for r in rows]


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("kind", ["registration_data", "centres_to_naec"])
def test_A12_3_c_and_A17_2_a_exports_carry_kind_citation_and_deadline(exam_world, kind, fmt):
    r = exam_world["round"]
    blob, h = handovers.export(exam_world["emis"], r, kind, fmt)
    head, _rows_ = _rows(blob, fmt)
    due = deadline(r, kind).date
    assert head["kind"] == kind and head["citation"] == CITATIONS[kind]
    assert head["deadline"] == due.isoformat() and head["round"] == str(r)
    assert h.kind == kind and h.fmt == fmt and h.deadline == due and h.rows == len(_rows_)
    assert Handover.objects.filter(round=r, kind=kind).count() == 1


def test_A17_2_a_csv_starts_with_comment_lines(exam_world):
    blob, _h = handovers.export(exam_world["emis"], exam_world["round"], "centres_to_naec", "csv")
    lines = blob.decode().splitlines()
    assert lines[0] == "# kind: centres_to_naec"
    assert lines[1] == "# citation: A17.2(a)"
    assert all(line.startswith("# ") and ": " in line for line in lines[:5])
    assert lines[5].startswith("section,centre,")


def test_A12_3_c_registration_rows_one_per_registration(exam_world):
    blob, h = handovers.export(exam_world["emis"], exam_world["round"], "registration_data", "json")
    _head, rows = _rows(blob, "json")
    assert h.rows == len(rows) == 10
    by_pn = {row["personal_number"]: row for row in rows}
    reg = exam_world["regs"][0]
    row = by_pn[reg.applicant.personal_number]
    assert (
        row["last_name"] == reg.applicant.last_name_ka
        and row["preferred_municipality"] == "tbilisi"
    )
    assert (
        row["adapted_environment"] == reg.adapted_environment != ""
    )  # A12.3: a different environment
    assert row["skills_test"] == reg.skills_test.code and row["birth_date"] == "2008-01-01"


def test_A17_2_a_centres_and_registrants_by_municipality_and_tests(exam_world):
    blob, _h = handovers.export(exam_world["emis"], exam_world["round"], "centres_to_naec", "csv")
    _head, rows = _rows(blob, "csv")
    centres = [r for r in rows if r["section"] == "centre"]
    assert [c["centre"] for c in centres] == ["KU-1", "TB-1", "TB-2"]
    assert {c["centre"]: c["seats"] for c in centres} == {"KU-1": "10", "TB-1": "4", "TB-2": "3"}
    demand = [r for r in rows if r["section"] == "registrants"]
    assert {(d["municipality"], d["adapted"], d["applicants"]) for d in demand} == {
        ("tbilisi", "0", "9"),
        ("tbilisi", "1", "1"),
    }
    reg = exam_world["regs"][0]
    assert {d["skills_test"] for d in demand} == {reg.skills_test.code}
    assert {d["subject_group"] for d in demand} == {reg.subject_group.code}


def test_A17_4_refused_before_invitations(exam_world):
    services.distribute(exam_world["emis"], exam_world["round"])  # a draft is not enough
    with pytest.raises(ImportRejected) as exc:
        handovers.export(exam_world["emis"], exam_world["round"], "distribution_to_naec", "csv")
    assert exc.value.errors[0].field == "distribution"
    assert not Handover.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_A17_4_distribution_lists_every_sitting(issued, fmt):
    r = issued["round"]
    blob, h = handovers.export(issued["emis"], r, "distribution_to_naec", fmt)
    head, rows = _rows(blob, fmt)
    assert head["kind"] == "distribution_to_naec" and head["citation"] == "A17.4"
    assert head["deadline"] == deadline(r, "distribution_to_naec").date.isoformat()
    assert len(rows) == h.rows == 10 * len(issued["sessions"])
    reg = issued["regs"][2]
    mine = [row for row in rows if row["personal_number"] == reg.applicant.personal_number]
    centre = Assignment.objects.get(distribution=issued["distribution"], registration=reg).centre
    assert {row["centre"] for row in mine} == {centre.code}
    assert sorted(row["test"] for row in mine) == sorted(s.item for s in issued["sessions"])
    assert {row["session_date"] for row in mine} == {issued["today"].isoformat()}
    assert mine[0]["last_name"] == reg.applicant.last_name_ka


def test_A17_2_a_export_on_time_and_late(exam_world):
    r = exam_world["round"]
    due = deadline(r, "centres_to_naec").date
    _b, on_time = handovers.export(exam_world["emis"], r, "centres_to_naec", "csv", today=due)
    _b, late = handovers.export(
        exam_world["emis"], r, "centres_to_naec", "csv", today=due + dt.timedelta(days=1)
    )
    assert on_time.on_time is True and late.on_time is False
    entry = AuditEntry.objects.filter(action="handover.centres_to_naec").order_by("-seq").first()
    assert entry.after["on_time"] is False and entry.reason == "A17.2(a)"


def test_exports_need_a_known_kind_and_format_and_the_right(exam_world):
    with pytest.raises(ImportRejected):
        handovers.export(exam_world["emis"], exam_world["round"], "numbers_to_emis", "csv")
    with pytest.raises(ImportRejected):
        handovers.export(exam_world["emis"], exam_world["round"], "registration_data", "xml")
    with pytest.raises(PermissionDenied):
        handovers.export(exam_world["proctor"], exam_world["round"], "registration_data", "csv")
    assert not Handover.objects.exists()


def test_A12_3_c_export_from_the_web_is_a_job_that_records_the_hand_over_when_it_runs(exam_world):
    from kari.tasks import files

    r = exam_world["round"]
    job = handovers.start_export(exam_world["emis"], r, "registration_data", "json", back="/x/")
    assert job.status == "queued" and not Handover.objects.exists()  # nothing recorded yet
    job = files.run(job.pk)
    h = Handover.objects.get()
    assert job.status == "done" and h.by == exam_world["emis"] and h.fmt == "json"
    assert job.output_name.startswith(f"registration_data-{r.year}-{r.season}-")
    assert job.output_name.endswith(".json") and job.content_type == "application/json"
    head, rows = _rows(bytes(job.output), "json")
    assert head["kind"] == "registration_data" and len(rows) == h.rows == 10
    assert h.sha256 == hashlib.sha256(bytes(job.output)).hexdigest()  # the file handed over
    assert str(h.rows) in job.message
    files.run(job.pk)  # the task run again: the job is finished, no second hand-over
    assert Handover.objects.count() == 1


def test_A17_4_a_job_is_refused_at_once_before_invitations_and_checked_again(exam_world):
    from kari.tasks import files
    from kari.tasks.models import FileJob

    r, emis = exam_world["round"], exam_world["emis"]
    with pytest.raises(ImportRejected):
        handovers.start_export(emis, r, "distribution_to_naec", "csv")
    with pytest.raises(ImportRejected):
        handovers.start_export(emis, r, "registration_data", "xml")
    with pytest.raises(PermissionDenied):
        handovers.start_export(exam_world["proctor"], r, "registration_data", "csv")
    assert not FileJob.objects.exists()
    job = handovers.start_export(emis, r, "registration_data", "csv")
    emis.role_grants.all().delete()  # the role is taken away before the worker runs the job
    job = files.run(job.pk)
    assert job.status == "failed" and not job.output and not Handover.objects.exists()


def test_A12_3_c_export_over_http(exam_world, client):
    from kari.tasks.models import FileJob
    from kari.tasks.worker import run_pending

    sign_in(client, exam_world["emis"])
    r = exam_world["round"]
    assert client.get(f"/exams/handover/registration_data.csv?round={r.pk}").status_code == 405
    assert not FileJob.objects.exists()  # a GET (a prefetch, a link) starts nothing
    response = client.post(f"/exams/handover/registration_data.csv?round={r.pk}")
    job = FileJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert 'data-running="1"' in client.get(response["Location"]).content.decode()
    assert not Handover.objects.exists()  # recorded when the file is built
    run_pending()
    job.refresh_from_db()
    page = client.get(response["Location"]).content.decode()
    assert f'href="/jobs/{job.pk}/download/"' in page and str(job.output_name) in page
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert f'attachment; filename="{job.output_name}"' == download["Content-Disposition"]
    assert download.content.decode().startswith("# kind: registration_data\n")
    assert Handover.objects.get().by == exam_world["emis"]
    refused = client.post(f"/exams/handover/distribution_to_naec.csv?round={r.pk}")
    assert refused.status_code == 302 and refused["Location"] == f"/exams/?round={r.pk}"
    assert FileJob.objects.count() == 1
    # an EMIS operator of another organisation may export, but not see this job
    other_org = exam_world["make_org"]("emis-other", OrgKind.EMIS)
    other = exam_world["make_user"]("emis-other", other_org, [Role.EMIS_OPERATOR])
    client.logout()
    sign_in(client, other)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404
    client.logout()
    sign_in(client, exam_world["proctor"])
    assert client.post(f"/exams/handover/registration_data.csv?round={r.pk}").status_code == 403


# ---------------------------------------------------------------- A17.2(b)

QUOTAS = "centre,applicants\nTB-1,2\nTB-2,3\nKU-1,10\n"


def test_A17_2_b_numbers_from_csv(exam_world):
    r = exam_world["round"]
    body = "# kind: numbers_to_emis\n# citation: A17.2(b)\n" + QUOTAS
    h = handovers.import_numbers(exam_world["naec"], r, body.encode(), "csv")
    assert dict(CentreQuota.objects.filter(round=r).values_list("centre__code", "applicants")) == {
        "TB-1": 2,
        "TB-2": 3,
        "KU-1": 10,
    }
    assert h.kind == HandoverKind.NUMBERS_TO_EMIS and h.rows == 3
    assert h.deadline == deadline(r, "numbers_to_emis").date


def test_A17_2_b_numbers_from_json_replace_earlier_ones(exam_world):
    r = exam_world["round"]
    handovers.import_numbers(exam_world["naec"], r, QUOTAS.encode(), "csv")
    doc = {"meta": {"kind": "numbers_to_emis"}, "rows": [{"centre": "TB-2", "applicants": 1}]}
    handovers.import_numbers(exam_world["naec"], r, json.dumps(doc).encode(), "json")
    assert dict(CentreQuota.objects.filter(round=r).values_list("centre__code", "applicants")) == {
        "TB-2": 1
    }


def test_A17_2_b_late_answer_is_stamped(exam_world):
    r = exam_world["round"]
    due = deadline(r, "numbers_to_emis").date
    h = handovers.import_numbers(
        exam_world["naec"], r, QUOTAS.encode(), "csv", today=due + dt.timedelta(days=1)
    )
    assert h.on_time is False


@pytest.mark.parametrize(
    ("body", "line", "field"),
    [
        ("centre,applicants\nTB-1,2\nXX-9,3\n", 3, "centre"),
        ("# kind: numbers_to_emis\ncentre,applicants\nTB-1,-1\n", 3, "applicants"),
        ("centre,applicants\nTB-1,2\nTB-2,two\n", 3, "applicants"),
        ("centre,applicants\nTB-1,2\nTB-2,3\nTB-1,4\n", 4, "centre"),
        ("centre,seats\nTB-1,2\n", 1, "applicants"),
        ("centre,applicants\n", 1, "file"),
    ],
)
def test_A17_2_b_bad_numbers_are_rejected_and_nothing_is_written(exam_world, body, line, field):
    r = exam_world["round"]
    handovers.import_numbers(exam_world["naec"], r, b"centre,applicants\nKU-1,7\n", "csv")
    with pytest.raises(ImportRejected) as exc:
        handovers.import_numbers(exam_world["naec"], r, body.encode(), "csv")
    assert (line, field) in {(e.line, e.field) for e in exc.value.errors}
    assert dict(CentreQuota.objects.filter(round=r).values_list("centre__code", "applicants")) == {
        "KU-1": 7
    }
    assert Handover.objects.count() == 1


def test_A17_2_b_bad_json_row_names_the_row(exam_world):
    doc = {"rows": [{"centre": "TB-1", "applicants": 2}, {"centre": "TB-2", "applicants": -3}]}
    with pytest.raises(ImportRejected) as exc:
        handovers.import_numbers(
            exam_world["naec"], exam_world["round"], json.dumps(doc).encode(), "json"
        )
    assert [(e.line, e.field) for e in exc.value.errors] == [(2, "applicants")]
    assert not CentreQuota.objects.exists()


def test_A17_2_b_only_naec_imports_numbers(exam_world):
    with pytest.raises(PermissionDenied):
        handovers.import_numbers(exam_world["emis"], exam_world["round"], QUOTAS.encode(), "csv")
    assert not CentreQuota.objects.exists()


def test_A17_2_b_quota_is_respected_by_the_distribution(exam_world):
    """TB-1 has four seats, but NAEC's number for it is 2: only two applicants go there."""
    r = exam_world["round"]
    handovers.import_numbers(exam_world["naec"], r, QUOTAS.encode(), "csv")
    d = services.distribute(exam_world["emis"], r)
    counts = {
        code: Assignment.objects.filter(distribution=d, centre__code=code).count()
        for code in ("TB-1", "TB-2", "KU-1")
    }
    assert counts == {"TB-1": 2, "TB-2": 3, "KU-1": 5}
    assert d.stats["preferred"] == 5 and d.unplaced == {}


def test_A17_2_b_quota_template_lists_the_centres(exam_world, client):
    sign_in(client, exam_world["naec"])
    response = client.get(f"/exams/handover/numbers/?template=1&round={exam_world['round'].pk}")
    head, header, rows = _csv(response.content)
    assert head["kind"] == "numbers_to_emis" and header == ["centre", "applicants"]
    assert [row[0] for row in rows] == ["KU-1", "TB-1", "TB-2"]


@pytest.mark.parametrize(
    "body",
    [
        "centre,applicants\nTB-1,2\nTB-2,3,9\n",
        '# kind: numbers_to_emis\ncentre,applicants\nTB-1,2\nTB-2,3,9,"x"\n',
    ],
)
def test_A17_2_b_a_row_with_too_many_columns_is_rejected_not_a_crash(exam_world, body):
    """csv.DictReader keeps a long row's extra cells as a list under the key None."""
    r = exam_world["round"]
    handovers.import_numbers(exam_world["naec"], r, b"centre,applicants\nKU-1,7\n", "csv")
    bad = body + "XX-9,1\n"
    line = bad.splitlines().index(next(x for x in bad.splitlines() if x.startswith("TB-2"))) + 1
    with pytest.raises(ImportRejected) as exc:
        handovers.import_numbers(exam_world["naec"], r, bad.encode(), "csv")
    errors = {(e.line, e.field): e.message for e in exc.value.errors}
    assert errors[(line, "file")] == gettext("too many columns")
    assert (line + 1, "centre") in errors  # the other rows are still checked
    assert dict(CentreQuota.objects.filter(round=r).values_list("centre__code", "applicants")) == {
        "KU-1": 7
    }
    assert Handover.objects.count() == 1
