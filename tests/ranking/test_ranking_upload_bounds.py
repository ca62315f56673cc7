"""Ranking uploads are bounded in size and kind before anything is read (kari.files): an
oversize file is refused with an error naming the field, and nothing is taken in or stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kari.ranking.models import CompetitionResult, EarlierCutoff, SubsequentScore
from kari.tasks.models import FileJob
from tests.conftest import sign_in

LIMIT = 64


@pytest.fixture
def small_limit(settings):
    settings.KARI_UPLOADS = {**settings.KARI_UPLOADS, "table": LIMIT}


def _oversize(name="big.csv"):
    data = b"programme_code,personal_number,score\n" + b"P-1,01001012345,20\n" * 20
    assert len(data) > LIMIT
    return SimpleUploadedFile(name, data, "text/csv")


def _never(*args, **kwargs):
    raise AssertionError("an oversize upload reached the service")


def _refused_on_the_field(response, name="big.csv"):
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_file_error"' in page  # the error stands on the field, under its label
    assert f"“{name}” is larger than" in page and "File (CSV or XLSX)" in page


def test_an_oversize_competition_file_is_refused_before_it_is_read(
    rb, client, small_limit, monkeypatch
):
    from kari.ranking import services

    monkeypatch.setattr(services, "import_competition_results", _never)
    sign_in(client, rb.admin)
    r = client.post("/en/ranking/competition/", {"round": rb.round.pk, "file": _oversize()})
    _refused_on_the_field(r)
    assert not CompetitionResult.objects.exists()


def test_an_oversize_earlier_cutoffs_file_is_refused_before_it_is_read(
    rb, client, small_limit, monkeypatch
):
    from kari.ranking.services import publication

    monkeypatch.setattr(publication, "import_earlier_cutoffs", _never)
    sign_in(client, rb.emis)
    r = client.post("/en/ranking/earlier-cutoffs/", {"file": _oversize()})
    _refused_on_the_field(r)
    assert not EarlierCutoff.objects.exists()


def test_a_file_of_another_kind_is_refused_on_the_ranking_pages(rb, client):
    sign_in(client, rb.emis)
    exe = SimpleUploadedFile("cutoffs.exe", b"MZ\x90\x00", "application/octet-stream")
    page = client.post("/en/ranking/earlier-cutoffs/", {"file": exe}).content.decode()
    assert "“cutoffs.exe”: upload a file of one of these kinds: .csv, .xlsx." in page
    assert not EarlierCutoff.objects.exists()


def test_an_oversize_subsequent_scores_file_is_refused_and_no_job_is_stored(
    stage, client, small_limit, monkeypatch
):
    from kari.ranking.services import subsequent

    rb, _progs, _regs = stage
    monkeypatch.setattr(subsequent, "start_scores_import", _never)
    sign_in(client, rb.admin)
    r = client.post(
        "/en/ranking/subsequent/upload/", {"round": rb.round.pk, "file": _oversize()}, follow=True
    )
    page = r.content.decode()
    assert "File: “big.csv” is larger than" in page
    assert not FileJob.objects.exists() and not SubsequentScore.objects.exists()
