import pytest
from django_tasks_db.models import DBTaskResult

from kari.ranking.models import BuildJob, Ranking, RankingStatus
from kari.tasks.worker import run_pending
from tests.conftest import sign_in


def _applicant_session(client, applicant):
    session = client.session
    session["kari_applicant"] = applicant.pk
    session.save()


def test_A27_1_naec_builds_in_the_background_and_approves_on_the_web(
    rb, client, django_capture_on_commit_callbacks
):
    p = rb.programme("P-1", 5)
    rb.applicant(20, [p])
    rb.publish_results()
    sign_in(client, rb.emis)
    r = client.post("/ranking/freeze/", {"round": rb.round.pk})
    assert r.status_code == 302
    client.logout()
    sign_in(client, rb.naec)
    page = client.get(f"/ranking/?round={rb.round.pk}")
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/ranking/build/", {"round": rb.round.pk})
    job = BuildJob.objects.get()
    task = DBTaskResult.objects.get()  # written with the job, run by `kari worker`
    assert r["Location"].endswith(f"/ranking/jobs/{job.pk}/") and task.args_kwargs["args"] == [
        job.pk
    ]
    assert client.get(f"/ranking/jobs/{job.pk}/?format=json").json()["status"] == "queued"
    run_pending()
    r = client.get(f"/ranking/jobs/{job.pk}/")
    ranking = Ranking.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/ranking/{ranking.pk}/")
    detail = client.get(f"/ranking/{ranking.pk}/")
    assert "P-1" in detail.content.decode()
    assert client.get(f"/ranking/{ranking.pk}/approve/").status_code == 200
    r = client.post(f"/ranking/{ranking.pk}/approve/", {})
    assert r.status_code == 200  # the confirmation is required
    r = client.post(f"/ranking/{ranking.pk}/approve/", {"confirm": "on"})
    assert r.status_code == 302
    ranking.refresh_from_db()
    assert ranking.status == RankingStatus.APPROVED


def test_A27_ranking_pages_are_refused_to_institutions(rb, client):
    sign_in(client, rb.admin)
    assert client.get("/ranking/").status_code == 403


@pytest.mark.parametrize("language", ["ka", "en"])
def test_A27_cabinet_explains_the_outcome_and_portal_shows_cut_offs(rb, client, language):
    from django.utils import translation

    p, q = rb.programme("P-1", 5), rb.programme("P-2", 5)
    for i in range(5):
        rb.applicant(30 - i, [p])
    me = rb.applicant(10, [p, q])
    rb.rank(approve=True)
    translation.activate(language)
    _applicant_session(client, me.applicant)
    page = client.get("/cabinet/" if language == "ka" else "/en/cabinet/").content.decode()
    if language == "en":
        assert "You won a place on your choice №2" in page
        assert "the lowest score that won a place was 26; yours was 10, lower." in page
    else:
        assert "მოიპოვეთ ადგილი" in page
    public = client.get(f"/results/{rb.round.pk}/cut-offs/").content.decode()
    assert "P-1" in public or p.name in public and "26" in public


def test_A9_3_institution_uploads_competition_results_all_or_nothing(rb, client):
    from kari.ranking.models import CompetitionResult

    art = rb.programme("ART-1", 5, kind="art")
    reg = rb.applicant(10, [art])
    sign_in(client, rb.admin)
    good = (
        "programme_code,programme_name,personal_number,first_name,last_name,score\n"
        f"ART-1,x,{reg.applicant.personal_number},a,b,17.5\n"
    ).encode()
    bad = good + b"ART-1,x,99999999999,a,b,3\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(
        "/ranking/competition/",
        {"round": rb.round.pk, "file": SimpleUploadedFile("c.csv", bad)},
    )
    assert r.status_code == 200 and not CompetitionResult.objects.exists()
    r = client.post(
        "/ranking/competition/",
        {"round": rb.round.pk, "file": SimpleUploadedFile("c.csv", good)},
    )
    assert r.status_code == 302
    res = CompetitionResult.objects.get()
    assert str(res.score) == "17.50" and not res.on_time  # the test was 30 days ago: late


def test_A27_1_A27_5_A27_6_dashboard_cards_show_the_rankings_statutory_deadlines(rb, client):
    from django.utils import translation

    from kari.rounds.deadlines import deadline
    from kari.rounds.services import current_round

    assert current_round() == rb.round
    sign_in(client, rb.naec)
    translation.activate("en")
    page = client.get("/en/staff/").content.decode()
    for key, citation in [("ranking", "A27.1"), ("ranking_sent", "A27.5")]:
        d = deadline(rb.round, key)
        assert f"{d.what} ({citation}): <strong>{d.date:%d.%m.%Y}</strong>" in page
    client.logout()
    sign_in(client, rb.admin)  # an institution: the competition card's A9.3 deadline
    page = client.get("/en/staff/").content.decode()
    d = deadline(rb.round, "competition")
    assert f"({d.citation}): <strong>{d.date:%d.%m.%Y}</strong>" in page
    assert str(deadline(rb.round, "ranking").what) not in page
