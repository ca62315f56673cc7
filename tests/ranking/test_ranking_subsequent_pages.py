"""A27.7-A27.8 on the web: the institution head's subsequent-stage ranking document (scores on
a page or uploaded, the draft, submission, approval by act with a confirmation, the signed
lists), EMIS's check (consent, or return with reasons) and who may do what."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from kari.ranking.models import RankingStatus, SignedDocument, SubsequentScore
from kari.ranking.services import subsequent
from kari.tasks.models import FileJob
from kari.tasks.worker import run_pending


def _login(client, user):
    from django_otp import DEVICE_ID_SESSION_KEY

    from kari.accounts.services import confirmed_device

    client.force_login(user)
    s = client.session
    s[DEVICE_ID_SESSION_KEY] = confirmed_device(user).persistent_id
    s.save()
    return client


def _field(s, r):
    return f"score-{s.pk}-{r.pk}"


def _agreed(rb, progs, regs, values=("30", "25", "25", "12", "5")):
    rows = [
        {"registration": r.pk, "programme": progs[0].pk, "score": v}
        for r, v in zip(regs, values, strict=True)
    ] + [{"registration": r.pk, "programme": progs[1].pk, "score": "10"} for r in regs]
    subsequent.enter_scores(rb.admin, rb.inst, rb.round, rows)
    ranking = subsequent.build_subsequent(rb.admin, rb.inst, rb.round)
    ranking = subsequent.submit_subsequent(rb.admin, ranking)
    return subsequent.review_subsequent(rb.emis, ranking, agree=True)


def test_A27_7_the_head_enters_scores_makes_the_draft_and_submits_it(stage, client):
    rb, (s1, s2), regs = stage
    _login(client, rb.admin)
    url = f"/ranking/subsequent/?round={rb.round.pk}"
    page = client.get(url).content.decode()
    due = subsequent.submission_due(rb.inst, rb.round)
    assert due.strftime("%d.%m.%Y") in page and regs[0].applicant.personal_number in page
    # a wrong score: the error summary links to its field, nothing is saved
    data = {_field(s1, r): v for r, v in zip(regs, ["30", "25", "25", "x", "5"], strict=True)}
    r = client.post(url, data)
    body = r.content.decode()
    assert r.status_code == 200 and "error-summary" in body
    assert f'href="#{_field(s1, regs[3])}"' in body and not SubsequentScore.objects.exists()
    data[_field(s1, regs[3])] = "12"
    data.update({_field(s2, reg): "10" for reg in regs})
    assert client.post(url, data).status_code == 302
    assert SubsequentScore.objects.count() == 10
    # a programme's scores all cleared on the page are removed (nobody sat there)
    cleared = {**data, **{_field(s2, reg): "" for reg in regs}}
    assert client.post(url, cleared).status_code == 302
    assert SubsequentScore.objects.count() == 5
    assert client.post(url, data).status_code == 302
    assert client.post("/ranking/subsequent/build/", {"round": rb.round.pk}).status_code == 302
    ranking = subsequent.current(rb.inst, rb.round)
    assert ranking.status == RankingStatus.DRAFT and ranking.admitted_count == 5
    page = client.get(url).content.decode()
    assert page.count("status tie") == 2 and f"/ranking/subsequent/{ranking.pk}/submit/" in page
    # a score changed after the draft: it is made again before it can be submitted
    client.post(url, {**data, _field(s1, regs[4]): "6"})
    client.post(f"/ranking/subsequent/{ranking.pk}/submit/")
    ranking.refresh_from_db()
    assert ranking.status == RankingStatus.DRAFT
    client.post("/ranking/subsequent/build/", {"round": rb.round.pk})
    ranking = subsequent.current(rb.inst, rb.round)
    r = client.post(f"/ranking/subsequent/{ranking.pk}/submit/")
    assert r.status_code == 302
    ranking.refresh_from_db()
    assert ranking.status == RankingStatus.SUBMITTED
    # the scores are frozen once submitted: the page shows no input
    assert f'name="{_field(s1, regs[0])}"' not in client.get(url).content.decode()


def test_A27_7_an_upload_is_all_or_nothing_with_each_row_named(
    stage, client, django_capture_on_commit_callbacks
):
    rb, (s1, s2), regs = stage
    _login(client, rb.admin)
    template = client.get(f"/ranking/subsequent/?round={rb.round.pk}&template=1")
    lines = template.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("programme_code,personal_number") and len(lines) == 11
    bad = [lines[0]] + [ln + "20" for ln in lines[1:3]] + ["S-1,99999999999,X,Y,20"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(rows):
        f = SimpleUploadedFile("scores.csv", ("\n".join(rows) + "\n").encode(), "text/csv")
        with django_capture_on_commit_callbacks(execute=True):
            r = client.post("/ranking/subsequent/upload/", {"round": rb.round.pk, "file": f})
        run_pending()
        return r

    r = upload(bad)
    job = FileJob.objects.get()
    assert r["Location"].endswith(f"/jobs/{job.pk}/")
    job.refresh_from_db()
    assert job.status == "refused" and [(e["line"], e["field"]) for e in job.errors] == [
        (4, "personal_number")
    ]
    assert not SubsequentScore.objects.exists()
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "personal_number" in page
    good = [lines[0]] + [ln + "15" for ln in lines[1:]]
    good[1] = lines[1]  # a blank score: not ranked there
    upload(good)
    assert SubsequentScore.objects.count() == 9


def test_A27_7_emis_checks_and_a_return_needs_reasons(stage, client):
    rb, progs, regs = stage
    ranking = _agreed(rb, progs, regs)
    ranking.status = RankingStatus.SUBMITTED  # as submitted, before EMIS's decision
    ranking.save(update_fields=["status"])
    _login(client, rb.emis)
    staff = client.get("/staff/").content.decode()
    assert "/ranking/subsequent/review/" in staff
    assert subsequent.review_due(ranking).strftime("%d.%m.%Y") in staff
    assert (
        "/ranking/subsequent/review/"
        in client.get(f"/ranking/?round={rb.round.pk}").content.decode()
    )
    listing = client.get(f"/ranking/subsequent/review/?round={rb.round.pk}").content.decode()
    assert f"/ranking/subsequent/review/{ranking.pk}/" in listing and "flagged" not in listing
    # a document submitted more than 10 days after the stage's test is stamped late
    from kari.catalogue.models import SubsequentSchedule

    SubsequentSchedule.objects.filter(institution=rb.inst).update(
        test_ends=timezone.localdate() - dt.timedelta(days=40)
    )
    listing = client.get(f"/ranking/subsequent/review/?round={rb.round.pk}").content.decode()
    assert "status flagged" in listing
    url = f"/ranking/subsequent/review/{ranking.pk}/"
    page = client.get(url).content.decode()
    assert 'id="checks-passed"' in page and regs[0].applicant.personal_number in page
    r = client.post(url, {"decision": "return", "reasons": ""})
    assert r.status_code == 200 and 'href="#id_reasons"' in r.content.decode()
    r = client.post(url, {"decision": "return", "reasons": "Sign the act first."})
    assert r.status_code == 302
    ranking.refresh_from_db()
    assert ranking.status == RankingStatus.RETURNED
    assert ranking.review_reasons == "Sign the act first."
    # EMIS only checks: it neither submits nor approves the institution's document
    assert client.post(f"/ranking/subsequent/{ranking.pk}/submit/").status_code == 403
    assert client.get(f"/ranking/subsequent/{ranking.pk}/approve/").status_code == 403
    client.logout()
    _login(client, rb.admin)
    page = client.get(f"/ranking/subsequent/?round={rb.round.pk}").content.decode()
    assert "Sign the act first." in page
    assert client.get(url).status_code == 403  # the head does not check


def test_A27_8_the_head_approves_by_act_after_a_confirmation_and_the_lists_are_signed(
    stage, client, tmp_path
):
    from django.core.management import CommandError, call_command

    from kari.accounts.signing import signing_body, verify_document

    rb, (s1, s2), regs = stage
    ranking = _agreed(rb, [s1, s2], regs)
    _login(client, rb.world["admin_b"])  # another institution's head
    assert client.get(f"/ranking/subsequent/{ranking.pk}/approve/").status_code == 403
    client.logout()
    _login(client, rb.admin)
    staff = client.get("/staff/").content.decode()
    assert "/ranking/subsequent/" in staff
    url = f"/ranking/subsequent/{ranking.pk}/approve/"
    assert client.get(url).status_code == 200
    r = client.post(url, {"act_number": "", "act_date": ""})
    assert r.status_code == 200 and 'href="#id_act_number"' in r.content.decode()
    act = {"act_number": "01-17/5", "act_date": timezone.localdate().isoformat()}
    r = client.post(url, act)
    assert r.status_code == 200 and 'id="confirm-warning"' in r.content.decode()
    ranking.refresh_from_db()
    assert ranking.status == RankingStatus.AGREED  # nothing happens before the confirmation
    r = client.post(url, {**act, "confirmed": "yes"})
    assert r.status_code == 302
    ranking.refresh_from_db()
    assert (ranking.status, ranking.act_number) == (RankingStatus.APPROVED, "01-17/5")
    doc = ranking.documents.get(programme=s1)
    assert ranking.documents.count() == 2 and doc.kind == SignedDocument.Kind.PROGRAMME
    pdf = bytes(doc.content)
    result = verify_document(pdf)
    assert result.ok and signing_body(result) == rb.inst.organisation
    assert "27.8" in result.reason
    changed = bytearray(pdf)
    changed[pdf.index(b"/Type /Page") + 2] ^= 0x01
    assert not verify_document(bytes(changed)).ok
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf)
    bad.write_bytes(bytes(changed))
    call_command("ranking", "verify", str(good))
    with pytest.raises(CommandError, match="NOT VALID"):
        call_command("ranking", "verify", str(bad))
    # the institution and EMIS download it; another institution does not
    page = client.get(f"/ranking/subsequent/?round={rb.round.pk}").content.decode()
    assert f"/ranking/documents/{doc.pk}/" in page
    r = client.get(f"/ranking/documents/{doc.pk}/")
    assert r.status_code == 200 and bytes(r.content) == pdf
    client.logout()
    _login(client, rb.emis)
    assert client.get(f"/ranking/documents/{doc.pk}/").status_code == 200
    client.logout()
    _login(client, rb.world["admin_b"])
    assert client.get(f"/ranking/documents/{doc.pk}/").status_code == 403
    client.logout()
    # the QR code's check page: public, no personal data
    token = subsequent.check_token(doc)
    check = client.get(f"/ranking/subsequent/check/{token}/").content.decode()
    assert doc.sha256 in check and "01-17/5" in check
    assert regs[0].applicant.personal_number not in check
    assert client.get(f"/ranking/subsequent/check/{token[:-2]}xx/").status_code == 404
    assert re.search(rb"/Subtype\s*/Image", pdf)  # the QR code is drawn
