"""A17.3: every registered applicant gets an invitation card with the centre and check-in time."""

import io
import json
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from kari.accounts.roles import Role
from kari.audit.models import AuditEntry
from kari.errors import RuleError
from kari.exams import services
from kari.exams.models import DistributionStatus, Invitation, InvitationJob, JobStatus
from kari.exams.services import invitations
from tests.conftest import sign_in


def _text(pdf: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _as_applicant(client, applicant):
    """The cabinet's session as kari.registration.views.signed_in_applicant reads it."""
    from kari.registration.views import APPLICANT

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[APPLICANT] = applicant.pk
    store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key


def test_A17_3_every_registration_gets_one_invitation_with_a_unique_number_and_token(issued):
    invs = list(Invitation.objects.filter(registration__in=issued["regs"]))
    assert len(invs) == 10
    assert {i.registration_id for i in invs} == {r.pk for r in issued["regs"]}
    assert len({i.number for i in invs}) == 10 and len({i.token for i in invs}) == 10
    assert all(len(i.token) >= 20 for i in invs)
    issued["distribution"].refresh_from_db()
    assert issued["distribution"].status == DistributionStatus.FINAL
    assert AuditEntry.objects.filter(action="invitations.issue").count() == 1


def test_A17_3_cards_are_rendered_under_media_root_with_the_centre_and_check_in_time(issued):
    reg = issued["regs"][3]
    inv = Invitation.objects.select_related("assignment__centre").get(registration=reg)
    path = Path(inv.pdf.path)
    assert path.exists() and str(path).startswith(str(settings.MEDIA_ROOT))
    text = _text(path.read_bytes())
    centre = inv.assignment.centre
    assert reg.applicant.last_name_ka in text
    assert centre.name_ka in text and centre.address in text
    assert "07:30" in text  # the first session's check-in start (A17.3)
    assert inv.number in text


def test_A17_3_job_is_done_with_full_progress(issued):
    job = InvitationJob.objects.get(pk=issued["job"].pk)
    assert job.status == JobStatus.DONE and job.done == job.total == 10 and job.percent == 100
    assert job.finished_at is not None
    assert AuditEntry.objects.filter(action="invitations.rendered").get().after == {"cards": 10}


@pytest.mark.smtp
def test_A17_3_applicants_are_told_by_email_and_sms_after_commit(
    smtp, exam_world, django_capture_on_commit_callbacks
):
    """The smtp fixture comes first, so the services are called here rather than in `issued`."""
    from kari import sms

    d = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], d)  # A17.2
    job = services.start_invitations(exam_world["emis"], d)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitations.run_job(job.pk, workers=1)
    assert smtp.messages == [] and sms.get_backend().messages() == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert len(smtp.messages) == 10
    by_address = {rcpt[0]: msg for rcpt, msg in smtp.messages}
    reg = exam_world["regs"][5]
    number = Invitation.objects.get(registration=reg).number
    body = by_address[reg.applicant.email].get_payload(decode=True).decode()
    assert number in body and "/cabinet/" in body
    assert number in by_address[reg.applicant.email]["Subject"]
    texts = sms.get_backend().messages()
    assert len(texts) == 10
    mine = [m for m in texts if m["to"] == reg.applicant.phone]
    assert len(mine) == 1 and "/cabinet/" in mine[0]["text"]  # issue 19: date, time, centre
    assert sms.segments(mine[0]["text"]) <= 2
    assert Path(settings.KARI_SMS["OPTIONS"]["path"]).exists()  # the fixture's file outbox


def test_A17_3_applicant_downloads_own_card_and_not_anothers(issued, client):
    mine, other = (Invitation.objects.get(registration=issued["regs"][i]) for i in (1, 2))
    url = f"/cabinet/invitation/{mine.pk}.pdf"
    assert client.get(url).status_code == 403  # not signed in
    _as_applicant(client, issued["regs"][1].applicant)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == Path(mine.pdf.path).read_bytes()
    assert issued["regs"][1].applicant.last_name_ka in _text(response.content)
    assert client.get(f"/cabinet/invitation/{other.pk}.pdf").status_code == 403


def test_A17_3_card_is_rendered_again_if_the_file_is_missing(issued, client):
    inv = Invitation.objects.get(registration=issued["regs"][4])
    Path(inv.pdf.path).unlink()
    _as_applicant(client, issued["regs"][4].applicant)
    response = client.get(f"/cabinet/invitation/{inv.pk}.pdf")
    assert response.status_code == 200
    assert issued["regs"][4].applicant.last_name_ka in _text(response.content)


def test_A17_3_public_verify_page_shows_the_centre_and_masks_the_surname(issued, client):
    inv = Invitation.objects.select_related("assignment__centre", "registration__applicant").get(
        registration=issued["regs"][6]
    )
    response = client.get(f"/invitation/{inv.token}/")
    assert response.status_code == 200
    html = response.content.decode()
    person = inv.registration.applicant
    assert inv.number in html
    assert inv.assignment.centre.name_ka in html and inv.assignment.centre.address in html
    assert f"{person.first_name_ka} {person.last_name_ka[0]}." in html
    assert person.last_name_ka not in html and person.personal_number not in html
    assert "07:30" in html
    assert client.get("/invitation/not-a-token/").status_code == 404


def test_A17_3_job_progress_as_json_for_staff(issued, client):
    url = f"/exams/jobs/{issued['job'].pk}/?format=json"
    assert client.get(url).status_code == 302  # to the staff sign-in
    sign_in(client, issued["naec"])
    data = json.loads(client.get(url).content)
    assert data == {"status": "done", "done": 10, "total": 10, "percent": 100, "error": ""}


def test_A17_3_issuing_twice_is_refused(issued):
    with pytest.raises(RuleError, match="მუხ. 17.3"):
        services.start_invitations(issued["emis"], issued["distribution"])
    assert Invitation.objects.count() == 10 and InvitationJob.objects.count() == 1


def test_A17_3_only_emis_issues_invitations(exam_world):
    d = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], d)  # A17.2
    for role in (Role.NAEC_OFFICER, Role.PROCTOR, Role.EXAM_HOST_MANAGER):
        with pytest.raises(PermissionDenied):
            services.start_invitations(exam_world["users"][role], d)
    d.refresh_from_db()
    assert d.status == DistributionStatus.DRAFT and not Invitation.objects.exists()


def test_A17_3_a_re_run_replaces_the_draft_and_only_the_latest_is_issued(exam_world):
    from kari.exams.models import Distribution

    first = services.distribute(exam_world["emis"], exam_world["round"])
    second = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], second)  # A17.2
    assert list(Distribution.objects.values_list("number", flat=True)) == [second.number]
    assert second.number == first.number + 1
    with pytest.raises(Distribution.DoesNotExist):
        services.start_invitations(exam_world["emis"], first)
    assert services.start_invitations(exam_world["emis"], second).total == 10


def test_A17_3_a_stale_draft_is_not_issued(exam_world):
    d = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], d)  # A17.2
    centre = exam_world["centres"][2]
    centre.seats += 1
    centre.save()  # the inputs changed after the run
    with pytest.raises(RuleError, match="მუხ. 17.3"):
        services.start_invitations(exam_world["emis"], d)
    d.refresh_from_db()
    assert d.status == DistributionStatus.DRAFT and not Invitation.objects.exists()


def test_A17_3_a_failed_job_can_be_run_again_and_then_tells_the_applicants(exam_world):
    d = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], d)  # A17.2
    job = services.start_invitations(exam_world["emis"], d)
    with pytest.raises(RuleError, match="მუხ. 17.3"):  # it has not failed: it is queued
        services.resume_invitations(exam_world["emis"], job)
    InvitationJob.objects.filter(pk=job.pk).update(status="failed", error="disk full")
    job = services.resume_invitations(exam_world["emis"], job)
    assert job.status == "queued" and job.error == ""
    invitations.run_job(job.pk, workers=1)
    job.refresh_from_db()
    assert job.status == "done" and job.done == 10
    assert all(Path(i.pdf.path).exists() for i in Invitation.objects.all())
    assert AuditEntry.objects.filter(action="invitations.resume").count() == 1


def test_A17_3_cabinet_shows_the_centre_the_check_in_times_and_the_card(issued, client):
    reg = issued["regs"][3]
    inv = Invitation.objects.select_related("assignment__centre").get(registration=reg)
    _as_applicant(client, reg.applicant)
    page = client.get("/cabinet/").content.decode()
    assert inv.assignment.centre.name_ka in page and inv.assignment.centre.address in page
    assert f"/cabinet/invitation/{inv.pk}.pdf" in page
    first = inv.assignment.sittings.order_by("session__date", "session__starts_at").first()
    assert first.session.check_in_opens.strftime("%H:%M") in page


def test_A17_2_invitations_wait_for_naecs_numbers_or_its_agreement(exam_world, client):
    d = services.distribute(exam_world["emis"], exam_world["round"])
    with pytest.raises(RuleError, match="მუხ. 17.2"):
        services.start_invitations(exam_world["emis"], d)
    with pytest.raises(PermissionDenied):  # NAEC agrees, not EMIS
        services.agree_distribution(exam_world["emis"], d)
    sign_in(client, exam_world["naec"])
    page = client.get(f"/exams/distributions/{d.pk}/").content.decode()
    assert f"/exams/distributions/{d.pk}/agree/" in page
    assert client.post(f"/exams/distributions/{d.pk}/agree/").status_code == 302
    d.refresh_from_db()
    assert d.naec_agreed_by == exam_world["naec"]
    assert services.start_invitations(exam_world["emis"], d).total == 10


def test_A17_2_b_naecs_numbers_let_the_invitations_go(exam_world):
    r = exam_world["round"]
    body = "centre,applicants\n" + "".join(f"{c.code},10\n" for c in exam_world["centres"])
    services.handovers.import_numbers(exam_world["naec"], r, body.encode(), "csv")
    d = services.distribute(exam_world["emis"], r)
    assert services.start_invitations(exam_world["emis"], d).total == 10


def test_A17_3_issuing_the_invitations_is_confirmed_first(exam_world, client):
    """Issue 19: a confirmation step says what will happen and that it cannot be undone."""
    from kari.exams.models import Distribution, DistributionStatus, InvitationJob
    from tests.conftest import sign_in

    d = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], d)
    sign_in(client, exam_world["emis"])
    response = client.post(f"/exams/distributions/{d.pk}/issue/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="confirm-warning"' in html and 'class="warning" id="confirm-button"' in html
    placed = sum(d.stats["centre_load"].values())
    assert f" {placed} " in html
    assert not InvitationJob.objects.exists()
    assert Distribution.objects.get(pk=d.pk).status != DistributionStatus.FINAL
    response = client.post(f"/exams/distributions/{d.pk}/issue/", {"confirmed": "yes"})
    assert response.status_code == 302 and InvitationJob.objects.filter(distribution=d).exists()
