"""Registration through HTTP: online, at a centre with a printout, the cabinet, windows, codes."""

import io

import pytest
from django.test import TestCase
from pypdf import PdfReader

from kari.registration.models import Registration
from tests.conftest import sign_in
from tests.registration.conftest import primary, set_window
from tests.registration.test_registration_services import sent_code

pytestmark = pytest.mark.django_db


def form(data, programmes, action="submit"):
    post = {k: v for k, v in data.items() if k != "programmes"}
    post["programmes"] = programmes
    post["action"] = action
    return post


def post(client, url, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data)


def test_A15_1_online_registration_edit_the_list_then_confirm(client, reg):
    data = primary()
    # Build the ranked list with the buttons: add two, move the second up, remove none.
    page = post(client, "/en/register/", form(data, [], "add") | {"add": "CAT-1"})
    assert page.status_code == 200 and 'value="CAT-1"' in page.content.decode()
    page = post(client, "/en/register/", form(data, ["CAT-1"], "add") | {"add": "CAT-2"})
    page = post(client, "/en/register/", form(data, ["CAT-1", "CAT-2"], "up:CAT-2"))
    html = page.content.decode()
    assert html.index('name="programmes" value="CAT-2"') < html.index(
        'name="programmes" value="CAT-1"'
    )
    assert 'value="01024012345"' in html  # typed data is kept across edits
    # Only programmes that fit the list are offered (A14, A15.3(d)): ICT-1 has another test.
    assert '<option value="CAT-FW"' in html and '<option value="ICT-1"' not in html
    response = post(client, "/en/register/", form(data, ["CAT-2", "CAT-1"]))
    assert response.status_code == 302 and response["Location"].endswith("/register/confirm/")
    response = client.post("/en/register/confirm/", {"code": sent_code()})
    assert response.status_code == 302 and response["Location"].endswith("/cabinet/")
    cabinet = client.get("/en/cabinet/").content.decode()
    assert "ნინო ბერიძე" in cabinet and "CAT-2" in cabinet and "version 1" in cabinet


def test_rejected_form_keeps_input_and_names_the_field(client, reg):
    response = post(client, "/en/register/", form(primary(test_language="ru"), ["CAT-1"]))
    html = response.content.decode()
    assert response.status_code == 200 and "A4.2" in html and 'value="+995 555 12 34 56"' in html
    assert not Registration.objects.exists()


def test_A15_7_a_locked_registration_refuses_a_change(client, reg):
    post(client, "/register/", form(primary(), ["CAT-1"]))
    client.post("/register/confirm/", {"code": sent_code()})
    set_window(
        reg["round"],
        registration_opens=-30,
        registration_closes=-1,
        reranking_opens=5,
        reranking_closes=8,
    )
    page = client.get("/en/register/").content.decode()
    assert "A15.7" in page
    response = post(client, "/en/register/", form(primary(), ["CAT-2"]))
    assert "A15.7" in response.content.decode()
    assert [c.programme.code for c in Registration.objects.get().choices.all()] == ["CAT-1"]


def test_A15_4_clerk_registers_and_downloads_a_printout_with_both_names(client, reg):
    clerk = reg["clerk"]
    sign_in(client, clerk)
    response = post(client, "/en/centre/register/", form(primary(), ["CAT-1", "CAT-2"]))
    assert response.status_code == 302, response.content.decode()[:3000]
    response = client.post("/en/centre/register/confirm/", {"code": sent_code()})
    reg_obj = Registration.objects.get()
    assert response["Location"].endswith(f"/centre/registrations/{reg_obj.pk}/")
    pdf = client.get(f"/en/centre/registrations/{reg_obj.pk}/printout/")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "ნინო ბერიძე" in text and "ლევან ჯაფარიძე" in text and "CAT-1" in text


def test_A15_6_a_clerks_change_needs_a_fresh_code_and_gives_a_new_printout(client, reg):
    sign_in(client, reg["clerk"])
    post(client, "/centre/register/", form(primary(), ["CAT-1"]))
    client.post("/centre/register/confirm/", {"code": sent_code()})
    first = Registration.objects.get()
    post(client, "/centre/register/", form(primary(), ["CAT-2", "CAT-1"]))
    wrong = client.post(
        "/en/centre/register/confirm/", {"code": "999999" if sent_code() != "999999" else "888888"}
    )
    assert wrong.status_code == 200 and Registration.objects.get().version == 1
    client.post("/centre/register/confirm/", {"code": sent_code()})
    assert Registration.objects.get(pk=first.pk).version == 2


def test_printout_qr_verification_page(client, reg):
    from kari.registration import printouts

    post(client, "/register/", form(primary(), ["CAT-1"]))
    client.post("/register/confirm/", {"code": sent_code()})
    r = Registration.objects.get()
    path = printouts.verify_path(r)
    html = client.get("/en" + path).content.decode()
    assert "Genuine" in html and "ნინო ბ." in html and "01024012345" not in html
    post(client, "/register/", form(primary(), ["CAT-2"]))
    client.post("/register/confirm/", {"code": sent_code()})
    assert "out of date" in client.get("/en" + path).content.decode()
    assert client.get("/verify/forged-token/").status_code == 404


def test_A15_1_sign_in_answers_the_same_for_unknown_numbers(client, reg):
    post(client, "/register/", form(primary(), ["CAT-1"]))
    client.post("/register/confirm/", {"code": sent_code()})
    client.post("/cabinet/sign-out/")
    known = post(client, "/en/cabinet/sign-in/", {"personal_number": "01024012345"})
    unknown = post(client, "/en/cabinet/sign-in/", {"personal_number": "61001012345"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert client.get("/en/cabinet/").status_code == 302


def test_A15_4_brute_force_over_http_is_refused(client, reg):
    post(client, "/register/", form(primary(), ["CAT-1"]))
    good = sent_code()
    bad = "000000" if good != "000000" else "111111"
    for _ in range(5):
        client.post("/en/register/confirm/", {"code": bad})
    response = client.post("/en/register/confirm/", {"code": good})
    assert response.status_code == 200 and "Too many wrong attempts" in response.content.decode()
    assert not Registration.objects.exists()


def test_cabinet_printout_only_for_the_applicant(client, reg):
    post(client, "/register/", form(primary(), ["CAT-1"]))
    client.post("/register/confirm/", {"code": sent_code()})
    r = Registration.objects.get()
    assert client.get(f"/cabinet/printout/{r.pk}/")["Content-Type"] == "application/pdf"
    client.post("/cabinet/sign-out/")
    assert client.get(f"/cabinet/printout/{r.pk}/").status_code == 403


def test_other_centres_clerk_cannot_download_the_printout(client, reg):
    from kari.accounts.roles import OrgKind, Role
    from tests.conftest import make_org, make_user

    sign_in(client, reg["clerk"])
    post(client, "/centre/register/", form(primary(), ["CAT-1"]))
    client.post("/centre/register/confirm/", {"code": sent_code()})
    r = Registration.objects.get()
    client.post("/staff/logout/")
    other = make_user(
        "clerk-other", make_org("rc-other", OrgKind.RESOURCE_CENTRE), [Role.REGISTRATION_CLERK]
    )
    sign_in(client, other)
    assert client.get(f"/centre/registrations/{r.pk}/printout/").status_code == 403


def test_staff_see_the_version_history_and_emis_sees_any_registration(client, reg):
    from kari.accounts.roles import OrgKind, Role
    from tests.conftest import make_org, make_user

    sign_in(client, reg["clerk"])
    post(client, "/centre/register/", form(primary(), ["CAT-1"]))
    client.post("/centre/register/confirm/", {"code": sent_code()})
    post(client, "/centre/register/", form(primary(), ["CAT-2"]))
    client.post("/centre/register/confirm/", {"code": sent_code()})
    r = Registration.objects.get()
    html = client.get(f"/en/centre/registrations/{r.pk}/").content.decode()
    assert "ლევან ჯაფარიძე" in html and "CAT-1" in html and "CAT-2" in html
    client.post("/staff/logout/")
    sign_in(client, make_user("emis-op", make_org("emis-x", OrgKind.EMIS), [Role.EMIS_OPERATOR]))
    assert client.get(f"/en/centre/registrations/{r.pk}/").status_code == 200


def test_editing_the_list_shows_no_errors_before_submitting(client, reg):
    page = post(client, "/en/register/", {"action": "add", "add": "CAT-1", "phone": "+995 555"})
    html = page.content.decode()
    assert 'name="programmes" value="CAT-1"' in html and 'value="+995 555"' in html
    assert "errorlist" not in html


def test_the_session_holds_ids_only_and_sign_in_by_code_works(client, reg):
    """A session holds ids only: no personal number and no code in it (personal data)."""
    post(client, "/register/", form(primary(), ["CAT-1"]))
    good = sent_code()
    assert "01024012345" not in str(dict(client.session)) and good not in str(dict(client.session))
    client.post("/register/confirm/", {"code": good})
    assert set(client.session.keys()) >= {"kari_applicant"}
    client.post("/cabinet/sign-out/")
    post(client, "/en/cabinet/sign-in/", {"personal_number": "01024012345"})
    code = sent_code()
    assert "01024012345" not in str(dict(client.session)) and code not in str(dict(client.session))
    assert client.post("/en/cabinet/sign-in/code/", {"code": code})["Location"].endswith(
        "/cabinet/"
    )
    assert "ნინო ბერიძე" in client.get("/en/cabinet/").content.decode()


def test_a_code_asked_in_another_session_does_not_kill_this_sessions_code(client, reg):
    """Issue 11, point 4: each session checks the code it asked for; a later code for the same
    person (asked by anyone) no longer replaces it, only this session's "send a new code"."""
    from django.test import Client

    post(client, "/register/", form(primary(), ["CAT-1"]))
    first = sent_code()
    other = Client()
    post(other, "/register/", form(primary(), ["CAT-2"]))
    second = sent_code()
    if second != first:  # each session knows its own code only
        assert other.post("/en/register/confirm/", {"code": first}).status_code == 200
    response = client.post("/en/register/confirm/", {"code": first})
    assert response.status_code == 302
    assert [c.programme.code for c in Registration.objects.get().choices.all()] == ["CAT-1"]


def test_A26_2_a_refused_reranking_move_is_explained_in_georgian(client, reg):
    """The picker never offers another test's programme; a hand-made post is refused."""
    from tests.registration.test_registration_services import RERANKING, publish

    post(client, "/register/", form(primary(), ["CAT-1"]))
    client.post("/register/confirm/", {"code": sent_code()})
    set_window(reg["round"], **RERANKING)
    publish(reg, Registration.objects.get())
    page = client.get("/register/").content.decode()
    assert "ICT-1" not in page
    response = post(client, "/register/", form(primary(), ["ICT-1"]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "რეიტინგული ჩამონათვალის შეცვლის პერიოდში" in text and "ICT-1" in text
    assert [c.programme.code for c in Registration.objects.get().choices.all()] == ["CAT-1"]
