"""Enrolment pages: the institution, the applicant's cabinet, EMIS and the ministry."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kari.accounts.roles import OrgKind, Role
from kari.enrolment.models import Enrolment, Status
from tests.conftest import make_org, make_user, sign_in

from .conftest import applicant, place

pytestmark = pytest.mark.django_db


def as_applicant(client, reg):
    session = client.session
    session["kari_applicant"] = reg.applicant_id
    session.save()


def test_A29_2_institution_enrols_through_its_pages(client, ew):
    reg = applicant(0, round_=ew["round"])
    (e,) = place(ew, [(reg, "COOK-A")])
    # The applicant uploads a document from the cabinet.
    as_applicant(client, reg)
    page = client.get("/cabinet/enrolment/")
    assert page.status_code == 200 and "პირადობის მოწმობის ასლი" in page.content.decode()
    doc = e.programme.enrolment_terms.get().documents.first()
    upload = SimpleUploadedFile("id.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    r = client.post(f"/cabinet/enrolment/{e.pk}/upload/{doc.pk}/", {"file": upload})
    assert r.status_code == 302
    assert e.submissions.count() == 1
    # The institution marks both received, signs the contract, issues the act.
    sign_in(client, ew["admin_a"])
    assert "COOK-A" in client.get("/enrolment/").content.decode()
    for d in e.programme.enrolment_terms.get().documents.all():
        client.post(f"/enrolment/{e.pk}/document/{d.pk}/", {"received": "1"})
    e.refresh_from_db()
    assert e.status == Status.DOCUMENTS
    r = client.post(f"/enrolment/{e.pk}/", {"action": "contract", "c-funding": "voucher"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert client.get("/enrolment/act/").status_code == 200
    assert client.post("/enrolment/act/").status_code == 302
    e.refresh_from_db()
    assert e.status == Status.ENROLLED
    pdf = client.get(f"/enrolment/act/{e.act_id}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert client.get(f"/enrolment/{e.pk}/contract.pdf").status_code == 200
    # Another institution sees none of it.
    client.logout()
    sign_in(client, ew["admin_b"])
    assert client.get(f"/enrolment/{e.pk}/").status_code == 403
    assert client.get(f"/enrolment/act/{e.act_id}.pdf").status_code == 403


def test_refused_contract_keeps_the_input_and_names_the_field(client, ew):
    reg = applicant(12, round_=ew["round"])  # a minor
    (e,) = place(ew, [(reg, "COOK-A")])
    sign_in(client, ew["admin_a"])
    for d in e.programme.enrolment_terms.get().documents.all():
        client.post(f"/enrolment/{e.pk}/document/{d.pk}/", {"received": "1"})
    r = client.post(
        f"/enrolment/{e.pk}/",
        {"action": "contract", "c-funding": "self", "c-representative_relation": "დედა"},
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "c-representative_personal_number_error" in html and 'value="დედა"' in html


def test_emis_sees_entries_and_the_ministry_the_figures(client, ew):
    reg = applicant(0, round_=ew["round"])
    place(ew, [(reg, "COOK-A")])
    emis_user = make_user("emis-op", ew["emis"].organisation, [Role.EMIS_OPERATOR])
    sign_in(client, emis_user)
    assert client.get("/enrolment/entries/").status_code == 200
    assert client.get("/enrolment/figures/").status_code == 200
    client.logout()
    sign_in(client, ew["ministry"])
    page = client.get("/enrolment/figures/")
    assert page.status_code == 200
    r = client.post("/enrolment/figures/", {"stage": "primary", "minimum": "55"})
    assert r.status_code == 302
    client.logout()
    naec = make_user("naec-1", make_org("naec", OrgKind.NAEC), [Role.NAEC_OFFICER])
    sign_in(client, naec)
    assert client.get("/enrolment/figures/").status_code == 403
    assert Enrolment.objects.count() == 1


def test_A29_1_portal_programme_page_shows_documents_and_deadline(client, ew):
    r = client.get("/programmes/COOK-A/")
    if r.status_code == 404:  # the portal's path
        from django.urls import reverse

        r = client.get(reverse("portal:programme", args=["COOK-A"]))
    assert "ფოტოსურათი" in r.content.decode()


def test_demo_enrolment_phase_has_every_state(tmp_path, settings, reference):
    from collections import Counter

    from kari.demo.generator import build

    settings.KARI_CIVIL_REGISTRY = {
        "BACKEND": "kari.identity.registry.LocalFileRegistry",
        "PATH": str(tmp_path / "registry.json"),
    }
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.FileOutboxBackend",
        "OPTIONS": {"path": str(tmp_path / "sms.jsonl")},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    build(seed=1, people=300, phase="enrolment")
    states = Counter(Enrolment.objects.values_list("status", "student_status"))
    assert states[("admitted", "")] and states[("documents", "")]
    for student in ("active", "georgian_module", "transitional", "ended"):
        assert states[("enrolled", student)], student
    assert states[("declined", "")] and states[("lapsed", "")]
    assert Enrolment.objects.filter(offer="voucher").exists()
    assert Enrolment.objects.filter(signatory="representative").exists()


def test_A30_1_the_student_chooses_in_the_cabinet(client, ew):
    from kari.enrolment import services
    from kari.enrolment.models import StudentStatus

    from .conftest import enrol

    services.set_voucher_threshold(ew["ministry"], ew["round"], "primary", "60")
    reg = applicant(0, round_=ew["round"])
    (e,) = place(ew, [(reg, "COOK-A")], score="75")
    e = enrol(ew, e)
    services.offer_voucher_options(ew["admin_a"], ew["a"], ew["round"])
    as_applicant(client, reg)
    page = client.get("/cabinet/enrolment/").content.decode()
    assert "ხუთზე ნაკლები" in page and 'value="COOK-B"' in page
    r = client.post(
        f"/cabinet/enrolment/{e.pk}/choose/", {"o-option": "transfer", "o-target": "COOK-B"}
    )
    assert r.status_code == 302
    e.refresh_from_db()
    assert e.student_status == StudentStatus.TRANSFERRED and e.option_target.code == "COOK-B"
    # Another applicant cannot choose for her.
    other = applicant(1, round_=ew["round"])
    as_applicant(client, other)
    assert (
        client.post(f"/cabinet/enrolment/{e.pk}/choose/", {"o-option": "suspend"}).status_code
        == 404
    )
