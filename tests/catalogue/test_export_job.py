"""Issue 13: the catalogue export runs as a task (a FileJob of the queue), not in the web
request; its page offers the file, which only the person who started it may download."""

import pytest
from django.core.exceptions import PermissionDenied

from kari.accounts.roles import OrgKind, Role
from kari.catalogue import transfer
from kari.catalogue.models import Programme
from kari.tabular import read_table
from kari.tasks import files
from kari.tasks.models import FileJob
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db


def test_the_export_is_a_job_whose_output_is_the_catalogue(world):
    from django_tasks_db.models import DBTaskResult

    naec = world["users"][Role.NAEC_OFFICER]
    Programme.objects.filter(pk=world["prog_b"].pk).update(name_ka="=HYPERLINK(1)")
    job = transfer.start_export(naec, "programmes", "csv", back="/staff/")
    task = DBTaskResult.objects.get(task_path__endswith="file_task")  # written with the job
    assert task.args_kwargs["args"] == [job.pk] and job.status == "queued" and not job.output
    job = files.run(job.pk)
    assert job.status == "done" and job.output_name == "kari-programmes.csv"
    assert job.content_type.startswith("text/csv")
    assert bytes(job.output) == transfer.export_table("programmes", "csv")
    _headers, rows = read_table(bytes(job.output), "csv")
    assert len(rows) == Programme.objects.count()
    assert b"'=HYPERLINK(1)" in bytes(job.output)  # never a formula in a spreadsheet


def test_only_national_exporters_start_one_and_the_role_is_checked_again_when_it_runs(world):
    with pytest.raises(PermissionDenied):
        transfer.start_export(world["users"][Role.INSTITUTION_ADMIN], "programmes", "csv")
    with pytest.raises(ValueError):
        transfer.start_export(world["users"][Role.NAEC_OFFICER], "people", "csv")
    with pytest.raises(ValueError):
        transfer.start_export(world["users"][Role.NAEC_OFFICER], "programmes", "exe")
    assert not FileJob.objects.exists()
    naec = world["users"][Role.NAEC_OFFICER]
    job = transfer.start_export(naec, "institutions", "xlsx")
    naec.role_grants.all().delete()  # the role is taken away before the worker runs the job
    job = files.run(job.pk)
    assert job.status == "failed" and not job.output


def test_export_over_http_starts_a_job_and_its_starter_downloads_the_file(world, client):
    from kari.tasks.worker import run_pending

    naec = world["users"][Role.NAEC_OFFICER]
    sign_in(client, naec)
    staff = client.get("/staff/").content.decode()
    assert 'method="post" action="/catalogue/export/programmes.xlsx"' in staff  # a form
    assert client.get("/catalogue/export/programmes.xlsx").status_code == 405
    assert not FileJob.objects.exists()  # a GET (a prefetch, a link) starts nothing
    response = client.post("/catalogue/export/programmes.xlsx")
    job = FileJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    waiting = client.get(response["Location"]).content.decode()
    assert 'data-running="1"' in waiting
    run_pending()
    page = client.get(response["Location"]).content.decode()
    assert f'href="/jobs/{job.pk}/download/"' in page
    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == transfer.CONTENT_TYPES["xlsx"]
    assert download["Content-Disposition"] == 'attachment; filename="kari-programmes.xlsx"'
    _headers, rows = read_table(download.content, "xlsx")
    assert len(rows) == Programme.objects.count()
    assert client.post("/catalogue/export/people.csv").status_code == 404

    # a national officer of another organisation (who may export too) does not see this job
    other = make_user("naec-other", world["orgs"][OrgKind.NAEC][1], [Role.NAEC_OFFICER])
    client.logout()
    sign_in(client, other)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404
    # and an institution may not export at all
    client.logout()
    sign_in(client, world["users"][Role.INSTITUTION_ADMIN])
    assert client.post("/catalogue/export/programmes.csv").status_code == 403
    assert FileJob.objects.count() == 1
