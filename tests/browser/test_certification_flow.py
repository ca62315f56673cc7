"""End to end in Chromium, in the Georgian UI: individual certification (C1-C4).

An applicant signs in with an email one-time code, applies to the demo's open call with a
CV and is given a receipt (C1, C2); the certification officer finds it complete and assigns
the reviewers; a reviewer asks for more information and the applicant answers (C3); both
reviewers score it; the officer certifies it (C4); the applicant downloads the PDF
certificate and anyone can verify it on the public page.

Email one-time codes are read from the server's file outbox (<workdir>/mail/*.log).
"""

import email
import email.policy
import html
import io
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_sign_in

pytestmark = pytest.mark.browser

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
APPLICANT_EMAIL = "nino.beridze.cert@example.ge"
FULL_NAME_KA = "ნინო ბერიძე"
SHORT_NAME_KA = "ნინო ბ."  # on the public page unless the holder chose the directory
MAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


# ---------------------------------------------------------------- the email outbox


def _mails(server) -> list:
    """Every email the server wrote (filebased backend), oldest first."""
    folder = server.workdir / "mail"
    if not folder.exists():
        return []
    out = []
    for path in sorted(folder.glob("*.log"), key=lambda p: (p.stat().st_mtime, p.name)):
        for chunk in path.read_bytes().split(MAIL_SEPARATOR):
            if chunk.strip():
                out.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return out


def _body(message) -> str:
    part = message.get_body(preferencelist=("plain",)) or message
    return part.get_content()


def _code_mailed_to(server, address: str, after: int) -> str:
    """The six-digit code in the newest email to `address` among those after the first `after`."""
    deadline = time.monotonic() + 10
    while True:
        mails = [m for m in _mails(server)[after:] if address in str(m["To"])]
        if mails:
            m = CODE.search(_body(mails[-1]))
            assert m, f"no six-digit code in the email: {_body(mails[-1])!r}"
            return m.group(1)
        if time.monotonic() > deadline:
            raise AssertionError(f"no email to {address} in {server.workdir / 'mail'}")
        time.sleep(0.2)


# ---------------------------------------------------------------- the pages


def _submit(page, selector: str):
    with page.expect_navigation():
        page.locator(selector).click()


def _open_application(page, server, app_path: str):
    """From the team's list, follow the link to the application."""
    page.goto(server.url("/certification/staff/"))
    with page.expect_navigation():
        page.locator(f'main a[href="{app_path}"]').first.click()
    expect(page).to_have_url(re.compile(re.escape(app_path) + "$"))


def _expect_saved(page):
    expect(page.locator(".messages .msg.error")).to_have_count(0)
    expect(page.locator(".messages .msg.success")).to_be_visible()


def _error_summary(page_html: str) -> str:
    """The exception line of Django's debug page (KARI_DEBUG=1), or the start of the body."""
    m = re.search(
        r"<title>(.*?)</title>.*?<pre class=\"exception_value\">(.*?)</pre>", page_html, re.S
    )
    return html.unescape(" — ".join(x.strip() for x in m.groups()) if m else page_html[:300])


def _score(page, server, app_path: str, value: str = "4"):
    _open_application(page, server, app_path)
    selects = page.locator("#score-form select[name^=score_]")
    n = selects.count()  # counted on the form: the summary page that follows has no selects
    assert n >= 1, "no score fields"
    for i in range(n):
        selects.nth(i).select_option(value)
    _submit(page, "button[name=score]")
    # C3: a summary of the scores before they are submitted
    expect(page.locator("#score-summary tbody tr")).to_have_count(n)
    _submit(page, "#score-submit")
    _expect_saved(page)
    # submitted scores can be corrected until the decision
    expect(page.locator("#score-correctable")).to_be_visible()


# ---------------------------------------------------------------- the test


def test_C1_C4_applicant_is_certified_and_the_certificate_verifies(kari_server, new_page):
    server = kari_server

    # C1, C2: the public call, Apply, sign in by an email code.
    applicant = new_page()
    applicant.goto(server.url("/certification/"))
    expect(applicant.locator("html")).to_have_attribute("lang", "ka")
    calls = applicant.locator("main ul.cards li.card h2 a")
    expect(calls).to_have_count(1)
    with applicant.expect_navigation():
        calls.first.click()
    expect(applicant).to_have_url(re.compile(r"/certification/calls/\d+/$"))
    with applicant.expect_navigation():
        applicant.locator('main a.btn[href$="/apply/"]').click()
    expect(applicant).to_have_url(
        re.compile(r"/certification/sign-in/\?next=/certification/calls/\d+/apply/$")
    )

    mark = len(_mails(server))
    applicant.fill("#id_email", APPLICANT_EMAIL)
    _submit(applicant, "main form button[type=submit]")
    expect(applicant.locator("#id_code")).to_be_visible()
    applicant.fill("#id_code", _code_mailed_to(server, APPLICANT_EMAIL, mark))
    _submit(applicant, "main form button[type=submit]")
    expect(applicant).to_have_url(re.compile(r"/certification/calls/\d+/apply/$"))

    applicant.fill("#id_full_name_ka", FULL_NAME_KA)
    applicant.fill("#id_full_name_en", "Nino Beridze")
    applicant.fill("#id_experience", "ხუთი წელი სამოქალაქო ბიუჯეტის პროექტებში.")
    applicant.fill("#id_motivation", "მსურს სხვებს დავეხმარო მონაწილეობის მექანიზმებში.")
    applicant.set_input_files(
        "#id_cv", {"name": "cv.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}
    )
    _submit(applicant, "button[name=submit]")
    expect(applicant).to_have_url(re.compile(r"/certification/my/$"))
    expect(applicant.locator(".messages .msg.success")).to_contain_text("C-")
    card = applicant.locator("main section.card").first
    receipt = re.search(r"C-\d{3}-\d{5}", card.inner_text())
    assert receipt, f"no receipt on /certification/my/: {card.inner_text()!r}"
    receipt = receipt.group(0)
    expect(card.locator(".status.submitted")).to_be_visible()

    # C3: the officer finds it complete and assigns the reviewers.
    officer = new_page()
    staff_sign_in(officer, server, "certifier")
    officer.goto(server.url("/certification/staff/"))
    link = officer.locator("main table a", has_text=receipt)
    expect(link).to_have_count(1)
    app_path = link.get_attribute("href")
    _open_application(officer, server, app_path)
    expect(officer.locator("#app-status")).to_have_class(re.compile(r"\bsubmitted\b"))
    _submit(officer, "button[name=check][value=complete]")
    _expect_saved(officer)
    expect(officer.locator("#app-status")).to_have_class(re.compile(r"\bin_review\b"))

    officer.goto(server.url("/certification/staff/"))
    _submit(officer, "button[name=assign]")
    expect(officer).to_have_url(re.compile(r"/certification/staff/$"))
    expect(officer.locator(".messages .msg.success")).to_contain_text("2")
    _open_application(officer, server, app_path)
    expect(officer.locator("#summary strong")).to_have_count(0)  # no average before any score

    # C3: a reviewer sees it under "Assigned to me" and asks for more information.
    expert1 = new_page()
    staff_sign_in(expert1, server, "expert1")
    expert1.goto(server.url("/certification/staff/"))
    assigned = expert1.locator(f'main > ul a[href="{app_path}"]')
    expect(assigned).to_have_count(1)
    with expert1.expect_navigation():
        assigned.click()
    question = "გთხოვთ, მიუთითოთ ერთი პროექტი, რომელშიც მონაწილეობდით."
    expert1.fill("#id_question", question)
    _submit(expert1, "button[name=ask]")
    _expect_saved(expert1)
    expect(expert1.locator("#app-status")).to_have_class(re.compile(r"\binfo_requested\b"))

    # The applicant answers; the review resumes.
    applicant.goto(server.url("/certification/my/"))
    expect(applicant.locator("main")).to_contain_text(question)
    answer = "თბილისის სამოქალაქო ბიუჯეტი, 2024."
    applicant.locator("main textarea[name=answer]").fill(answer)
    _submit(applicant, "main form:has(textarea[name=answer]) button[type=submit]")
    expect(applicant).to_have_url(re.compile(r"/certification/my/$"))
    expect(applicant.locator(".messages .msg.success")).to_be_visible()
    expect(applicant.locator("main textarea[name=answer]")).to_have_count(0)
    expect(applicant.locator("main")).to_contain_text(answer)

    # C3: both reviewers score every criterion.
    _score(expert1, server, app_path)
    expert2 = new_page()
    staff_sign_in(expert2, server, "expert2")
    _score(expert2, server, app_path)

    # C4: the officer certifies, with reasons.
    _open_application(officer, server, app_path)
    expect(officer.locator("#summary strong").first).to_have_text(
        re.compile(r"^4(\.0+)?$")
    )  # all 4s
    officer.check("input[name=certified][value=yes]")
    officer.fill("#id_reasons", "ორივე ექსპერტის შეფასება მაღალია.")
    _submit(officer, "button[name=decide]")
    _expect_saved(officer)
    expect(officer.locator("#app-status")).to_have_class(re.compile(r"\bcertified\b"))

    # The applicant's page links the certificate and its public verification page.
    applicant.goto(server.url("/certification/my/"))
    pdf_link = applicant.locator("a#certificate-pdf")
    expect(pdf_link).to_be_visible()
    number = re.search(r"/certificates/([^/]+)/certificate\.pdf$", pdf_link.get_attribute("href"))
    assert number, pdf_link.get_attribute("href")
    number = number.group(1)
    verify_path = applicant.locator(f'main a[href$="/certificates/{number}/"]').get_attribute(
        "href"
    )
    assert verify_path.endswith(f"/certification/certificates/{number}/")

    # Anyone (no session) can verify it, in English and on the Georgian page linked.
    public = new_page()
    public.goto(server.url(f"/en/certification/certificates/{number}/"))
    status = public.locator("#cert-status")
    expect(status).to_have_class(re.compile(r"\bmsg\b.*\bsuccess\b"))
    expect(status).to_contain_text("Valid")
    # The holder did not choose to be listed: the page shows enough to match the certificate
    # in hand (the first name and the initial), not the full name (issue 11, point 6).
    facts = public.locator("main dl.facts")
    expect(facts).to_contain_text(number)
    expect(facts).to_contain_text(SHORT_NAME_KA)
    expect(facts).not_to_contain_text(FULL_NAME_KA)
    public.goto(server.url(verify_path))
    expect(public.locator("#cert-status.msg.success")).to_be_visible()
    expect(public.locator("main dl.facts")).to_contain_text(SHORT_NAME_KA)
    expect(public.locator("main dl.facts")).not_to_contain_text(FULL_NAME_KA)

    # The holder downloads the PDF; its number and the holder's name are in its text.
    resp = applicant.request.get(server.url(pdf_link.get_attribute("href")))
    assert resp.ok, f"the certificate PDF answered {resp.status}: {_error_summary(resp.text())}"
    with applicant.expect_download() as info:
        pdf_link.click()
    download = info.value
    assert download.suggested_filename == f"{number}.pdf"
    data = download.path().read_bytes()
    assert data.startswith(b"%PDF")

    from pypdf import PdfReader

    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    assert number in text, f"{number} not in the PDF text: {text!r}"
    assert FULL_NAME_KA in text, f"{FULL_NAME_KA} not in the PDF text: {text!r}"
