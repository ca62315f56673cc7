"""Issue 19, point 3: a guided registration. One pass of validation with an error summary that
links to each field; messages that say what to do; a programme picker that offers only what
fits and counts what it offers; a read-only personal number on a change; "send a new code";
separate code budgets for signing in and for changing a registration."""

import re

import pytest
from django.test import TestCase

from kari.codes.models import OneTimeCode
from kari.registration.models import Registration
from tests.error_summary import assert_error_summary
from tests.registration.conftest import primary, set_window
from tests.registration.test_registration_services import sent_code

pytestmark = pytest.mark.django_db


def form(data, programmes, action="submit", **extra):
    post = {k: v for k, v in data.items() if k != "programmes"}
    return post | {"programmes": programmes, "action": action} | extra


def post(client, url, data):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data)


def offered(html: str) -> list[str]:
    select = re.search(r'<select id="add".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', select)


def shown_count(html: str) -> int:
    label = re.search(r'<span id="eligible-count"[^>]*>([^<]*)</span>', html).group(1)
    return int(re.search(r"\d+", label).group(0))


def signed_in(client, reg):
    post(client, "/en/register/", form(primary(), ["CAT-1"]))
    client.post("/en/register/confirm/", {"code": sent_code()})
    assert Registration.objects.count() == 1


def test_one_pass_reports_every_problem_in_a_summary_that_links_to_each_field(client, reg):
    empty = {"personal_number": "", "document_number": "", "phone": "", "email": ""}
    html = post(client, "/en/register/", form(empty, [])).content.decode()
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert 'tabindex="-1"' in summary and "autofocus" in summary and 'role="alert"' in summary
    for anchor in ("#id_personal_number", "#id_document_number", "#id_phone", "#id_email"):
        assert f'href="{anchor}"' in summary, anchor
    assert 'href="#id_exam_municipality"' in summary and 'href="#ranked-title"' in summary
    assert "Choose at least one programme." in summary  # the list, in the same pass
    assert "Enter the document number printed on the ID card." in summary
    assert html.count('class="field has-error"') >= 5  # the fields are outlined
    assert 'class="ranked has-error"' in html
    assert not OneTimeCode.objects.exists()


def test_the_form_and_the_ranked_list_share_one_summary_and_what_was_typed_stays(client, reg):
    data = primary(email="typed-not-an-email", phone="+995 555 98 76 54")
    html = post(client, "/en/register/", form(data, [])).content.decode()
    summary = assert_error_summary(html, "id_email", 'value="typed-not-an-email"')
    assert 'href="#ranked-title"' in summary  # the page's own item, in the same summary
    assert 'value="+995 555 98 76 54"' in html


def test_a_foreign_language_clash_names_the_language_the_programme_needs(client, reg):
    html = post(
        client,
        "/en/register/",
        form(primary(foreign_language="de"), ["CAT-2", "CAT-EN"]),
    ).content.decode()
    assert "needs English as the foreign language. Choose English, or remove" in html
    assert 'href="#id_foreign_language"' in html
    # The Georgian page says it in Georgian.
    html = post(
        client, "/register/", form(primary(foreign_language="de"), ["CAT-2", "CAT-EN"])
    ).content.decode()
    assert "საჭირო უცხოური ენაა ინგლისური" in html


def test_a_test_language_clash_says_what_to_do(client, reg):
    html = post(
        client, "/en/register/", form(primary(test_language="ru"), ["CAT-1"])
    ).content.decode()
    assert "Choose Georgian as the test language, or remove these programmes" in html


def test_the_picker_offers_only_fitting_programmes_and_counts_what_it_offers(client, reg):
    everyone = offered(client.get("/en/register/").content.decode())
    assert set(everyone) == {"CAT-1", "CAT-2", "CAT-FW", "CAT-EN", "ICT-1"}
    # Russian as the test language: only programmes built on a framework document (A4.2).
    html = post(
        client, "/en/register/", form(primary(test_language="ru"), [], "filter")
    ).content.decode()
    assert set(offered(html)) == {"CAT-2", "CAT-FW", "CAT-EN"}
    assert shown_count(html) == len(offered(html)) == 3
    # German as the foreign language: not the programme that needs English (A7.5).
    html = post(
        client, "/en/register/", form(primary(foreign_language="de"), [], "filter")
    ).content.decode()
    assert "CAT-EN" not in offered(html) and shown_count(html) == len(offered(html))
    # The data the browser narrows by as the applicant changes the languages.
    assert 'data-framework="1" data-foreign="en"' in client.get("/en/register/").content.decode()


def test_the_picker_is_searchable(client, reg):
    html = post(client, "/en/register/", form(primary(), [], "filter", q="fw")).content.decode()
    assert offered(html) == ["CAT-FW"] and shown_count(html) == 1
    html = client.get("/en/register/?q=college-s").content.decode()
    assert set(offered(html)) <= {"CAT-FW", "CAT-EN"} and shown_count(html) == len(offered(html))


def test_a_programme_that_does_not_fit_is_not_added(client, reg):
    html = post(
        client, "/en/register/", form(primary(test_language="ru"), [], "add", add="CAT-1")
    ).content.decode()
    assert 'name="programmes" value="CAT-1"' not in html
    assert "does not fit the list or the languages chosen" in html


def test_a_programme_page_starts_a_registration_with_that_programme(client, reg):
    html = client.get("/en/programmes/CAT-FW/").content.decode()
    assert 'href="/en/register/?add=CAT-FW"' in html
    html = client.get("/en/register/?add=CAT-FW").content.decode()
    assert 'name="programmes" value="CAT-FW"' in html


def test_home_and_timeline_have_a_register_start_while_the_window_is_open(client, reg):
    assert 'class="btn start" href="/en/register/"' in client.get("/en/").content.decode()
    assert 'class="btn start" href="/en/register/"' in client.get("/en/rounds/").content.decode()
    set_window(reg["round"], registration_opens=-30, registration_closes=-1)
    assert 'class="btn start"' not in client.get("/en/").content.decode()
    assert 'class="btn start"' not in client.get("/en/rounds/").content.decode()


def test_on_a_change_the_personal_number_is_read_only(client, reg):
    signed_in(client, reg)
    html = client.get("/en/register/").content.decode()
    field = re.search(r'<input[^>]*id="id_personal_number"[^>]*>', html).group(0)
    assert "readonly" in field and 'value="01024012345"' in field
    # A posted number is ignored: the change is of the applicant's own registration.
    data = primary("61001012345", document_number="")
    response = post(client, "/en/register/", form(data, ["CAT-2"]))
    assert response.status_code == 302
    code = OneTimeCode.objects.filter(purpose="register").latest("created_at")
    assert code.payload["data"]["personal_number"] == "01024012345"


def test_a_refused_change_keeps_what_was_typed(client, reg):
    signed_in(client, reg)
    data = primary(email="new-address@example.ge", foreign_language="de")
    html = post(client, "/en/register/", form(data, ["CAT-2", "CAT-EN"])).content.decode()
    assert "error-summary" in html and 'value="new-address@example.ge"' in html
    assert re.findall(r'name="programmes" value="([^"]+)"', html) == ["CAT-2", "CAT-EN"]
    assert '<option value="de" selected>' in html
    assert [c.programme.code for c in Registration.objects.get().choices.all()] == ["CAT-1"]


def test_the_code_page_sends_a_new_code_and_the_old_one_stops_working(client, reg):
    post(client, "/en/register/", form(primary(), ["CAT-1"]))
    first = sent_code()
    html = client.get("/en/register/confirm/").content.decode()
    assert "resend" in html and "Send a new code" in html
    response = post(client, "/en/register/confirm/", {"action": "resend"})
    assert response.status_code == 302 and response["Location"].endswith("/register/confirm/")
    second = sent_code()
    assert OneTimeCode.objects.filter(purpose="register").count() == 2
    if first != second:
        page = client.post("/en/register/confirm/", {"code": first}).content.decode()
        assert "wrong or has expired" in page and not Registration.objects.exists()
    response = client.post("/en/register/confirm/", {"code": second})
    assert response.status_code == 302 and Registration.objects.count() == 1


def test_the_sign_in_code_page_sends_a_new_code(client, reg):
    signed_in(client, reg)
    client.post("/en/cabinet/sign-out/")
    post(client, "/en/cabinet/sign-in/", {"personal_number": "01024012345"})
    post(client, "/en/cabinet/sign-in/code/", {"action": "resend"})
    response = client.post("/en/cabinet/sign-in/code/", {"code": sent_code()})
    assert response.status_code == 302 and response["Location"].endswith("/cabinet/")


def test_an_empty_code_says_what_to_do(client, reg):
    post(client, "/en/register/", form(primary(), ["CAT-1"]))
    html = client.post("/en/register/confirm/", {"code": ""}).content.decode()
    assert 'href="#id_code"' in html and "Enter the six-digit code" in html


def test_sign_in_codes_do_not_use_up_the_budget_for_confirming_a_change(client, reg, settings):
    settings.KARI_OTP = settings.KARI_OTP | {"PER_PERSON_PER_HOUR": 3}
    signed_in(client, reg)  # one registration code
    client.post("/en/cabinet/sign-out/")
    for _ in range(3):  # the sign-in budget is used up
        post(client, "/en/cabinet/sign-in/", {"personal_number": "01024012345"})
    html = post(client, "/en/cabinet/sign-in/", {"personal_number": "01024012345"})
    assert "A code was sent a moment ago" in html.content.decode()
    client.post("/en/cabinet/sign-in/code/", {"code": sent_code()})
    # A change still gets its code at once.
    response = post(client, "/en/register/", form(primary(), ["CAT-2"]))
    assert response.status_code == 302, response.content.decode()[:3000]
