"""End to end in Chromium on the demo's first test day (``kari demo --phase exams``): the proctor
files a complaint from the check-in page on a phone-sized screen (A25.1-A25.3) and downloads the
receipt; the commission receives it, meets, votes and upholds it with a re-mark (A24, A25.4);
the applicant signs in to the cabinet and sees the outcome in Georgian (A25.5)."""

import csv
import io
import json
import re
import time

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import staff_sign_in

pytestmark = pytest.mark.browser

PHONE_VIEWPORT = {"width": 390, "height": 844}
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@pytest.fixture(scope="module")
def demo_args():
    return ["--phase", "exams", "--applicants", "120"]


def _row(server) -> dict:
    """An applicant of the first session who has not complained (the demo's two have)."""
    text = server.kari("exams", "export", "distribution_to_naec", "--user", "emis")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    rows = list(csv.DictReader(io.StringIO(body)))
    first = min((r["session_date"], r["session_start"]) for r in rows)
    firsts = [r for r in rows if (r["session_date"], r["session_start"]) == first]
    return firsts[-1]


def _outbox(server) -> list[dict]:
    path = server.workdir / "sms-outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def _sms(server, predicate, after=0) -> dict:
    deadline = time.monotonic() + 10
    while True:
        found = [m for m in _outbox(server)[after:] if predicate(m)]
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError("the SMS did not arrive")
        time.sleep(0.2)


def test_A23_A25_complaint_filed_decided_and_seen_by_the_applicant(kari_server, new_page):
    row = _row(kari_server)
    # --- The proctor, on a phone: check-in page, the applicant, "file a complaint".
    page = new_page(viewport=PHONE_VIEWPORT, accept_downloads=True)
    staff_sign_in(page, kari_server, "proctor")
    page.goto(kari_server.url("/exams/proctor/"))
    centre = page.locator("details", has=page.locator("summary", has_text=row["centre"] + " "))
    centre.locator("summary").click()
    with page.expect_navigation():
        centre.locator("li a").first.click()
    page.fill("#id_personal_number", row["personal_number"])
    with page.expect_navigation():
        page.locator("#lookup button[type=submit]").click()
    with page.expect_navigation():
        page.locator("#complaint-link").click()
    expect(page.locator("h1")).to_have_text("პრეტენზიის შეტანა")
    # Refused without the documents (A25.2): the error summary takes the focus, input kept.
    page.locator("#id_ground_0").check()
    page.fill("#id_statement", "მეზობელი ხმამაღლა ლაპარაკობდა.")
    with page.expect_navigation():
        page.locator("#complaint-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_statement")).to_have_value("მეზობელი ხმამაღლა ლაპარაკობდა.")
    page.locator("#id_id_shown").check()
    page.locator("#id_invitation_shown").check()
    with page.expect_navigation():
        page.locator("#complaint-form button[type=submit]").click()
    refused = page.locator(".msg.error, .error-summary")
    if refused.count():
        pytest.skip("not the test day any more: " + refused.first.inner_text())
    expect(page.locator("#filed")).to_be_visible()
    number = re.search(r"P-[\d-]+", page.locator("#filed").inner_text()).group(0)
    with page.expect_download() as info:
        page.locator("#receipt-link").click()
    text = "\n".join(p.extract_text() for p in PdfReader(info.value.path()).pages)
    assert number in text and row["personal_number"] in text
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

    # --- The commission's chair: receipt, a session, attendance, the vote.
    chair = new_page()
    staff_sign_in(chair, kari_server, "commission")
    chair.goto(kari_server.url("/appeals/"))
    with chair.expect_navigation():
        chair.locator("#complaints a", has_text=number).click()
    with chair.expect_navigation():
        chair.locator("#receive").click()
    chair.goto(kari_server.url("/appeals/"))
    with chair.expect_navigation():
        chair.locator("#convene button[type=submit]").click()
    boxes = chair.locator("#attendance input[name=present]")
    for i in range(3):  # 3 of 5: a quorum (A24.4)
        boxes.nth(i).check()
    chair.select_option("#attendance select[name=stand_in]", index=2)
    with chair.expect_navigation():
        chair.locator("#attendance button[type=submit]").click()
    expect(chair.locator("#quorum")).to_contain_text("კვორუმი არის")
    card = chair.locator("article", has_text=number)
    card.locator("input[value=upheld]").check()
    card.locator("input[name$=remark]").check()
    card.locator("textarea[name$=reasons]").fill("დადასტურდა.")
    yes = card.locator("input[type=radio][value=yes]")
    for i in range(yes.count()):
        yes.nth(i).check()
    with chair.expect_navigation():
        card.locator("button[type=submit]").click()
    expect(chair.locator("#complaint-status")).to_contain_text("დაკმაყოფილდა")
    expect(chair.locator("#decision-pdf")).to_be_visible()

    # --- The applicant: the cabinet shows the complaint and its outcome in Georgian.
    notice = _sms(kari_server, lambda m: number in m["text"])
    phone = notice["to"]
    mark = len(_outbox(kari_server))
    me = new_page(viewport=PHONE_VIEWPORT)
    me.goto(kari_server.url("/cabinet/sign-in/"))
    me.fill("#id_personal_number", row["personal_number"])
    with me.expect_navigation():
        me.locator("main form button[type=submit]").click()
    code = CODE.search(
        _sms(kari_server, lambda m: m["to"] == phone and CODE.search(m["text"]), mark)["text"]
    ).group(1)
    me.fill("#id_code", code)
    with me.expect_navigation():
        me.locator("main form button[type=submit]").click()
    with me.expect_navigation():
        me.locator("#complaints a", has_text=number).click()
    expect(me.locator("html")).to_have_attribute("lang", "ka")
    expect(me.locator("#outcome")).to_contain_text("საპრეტენზიო კომისიამ მიიღო გადაწყვეტილება")
    expect(me.locator("#outcome")).to_contain_text("დაკმაყოფილდა")
