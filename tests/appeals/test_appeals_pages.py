"""The appeals pages over HTTP: the proctor files from check-in, the commission meets, votes and
decides, the applicant sees the outcome in the cabinet."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kari.appeals.models import Complaint, Decision
from tests.appeals.conftest import meet
from tests.conftest import sign_in
from tests.error_summary import assert_error_summary

pytestmark = pytest.mark.django_db


def test_A25_1_proctor_files_from_the_check_in_page(client, appeals_world):
    w = appeals_world
    s = w["sittings"][0]
    sign_in(client, w["proctor"])
    page = client.get(f"/exams/proctor/{w['centre'].pk}/{w['session'].pk}/?sitting={s.pk}")
    assert f"/appeals/file/{s.pk}/".encode() in page.content
    bad = client.post(f"/appeals/file/{s.pk}/", {"ground": "rights", "statement": "x"})
    assert bad.status_code == 400 and b"error-summary" in bad.content
    assert b"x</textarea>" in bad.content
    from django.utils import timezone

    if timezone.localdate() != s.session.date:
        pytest.skip("not the test day")
    ok = client.post(
        f"/appeals/file/{s.pk}/",
        {
            "ground": "rights",
            "statement": "ხელს მიშლიდნენ",
            "id_shown": "on",
            "invitation_shown": "on",
            "files": [SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n0000", "image/png")],
        },
    )
    assert ok.status_code == 302
    c = Complaint.objects.get()
    assert c.attachments.count() == 1
    pdf = client.get(f"/appeals/complaints/{c.pk}/receipt.pdf")
    assert pdf["Content-Type"] == "application/pdf"


def test_a_complaint_without_its_ground_links_to_the_first_ground_and_keeps_the_statement(
    client, appeals_world
):
    """The one error summary (kari.formerrors): a group of radios is reached by its first."""
    w = appeals_world
    s = w["sittings"][0]
    sign_in(client, w["proctor"])
    bad = client.post(f"/en/appeals/file/{s.pk}/", {"statement": "Typed: they talked aloud"})
    assert bad.status_code == 400
    assert_error_summary(bad.content.decode(), "id_ground_0", "Typed: they talked aloud</textarea>")


def test_A24_commission_pages_meet_vote_decide(client, received):
    w = received
    c = w["complaint"]
    m = meet(w, [0, 1, 2])
    sign_in(client, w["chair"].user)
    home = client.get("/appeals/")
    assert c.number.encode() in home.content
    page = client.get(f"/appeals/meetings/{m.pk}/")
    assert page.status_code == 200 and c.number.encode() in page.content
    prefix = f"c{c.pk}"
    data = {f"{prefix}-outcome": "rejected", f"{prefix}-reasons": "არ დადასტურდა."}
    for x in w["members"][:3]:
        data[f"{prefix}-vote_{x.pk}"] = "yes"
    r = client.post(f"/appeals/meetings/{m.pk}/vote/{c.pk}/", data)
    assert r.status_code == 302, r.content[:2000]
    d = Decision.objects.get()
    assert client.get(f"/appeals/decisions/{d.pk}.pdf")["Content-Type"] == "application/pdf"
    assert client.get(f"/appeals/complaints/{c.pk}/").status_code == 200
    assert client.get("/appeals/results/").status_code == 200
    check = client.get(f"/appeals/check/{d.token}/")
    assert check.status_code == 200 and b"status confirmed" in check.content


def test_A25_5_applicant_sees_the_outcome_in_the_cabinet(client, received):
    w = received
    c = w["complaint"]
    m = meet(w, [0, 1, 2])
    from kari.appeals import services

    services.put_to_vote(
        w["chair"].user,
        m,
        c,
        outcome="rejected",
        reasons="x",
        votes={x.pk: True for x in w["members"][:3]},
    )
    from kari.registration.views import APPLICANT

    session = client.session
    session[APPLICANT] = c.registration.applicant_id
    session.save()
    cab = client.get("/cabinet/")
    assert f"/cabinet/complaints/{c.pk}/".encode() in cab.content
    mine = client.get(f"/cabinet/complaints/{c.pk}/")
    assert mine.status_code == 200 and b'id="outcome"' in mine.content
    assert client.get(f"/cabinet/decisions/{c.decision.pk}.pdf").status_code == 200
