"""Certification through HTTP: apply, review, decide, download and verify the certificate."""

import io
import json
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from kari.certification.issuing import generate_key
from kari.certification.models import Application, Status
from kari.credentials.cli import main as credential_main
from tests.conftest import sign_in as staff_sign_in

pytestmark = pytest.mark.django_db


def applicant_sign_in(client, email="nino@example.ge"):
    client.post("/en/certification/sign-in/", {"email": email})
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    response = client.post("/en/certification/sign-in/", {"code": code})
    assert response.status_code == 302


def test_C1_to_C4_apply_review_decide_and_verify(client, cert, tmp_path):
    generate_key(cert["org"])
    call = cert["call"]
    applicant_sign_in(client)
    page = client.get(f"/en/certification/calls/{call.pk}/apply/")
    assert page.status_code == 200 and "Describe your experience" in page.content.decode()
    response = client.post(
        f"/en/certification/calls/{call.pk}/apply/",
        {
            "full_name_ka": "ნინო ბერიძე",
            "experience": "5 წელი სამოქალაქო ბიუჯეტში",
            "motivation": "სწავლა",
            "cv": SimpleUploadedFile("cv.pdf", b"%PDF-1.4"),
            "submit": "1",
        },
    )
    assert response.status_code == 302
    app = Application.objects.get()
    assert app.status == Status.SUBMITTED and app.uploads.count() == 1
    # The team: completeness, assignment, a question, the answer, two scores, the decision.
    staff = client.__class__()
    staff_sign_in(staff, cert["officer"])
    staff.post(
        f"/en/certification/staff/applications/{app.pk}/", {"check": "complete", "reasons": ""}
    )
    staff.post("/en/certification/staff/", {"assign": call.pk})
    assert app.assignments.count() == 2
    r1, r2 = [a.reviewer for a in app.assignments.order_by("reviewer__username")]
    rev = client.__class__()
    staff_sign_in(rev, r1)
    rev.post(
        f"/en/certification/staff/applications/{app.pk}/",
        {"ask": "1", "question": "Which municipality?"},
    )
    app.refresh_from_db()
    assert app.status == Status.INFO_REQUESTED
    req = app.info_requests.get()
    client.post("/en/certification/my/", {"request": req.pk, "answer": "Kutaisi"})
    app.refresh_from_db()
    assert app.status == Status.IN_REVIEW
    scores = {f"score_{c.code}": "4" for c in call.criteria.all()}
    rev.post(
        f"/en/certification/staff/applications/{app.pk}/",
        {"score": "1", "step": "submit", **scores},
    )
    rev2 = client.__class__()
    staff_sign_in(rev2, r2)
    rev2.post(
        f"/en/certification/staff/applications/{app.pk}/",
        {"score": "1", "step": "submit", **scores},
    )
    html = staff.get(f"/en/certification/staff/applications/{app.pk}/").content.decode()
    assert "2 of 2 reviews done" in html and "4.00" in html
    staff.post(
        f"/en/certification/staff/applications/{app.pk}/",
        {"decide": "1", "certified": "yes", "reasons": "Strong experience."},
    )
    app.refresh_from_db()
    assert app.status == Status.CERTIFIED
    number = app.certificate.number
    # The holder downloads the PDF; anyone verifies the certificate and its credential.
    mine = client.get("/en/certification/my/").content.decode()
    assert number in mine
    pdf = client.get(f"/certification/certificates/{number}/certificate.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "ნინო ბერიძე" in text and number in text
    anonymous = client.__class__()
    page = anonymous.get(f"/en/certification/certificates/{number}/").content.decode()
    # Not listed in the directory: the name only as far as needed to match the certificate.
    assert "Valid" in page and "ნინო ბ." in page and "ბერიძე" not in page
    assert anonymous.get(f"/certification/certificates/{number}/certificate.pdf").status_code == 403
    credential = anonymous.get(f"/certification/certificates/{number}/credential.json").content
    path = tmp_path / "credential.json"
    path.write_bytes(credential)
    key = cert["org"].signing_key.public_multibase
    assert credential_main(["verify", str(path), "--key", key]) == 0
    path.write_text(path.read_text("utf-8").replace("ნინო", "ნანა"), "utf-8")
    assert credential_main(["verify", str(path), "--key", key]) == 1
    status_list = anonymous.get(f"/certification/status/{cert['org'].code}/")
    assert json.loads(status_list.content)["type"][-1] == "BitstringStatusListCredential"


def test_C5_officer_publishes_a_call_runs_the_conference_and_revokes(client, cert):
    from tests.certification.test_certification_services import certify

    app = certify(cert)
    staff_sign_in(client, cert["officer"])
    response = client.post(
        "/en/certification/staff/calls/new/",
        {
            "programme_ka": "დემოკრატიის მხარდაჭერა",
            "title": "Call 2027",
            "description": "d",
            "eligibility": "e",
            "questions": "Your experience\nYour motivation",
            "opens_on": "2027-01-10",
            "closes_on": "2027-01-05",
            "reviewers_per_application": 2,
            "pass_mark": "3",
        },
    )
    assert response.status_code == 200 and 'value="Call 2027"' in response.content.decode()
    response = client.post(
        "/en/certification/staff/calls/new/",
        {
            "programme_ka": "დემოკრატიის მხარდაჭერა",
            "title": "Call 2027",
            "description": "d",
            "eligibility": "e",
            "questions": "Your experience\nYour motivation",
            "opens_on": "2027-01-10",
            "closes_on": "2027-02-05",
            "reviewers_per_application": 2,
            "pass_mark": "3",
        },
    )
    assert response.status_code == 302
    from kari.certification.models import Call

    new = Call.objects.get(title="Call 2027")
    assert [q["label"] for q in new.questions] == ["Your experience", "Your motivation"]
    assert new.criteria.count() == 4
    client.post(
        "/en/certification/staff/events/",
        {"create": "1", "name": "Conference", "starts_at": "2027-03-01T11:00", "place": "Tbilisi"},
    )
    from kari.certification.models import Event

    event = Event.objects.get()
    client.post("/en/certification/staff/events/", {"invite": event.pk})
    inv = event.invitations.get()
    client.post(
        "/en/certification/staff/events/",
        {"attendance": inv.pk, "attended": "on", "handed_over": "on"},
    )
    inv.refresh_from_db()
    assert inv.attended is True and inv.certificate.handed_over_at is not None
    number = app.certificate.number
    client.post(
        f"/en/certification/staff/certificates/{number}/revoke/", {"reason": "Misrepresented."}
    )
    page = client.get(f"/en/certification/certificates/{number}/").content.decode()
    assert "REVOKED" in page and "Misrepresented." in page


def test_alumni_directory_settings_are_saved_through_the_service_and_audited(client, cert):
    from kari.audit.models import AuditEntry
    from kari.certification.models import CertApplicant

    applicant_sign_in(client)
    response = client.post(
        "/en/certification/my/",
        {"directory": "1", "opt_in": "on", "show_email": "on", "bio": "Civic budgets"},
    )
    assert response.status_code == 302
    who = CertApplicant.objects.get(email="nino@example.ge")
    assert who.directory_opt_in and who.directory_show_email
    assert not who.directory_show_affiliation and who.directory_bio == "Civic budgets"
    entry = AuditEntry.objects.get(action="cert.directory")
    assert entry.object_id == str(who.pk) and entry.after["directory_bio"] == "Civic budgets"
    client.post("/en/certification/my/", {"directory": "1"})
    who.refresh_from_db()
    assert not who.directory_opt_in
    assert AuditEntry.objects.filter(action="cert.directory").count() == 2
