"""A26.3: the final lists' hand-over file from the web is a job of the queue (issue 13)."""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from kari.ranking import services
from kari.ranking.services import lists as lists_service
from kari.tasks import files
from kari.tasks.models import FileJob
from tests.conftest import sign_in


@pytest.fixture
def frozen(rb):
    p = rb.programme("P-1", 5)
    rb.applicant(20, [p])
    rb.applicant(10, [p])
    rb.publish_results()
    return services.freeze_final_lists(rb.emis, rb.round)


def test_A26_3_final_lists_export_is_a_job_checked_again_when_it_runs(rb, frozen):
    with pytest.raises(PermissionDenied):
        lists_service.start_handover_export(rb.admin, frozen, "json")
    with pytest.raises(ValidationError):
        lists_service.start_handover_export(rb.emis, frozen, "csv")
    assert not FileJob.objects.exists()
    job = lists_service.start_handover_export(rb.naec, frozen, "json", back="/x/")
    assert job.status == "queued" and not job.output
    job = files.run(job.pk)
    assert job.status == "done" and job.content_type == "application/json"
    assert bytes(job.output) == lists_service.raw_document(frozen)
    assert json.loads(bytes(job.output))["applicants"][0]["choices"] == ["P-1"]
    assert job.output_name == (
        f"final-lists-{rb.round.year}-{rb.round.season}-{frozen.number}.json"
    )
    job = lists_service.start_handover_export(rb.emis, frozen, "xlsx")
    job = files.run(job.pk)
    sheet = load_workbook(io.BytesIO(bytes(job.output))).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]][:2] == ["registration", "test_score"] and len(rows) == 3
    # text is never a formula: every text cell is a string cell
    assert all(c.data_type != "f" for r in rows for c in r)
    assert all(c.data_type == "s" for r in rows for c in r if isinstance(c.value, str))
    late = lists_service.start_handover_export(rb.emis, frozen, "json")
    rb.emis.role_grants.all().delete()  # the role is taken away before the worker runs the job
    late = files.run(late.pk)
    assert late.status == "failed" and not late.output


def test_A26_3_final_lists_export_over_http(rb, frozen, client):
    from kari.tasks.worker import run_pending

    url = f"/ranking/lists/{frozen.pk}/export/xlsx/"
    sign_in(client, rb.emis)
    home = client.get(f"/ranking/?round={rb.round.pk}").content.decode()
    assert f'action="{url}"' in home  # a form's button, no script needed
    assert client.get(url).status_code == 405  # a GET (a prefetch, a link) starts nothing
    assert client.post(f"/ranking/lists/{frozen.pk}/export/pdf/").status_code == 404
    response = client.post(url)
    job = FileJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert 'data-running="1"' in client.get(response["Location"]).content.decode()
    run_pending()
    job.refresh_from_db()
    assert job.status == "done"
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'href="/jobs/{job.pk}/download/"' in page
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert download.content == bytes(job.output) and download.content[:2] == b"PK"
    client.logout()
    sign_in(client, rb.admin)  # an institution's administrator: not a national body
    assert client.post(url).status_code == 403
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert FileJob.objects.count() == 1
