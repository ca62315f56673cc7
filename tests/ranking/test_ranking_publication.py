"""A26.2: results published to the applicants with notices, public statistics per test, earlier
rounds' cut-offs (imported, or Kari's own) shown in the re-ranking window."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from kari.audit.models import AuditEntry
from kari.errors import RuleError
from kari.ranking.models import EarlierCutoff
from kari.ranking.services import publication
from kari.registration.carried import previous_round_key
from kari.tabular import ImportRejected


def _sms(tmp_path) -> list[dict]:
    path = tmp_path / "sms.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_A26_2_publishing_results_tells_every_applicant_after_commit(
    rb, mailoutbox, django_capture_on_commit_callbacks, tmp_path
):
    p = rb.programme("P-1", 5)
    done, absent = rb.applicant(20, [p]), rb.applicant(None, [p], status="absent")
    with pytest.raises(RuleError, match="26.1"):
        publication.publish_results(rb.emis, rb.round)
    rb.publish_results()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pub = publication.publish_results(rb.emis, rb.round)
    assert mailoutbox == [] and _sms(tmp_path) == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert pub.notified == 2
    told = sorted(m.to[0] for m in mailoutbox)
    assert told == sorted([done.applicant.email, absent.applicant.email])
    assert "change the order of your programmes" in mailoutbox[0].body
    assert sorted(m["to"] for m in _sms(tmp_path)) == sorted(
        [done.applicant.phone, absent.applicant.phone]
    )
    assert AuditEntry.objects.filter(action="results.publish").count() == 1
    with pytest.raises(RuleError, match="26.2"):
        publication.publish_results(rb.emis, rb.round)


def test_A26_2_only_emis_publishes(rb):
    from django.core.exceptions import PermissionDenied

    rb.programme("P-1", 5)
    rb.publish_results()
    with pytest.raises(PermissionDenied):
        publication.publish_results(rb.naec, rb.round)


def test_A26_2_reranking_window_opens_at_the_later_of_publication_and_the_ministers_date(rb):
    rb.programme("P-1", 5)
    r = rb.round
    rb.publish_results()
    opens = dt.datetime.combine(r.reranking_opens, dt.time(9))
    early = timezone.make_aware(opens - dt.timedelta(3))
    publication.publish_results(rb.emis, r, now=early)
    assert publication.reranking_opens(r) == r.reranking_opens
    rb.publish_results()  # a re-import (A26.1) is published again
    late = timezone.make_aware(opens + dt.timedelta(4))
    publication.publish_results(rb.emis, r, now=late)
    assert publication.reranking_opens(r) == r.reranking_opens + dt.timedelta(4)


def test_A26_2_public_statistics_per_test_count_median_and_chart(rb, client):
    p = rb.programme("P-1", 5)
    for score in (10, 20, 30):
        rb.applicant(score, [p])
    rb.applicant(None, [p], status="absent")
    rb.publish_results()
    url = f"/results/{rb.round.pk}/statistics/"
    before = client.get(url).content.decode()
    assert "<svg" not in before
    publication.publish_results(rb.emis, rb.round)
    (test,) = publication.statistics_of(rb.round)
    assert (test["count"], test["median"]) == (3, Decimal("20"))
    assert sum(b["count"] for b in test["bands"]) == 3
    page = client.get(url).content.decode()
    assert "<svg" in page and "<dd>3</dd>" in page and "<dd>20" in page


CSV_HEAD = "year,season,programme_code,places,admitted,cutoff\n"


def test_A26_2_earlier_cutoffs_import_is_all_or_nothing(rb):
    p = rb.programme("P-1", 5)
    year, season = previous_round_key(rb.round.year, rb.round.season)
    bad = CSV_HEAD + f"{year},{season},P-1,5,5,21.5\n{year},{season},NOPE,5,5,x\n"
    with pytest.raises(ImportRejected) as exc:
        publication.import_earlier_cutoffs(rb.emis, bad.encode())
    fields = {(e.line, e.field) for e in exc.value.errors}
    assert {(3, "programme_code"), (3, "cutoff")} <= fields
    assert not EarlierCutoff.objects.exists()
    good = CSV_HEAD + f"{year},{season},P-1,5,5,21.5\n"
    assert publication.import_earlier_cutoffs(rb.emis, good.encode()) == 1
    got = publication.previous_cutoffs(rb.round, [p])[p.pk]
    assert (got["cutoff"], got["places"]) == (Decimal("21.5"), 5)


def test_A26_2_cabinet_shows_last_rounds_cutoff_in_the_reranking_window(rb, client):
    from kari.registration.services import publish_scores

    p, q = rb.programme("P-1", 5), rb.programme("P-2", 5)
    me = rb.applicant(18, [p, q])
    year, season = previous_round_key(rb.round.year, rb.round.season)
    publication.import_earlier_cutoffs(
        rb.emis, (CSV_HEAD + f"{year},{season},P-1,5,5,21.5\n").encode()
    )
    rb.publish_results()
    publish_scores(rb.naec, rb.round, {me.pk: {"skills_score": Decimal("18")}})
    r = rb.round
    r.reranking_opens, r.reranking_closes = timezone.localdate(), timezone.localdate()
    r.save()
    session = client.session
    session["kari_applicant"] = me.applicant.pk
    session.save()
    page = client.get("/en/cabinet/").content.decode()
    assert "cut-offs of your programmes" in page
    assert "cut-off 21.5" in page and "your score was below it" in page
    assert "no cut-off from last round" in page  # P-2 has none
    r.reranking_closes = timezone.localdate() - dt.timedelta(1)
    r.save()
    assert "cut-off 21.5" not in client.get("/en/cabinet/").content.decode()


def test_A26_2_emis_publishes_and_imports_cutoffs_on_the_web(rb, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kari.ranking.models import ResultsPublication
    from tests.conftest import sign_in

    rb.programme("P-1", 5)
    rb.publish_results()
    sign_in(client, rb.emis)
    home = client.get(f"/en/ranking/?round={rb.round.pk}").content.decode()
    assert "Publish the results" in home
    r = client.post("/en/ranking/publish/", {"round": rb.round.pk, "confirmed": "yes"})
    assert r.status_code == 302 and ResultsPublication.objects.count() == 1
    assert "Public statistics" in client.get(f"/en/ranking/?round={rb.round.pk}").content.decode()
    year, season = previous_round_key(rb.round.year, rb.round.season)
    bad = SimpleUploadedFile("c.csv", (CSV_HEAD + f"{year},winter,P-1,5,5,20\n").encode())
    page = client.post("/en/ranking/earlier-cutoffs/", {"file": bad}, follow=True)
    assert "spring or autumn" in page.content.decode() and not EarlierCutoff.objects.exists()
    good = SimpleUploadedFile("c.csv", (CSV_HEAD + f"{year},{season},P-1,5,5,20\n").encode())
    page = client.post("/en/ranking/earlier-cutoffs/", {"file": good}, follow=True)
    assert "1 cut-offs taken in." in page.content.decode()
    client.logout()
    sign_in(client, rb.naec)  # NAEC may not publish
    assert client.post("/en/ranking/earlier-cutoffs/", {"file": good}).status_code == 403
