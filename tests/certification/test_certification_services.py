"""Individual certification rules C1-C5 at the service level."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kari.audit.models import AuditEntry
from kari.certification import services
from kari.certification.models import Assignment, Status
from tests.certification.conftest import applicant, submitted

pytestmark = pytest.mark.django_db


def in_review(cert, who=None):
    app = submitted(cert, who)
    return services.check_completeness(cert["officer"], app, complete=True)


def score_all(cert, app, values):
    for a, v in zip(
        Assignment.objects.filter(application=app).order_by("reviewer__username"),
        values,
        strict=True,
    ):
        services.submit_scores(a.reviewer, a, {c.code: (v, "ok") for c in app.call.criteria.all()})


def test_C3_default_criteria_are_the_programmes_four():
    from kari.certification.models import DEFAULT_CRITERIA

    assert [c[0] for c in DEFAULT_CRITERIA] == [
        "experience",
        "motivation",
        "civic_budget",
        "involvement",
    ]


def test_C1_submission_within_the_window_gives_a_receipt(cert):
    app = submitted(cert)
    assert app.status == Status.SUBMITTED and app.receipt.startswith("C-")
    assert app.receipt in mail.outbox[-1].body


def test_C1_drafts_and_submission_are_refused_after_the_deadline(cert):
    who = applicant()
    app = services.save_draft(
        who, cert["call"], answers={"experience": "x", "motivation": "y"}, profile={}
    )
    services.add_upload(who, app, "cv", SimpleUploadedFile("cv.pdf", b"%PDF"))
    call = cert["call"]
    call.closes_on = timezone.localdate() - dt.timedelta(days=1)
    call.save()
    with pytest.raises(ValidationError) as exc:
        services.submit(who, app)
    assert "ეტაპი 1" in str(exc.value)
    with pytest.raises(ValidationError):
        services.save_draft(who, call, answers={}, profile={})


def test_C1_submission_needs_the_answers_and_a_cv(cert):
    who = applicant()
    app = services.save_draft(who, cert["call"], answers={"experience": "x"}, profile={})
    with pytest.raises(ValidationError) as exc:
        services.submit(who, app)
    assert {"motivation", "cv"} <= set(exc.value.message_dict)


def test_C2_applicants_write_to_the_team_and_the_team_answers(cert):
    who = applicant()
    services.send_message(cert["call"], who, "ფაილი არ იტვირთება")
    services.send_message(cert["call"], who, "სცადეთ PDF", staff=cert["officer"])
    assert [m.from_staff_id is None for m in who.messages.all()] == [True, False]
    with pytest.raises(PermissionDenied):
        services.send_message(cert["call"], who, "x", staff=cert["reviewers"][0])


def test_C3_incomplete_application_goes_back_with_reasons_and_can_be_resubmitted(cert):
    app = submitted(cert)
    with pytest.raises(ValidationError):
        services.check_completeness(cert["officer"], app, complete=False, reasons="")
    app = services.check_completeness(cert["officer"], app, complete=False, reasons="CV is empty")
    assert app.status == Status.RETURNED and "CV is empty" in mail.outbox[-1].body
    app = services.submit(app.applicant, app)
    assert app.status == Status.SUBMITTED


def test_C3_reviewers_are_balanced_and_conflicts_respected(cert):
    apps = [in_review(cert, applicant(f"a{i}@example.ge", f"აპლიკანტი {i}")) for i in range(3)]
    r0, r1, r2 = cert["reviewers"]
    services.declare_conflict(r0, apps[0], "my colleague")
    made = services.assign_reviewers(cert["officer"], cert["call"], cert["reviewers"])
    assert made == 6
    assert not Assignment.objects.filter(application=apps[0], reviewer=r0).exists()
    loads = sorted(Assignment.objects.filter(reviewer=r).count() for r in (r0, r1, r2))
    assert loads == [2, 2, 2]
    assert services.assign_reviewers(cert["officer"], cert["call"], cert["reviewers"]) == 0


def test_C3_scores_on_every_criterion_within_the_rubric(cert):
    app = in_review(cert)
    services.assign_reviewers(cert["officer"], cert["call"], cert["reviewers"])
    a = Assignment.objects.filter(application=app).first()
    with pytest.raises(ValidationError) as exc:
        services.submit_scores(a.reviewer, a, {"experience": (9, "")})
    assert {"experience", "motivation", "civic_budget", "involvement"} == set(
        exc.value.message_dict
    )
    with pytest.raises(PermissionDenied):
        services.submit_scores(cert["officer"], a, {})


def test_C3_information_request_pauses_the_review_and_the_answer_resumes_it(cert):
    app = in_review(cert)
    services.assign_reviewers(cert["officer"], cert["call"], cert["reviewers"])
    a = Assignment.objects.filter(application=app).first()
    req = services.request_information(a.reviewer, app, "Send the budget documents, please.")
    app.refresh_from_db()
    assert app.status == Status.INFO_REQUESTED and "budget documents" in mail.outbox[-1].body
    with pytest.raises(ValidationError) as exc:
        services.submit_scores(a.reviewer, a, {c.code: (4, "") for c in app.call.criteria.all()})
    assert "ეტაპი 3" in str(exc.value)
    services.answer_information(app.applicant, req, "Attached.")
    app.refresh_from_db()
    assert app.status == Status.IN_REVIEW


def test_C3_scores_are_aggregated_and_disagreement_flagged(cert):
    app = in_review(cert)
    services.assign_reviewers(cert["officer"], cert["call"], cert["reviewers"])
    score_all(cert, app, [5, 2])
    s = services.summary(app)
    assert s["reviews"] == 2 and s["average"] == 3.5 and s["disagreement"] is True
    assert s["means"]["experience"] == 3.5


def test_C4_decision_needs_all_reviews_and_reasons(cert):
    app = in_review(cert)
    services.assign_reviewers(cert["officer"], cert["call"], cert["reviewers"])
    with pytest.raises(ValidationError) as exc:
        services.decide(cert["officer"], app, certified=False, reasons="no")
    assert "ეტაპი 3" in str(exc.value)
    score_all(cert, app, [2, 2])
    with pytest.raises(ValidationError):
        services.decide(cert["officer"], app, certified=False, reasons=" ")
    with pytest.raises(PermissionDenied):
        services.decide(cert["reviewers"][0], app, certified=False, reasons="weak")
    app = services.decide(cert["officer"], app, certified=False, reasons="Experience too short.")
    assert app.status == Status.NOT_CERTIFIED
    assert AuditEntry.objects.filter(action="cert.decide", reason="Experience too short.").exists()


def test_staff_of_another_organisation_cannot_manage_the_call(cert):
    from kari.accounts.roles import OrgKind, Role
    from tests.conftest import make_org, make_user

    other = make_user(
        "other-officer", make_org("other-fund", OrgKind.CERTIFIER), [Role.CERTIFICATION_OFFICER]
    )
    app = submitted(cert)
    with pytest.raises(PermissionDenied):
        services.check_completeness(other, app, complete=True)


def certify(cert, app=None):
    from kari.certification.issuing import generate_key
    from kari.certification.models import SigningKey

    if not SigningKey.objects.filter(organisation=cert["org"]).exists():
        generate_key(cert["org"])
    app = app or in_review(cert)
    services.assign_reviewers(cert["officer"], cert["call"], cert["reviewers"])
    score_all(cert, app, [4, 5])
    return services.decide(
        cert["officer"], app, certified=True, reasons="Strong civic-budget experience."
    )


def test_C4_certified_applicant_gets_a_numbered_signed_credential(cert):
    from kari.credentials import vc

    app = certify(cert)
    c = app.certificate
    assert c.number.startswith("SOLIDA-") and app.status == Status.CERTIFIED
    result = vc.verify(c.credential)
    assert result.ok, result.reason
    assert c.credential["credentialSubject"]["name"] == "ნინო ბერიძე"
    tampered = dict(
        c.credential, credentialSubject=dict(c.credential["credentialSubject"], name="ნინო ბერიძი")
    )
    assert not vc.verify(tampered).ok


def test_C4_no_certificate_without_the_organisations_key(cert):
    app = in_review(cert)
    services.assign_reviewers(cert["officer"], cert["call"], cert["reviewers"])
    score_all(cert, app, [4, 4])
    with pytest.raises(ValidationError) as exc:
        services.decide(cert["officer"], app, certified=True, reasons="ok")
    assert "keygen" in str(exc.value)


def test_C4_revocation_shows_in_the_public_status_list(cert):
    from kari.certification.issuing import status_list
    from kari.credentials import status, vc

    c = certify(cert).certificate
    index = int(c.status_index)
    assert not status.is_revoked(
        status_list(cert["org"])["credentialSubject"]["encodedList"], index
    )
    with pytest.raises(ValidationError):
        services.revoke(cert["officer"], c, "")
    services.revoke(cert["officer"], c, "Misrepresented experience.")
    listed = status_list(cert["org"])
    assert vc.verify(listed).ok
    assert status.is_revoked(listed["credentialSubject"]["encodedList"], index)


def test_C5_certified_holders_are_invited_attend_and_receive_their_certificate(cert):
    from kari.certification.models import Event

    c = certify(cert).certificate
    event = Event.objects.create(
        organisation=cert["org"],
        name="კონფერენცია 2026",
        starts_at=timezone.now() + dt.timedelta(days=30),
        place="თბილისი",
    )
    assert services.invite_certified(cert["officer"], event) == 1
    assert services.invite_certified(cert["officer"], event) == 0
    invitation = event.invitations.get()
    services.record_attendance(cert["officer"], invitation, attended=True, handed_over=True)
    c.refresh_from_db()
    assert c.handed_over_at is not None and "კონფერენცია 2026" in mail.outbox[-1].subject


def test_alumni_directory_lists_only_opted_in_certified_people(cert):
    app = certify(cert)
    assert list(services.directory()) == []
    who = app.applicant
    who.directory_opt_in = True
    who.save()
    assert list(services.directory()) == [who]
    services.revoke(cert["officer"], app.certificate, "revoked")
    assert list(services.directory()) == []


def test_C2_email_sign_in_uses_the_shared_one_time_codes(cert):
    """Certification signs applicants in with kari.codes, as registration does: the code is
    kept only as a keyed hash of the address, a wrong one is refused and audited, and a code
    works once."""
    import re

    from kari.codes.models import OneTimeCode
    from kari.codes.services import keyed_hash

    code_id = services.request_sign_in(" Nino@Example.ge ", ip="10.0.0.9")
    code = OneTimeCode.objects.get(purpose="cert_sign_in")
    assert code.pk == code_id
    assert code.subject == keyed_hash("nino@example.ge")
    plain = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert plain not in code.code_hash
    with pytest.raises(ValidationError):
        wrong = "000000" if plain != "000000" else "111111"
        services.sign_in("nino@example.ge", wrong, code_id=code_id)
    assert AuditEntry.objects.filter(action="otp.failed").count() == 1
    with pytest.raises(ValidationError):  # the code is this address's only
        services.sign_in("other@example.ge", plain, code_id=code_id)
    assert services.sign_in("nino@example.ge", plain, code_id=code_id).email == "nino@example.ge"
    with pytest.raises(ValidationError):
        services.sign_in("nino@example.ge", plain, code_id=code_id)


def test_alumni_directory_settings_are_a_service_with_an_audit_entry(cert):
    app = certify(cert)
    who = app.applicant
    services.set_directory_entry(
        who, opt_in=True, show_email=True, show_affiliation=False, bio="x" * 1200
    )
    who.refresh_from_db()
    assert (who.directory_opt_in, who.directory_show_email, who.directory_show_affiliation) == (
        True,
        True,
        False,
    )
    assert who.directory_bio == "x" * 1000
    assert list(services.directory()) == [who]
    entry = AuditEntry.objects.get(action="cert.directory")
    assert entry.before["directory_opt_in"] is False and entry.after["directory_opt_in"] is True
    assert entry.actor_label == who.audit_label
    # Saving the same settings again changes nothing and records nothing.
    services.set_directory_entry(
        who, opt_in=True, show_email=True, show_affiliation=False, bio="x" * 1000
    )
    assert AuditEntry.objects.filter(action="cert.directory").count() == 1
    services.set_directory_entry(who, opt_in=False, show_email=False, show_affiliation=False)
    assert list(services.directory()) == []
    assert AuditEntry.objects.filter(action="cert.directory").count() == 2
