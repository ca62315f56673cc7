"""Issue 19, points 4 and 5, in Chromium and in Georgian (the demo's registration phase):
the certification applicant reads back what they submitted; anyone looks a certificate up by
number on a page; the quality centre's queue leads with what awaits confirmation, with a
count and a filter."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_sign_in
from tests.browser.test_certification_flow import SMALL_PDF, _code_mailed_to, _mails, _submit
from tests.browser.test_registration_flow import PHONE_VIEWPORT, _no_horizontal_scroll

pytestmark = pytest.mark.browser

EMAIL = "readback.cert@example.ge"
ISSUE = """
from django.db import transaction
from kari.certification.issuing import generate_key, issue_certificate
from kari.certification.models import Application, SigningKey
app = Application.objects.filter(applicant__email={email!r}).latest("pk")
org = app.call.organisation
if not SigningKey.objects.filter(organisation=org).exists():
    generate_key(org)
with transaction.atomic():
    print(issue_certificate(app).number)
"""


def _issue(server) -> str:
    """Certify the application from the command line (the demo's SQLite may be busy a moment
    with the server's and the worker's writes)."""
    for attempt in range(10):
        try:
            return server.kari("shell", "-c", ISSUE.format(email=EMAIL)).strip().splitlines()[-1]
        except AssertionError as exc:
            if "database is locked" not in str(exc) or attempt == 9:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def test_the_applicant_reads_back_and_anyone_looks_a_certificate_up(kari_server, new_page):
    server = kari_server
    page = new_page(viewport=PHONE_VIEWPORT)
    page.goto(server.url("/certification/"))
    with page.expect_navigation():
        page.locator("main ul.cards li.card h2 a").first.click()
    with page.expect_navigation():
        page.locator('main a.btn[href$="/apply/"]').click()
    mark = len(_mails(server))
    page.fill("#id_email", EMAIL)
    _submit(page, "main form button[type=submit]")
    page.fill("#id_code", _code_mailed_to(server, EMAIL, mark))
    _submit(page, "main form button[type=submit]")
    page.fill("#id_full_name_ka", "ანა კაპანაძე")
    page.fill("#id_experience", "სამი წელი მონაწილეობით ბიუჯეტში.")
    page.fill("#id_motivation", "გამოცდილების გაზიარება.")
    page.set_input_files(
        "#id_cv", {"name": "cv-ana.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}
    )
    _submit(page, "button[name=submit]")
    expect(page).to_have_url(re.compile(r"/certification/my/$"))
    submitted = page.locator("main details.submitted").first
    expect(submitted).to_have_attribute("open", "")
    expect(submitted).to_contain_text("სამი წელი მონაწილეობით ბიუჯეტში.")
    expect(submitted).to_contain_text("cv-ana.pdf")
    expect(submitted.locator("input, textarea, select")).to_have_count(0)
    _no_horizontal_scroll(page)

    number = _issue(server)
    anyone = new_page()
    anyone.goto(server.url("/certification/"))
    with anyone.expect_navigation():
        anyone.locator('main a[href$="/certification/certificates/"]').click()
    expect(anyone.locator("html")).to_have_attribute("lang", "ka")
    # A wrong number: the error summary takes focus and links to the field.
    anyone.fill("#number", "XX-2026-AAAA-BBBB")
    _submit(anyone, "main form button[type=submit]")
    expect(anyone.locator(".error-summary")).to_be_focused()
    expect(anyone.locator('.error-summary a[href="#number"]')).to_be_visible()
    expect(anyone.locator("#number")).to_have_value("XX-2026-AAAA-BBBB")
    anyone.fill("#number", number.lower())
    _submit(anyone, "main form button[type=submit]")
    expect(anyone).to_have_url(
        re.compile(re.escape(f"/certification/certificates/{number}/") + "$")
    )
    expect(anyone.locator("main")).to_contain_text(number)


def test_the_quality_centre_queue_leads_with_what_awaits_confirmation(kari_server, new_page):
    for size in (PHONE_VIEWPORT, {"width": 1280, "height": 800}):
        page = new_page(viewport=size)
        staff_sign_in(page, kari_server, "quality")
        page.goto(kari_server.url("/catalogue/review/"))
        expect(page.locator("html")).to_have_attribute("lang", "ka")
        awaiting = int(re.search(r"\d+", page.locator("#awaiting-count").inner_text()).group(0))
        statuses = page.locator("main tbody .status").evaluate_all(
            "els => els.map(e => e.className.replace('status', '').trim())"
        )
        assert statuses[:awaiting] == ["submitted"] * awaiting, statuses
        assert "submitted" not in statuses[awaiting:]
        _no_horizontal_scroll(page)
        # The filter: only the confirmed ones, and the count in the option is what is shown.
        option = page.locator('#status option[value="confirmed"]')
        expected = int(re.search(r"\((\d+)\)", option.inner_text()).group(1))
        page.select_option("#status", "confirmed")
        with page.expect_navigation():
            page.locator("main form.search button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"status=confirmed"))
        rows = page.locator("main tbody tr .status")
        expect(rows).to_have_count(expected)
        assert set(rows.evaluate_all("els => els.map(e => e.className)")) <= {"status confirmed"}
