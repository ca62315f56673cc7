"""Issue 19 in Chromium, in Georgian, on a phone and a desktop (the axe-core check of
conftest.py runs on every page): high-stakes actions need intent (the proctor's breach has no
default and a removal is confirmed on a page naming the applicant and both breaches; marking
no-shows is confirmed), buttons look like their role, the language switch looks like a control,
error lists keep their semantics, touch targets are at least 44 px on the proctor's pages, a
favicon, no Mtavruli letters, branded error pages, and charts that fit a phone."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MTAVRULI = r"[\u1C90-\u1CBF]"


@pytest.fixture(scope="module")
def demo_args():
    return ["--phase", "exams", "--applicants", "120"]


READ_ROW = (
    "import json; from kari.exams.models import Sitting; "
    "s = Sitting.objects.issued().select_related('assignment__registration__applicant', "
    "'assignment__centre', 'session').order_by('session__date', 'session__starts_at', 'pk')"
    ".first(); a = s.assignment.registration.applicant; "
    "print(json.dumps({'personal_number': a.personal_number, 'last_name': a.last_name_ka, "
    "'first_name': a.first_name_ka, 'centre': s.assignment.centre.code, "
    "'session_start': f'{s.session.starts_at:%H:%M}'}))"
)


@pytest.fixture(scope="module")
def row(kari_server) -> dict:
    """An applicant of the first session, read without writing (the A17.4 export records a
    hand-over, a write that can meet the demo worker's)."""
    import json

    for attempt in range(8):
        try:
            out = kari_server.kari("shell", "-c", READ_ROW)
            return json.loads(out.strip().splitlines()[-1])
        except AssertionError as exc:
            if attempt == 7 or "database is locked" not in str(exc):
                raise
            time.sleep(4)
    raise AssertionError("unreachable")


def _no_mtavruli(page):
    text = page.evaluate("() => document.body.innerText")
    assert not re.search(MTAVRULI, text), re.findall(r".{0,20}" + MTAVRULI + r".{0,20}", text)


def _small_targets(page, selector: str) -> list[str]:
    """Visible interactive elements under `selector` smaller than 44 px in height."""
    return page.evaluate(
        """sel => [...document.querySelectorAll(sel)]
            .filter(e => e.offsetParent !== null && e.type !== 'hidden')
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.height < 44 && !(e.type === 'checkbox' || e.type === 'radio'))
            .map(([e, r]) =>
                `${e.tagName} ${e.textContent.trim().slice(0, 30)} ${Math.round(r.height)}px`)""",
        selector,
    )


def _background(page, selector: str) -> str:
    return page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")


def test_proctor_breach_needs_intent_on_a_phone(kari_server, new_page, row):
    page = new_page(viewport=PHONE, has_touch=True, is_mobile=True)
    staff_sign_in(page, kari_server, "proctor")
    page.goto(kari_server.url("/exams/proctor/"))
    _no_mtavruli(page)
    assert _small_targets(page, ".touch a, .touch button, .touch summary") == []
    centre = page.locator("details", has=page.locator("summary", has_text=row["centre"] + " "))
    centre.locator("summary").click()
    assert _small_targets(page, ".touch a, .touch button, .touch summary") == []
    with page.expect_navigation():
        centre.locator("li a").first.click()
    page.fill("#id_personal_number", row["personal_number"])
    with page.expect_navigation():
        page.locator("#lookup button[type=submit]").click()
    with page.expect_navigation():
        page.locator("form[action$='/admit/'] button").click()
    if page.locator(".msg.error, .error-summary").count():
        pytest.skip("the demo's first check-in window is not open now (built near midnight)")

    # the breach has no default: "choose…" is selected, and a submission without it is refused
    expect(page.locator("#id_category option").first).to_have_attribute("value", "")
    expect(page.locator("#id_category")).to_have_value("")
    page.locator("#id_category").evaluate("e => e.removeAttribute('required')")
    with page.expect_navigation():
        page.locator("#breach-button").click()
    errors = page.locator("#id_category_error")
    expect(errors).to_be_visible()  # axe checks this page's error list (listitem, roles)
    assert errors.get_attribute("role") is None
    expect(page.locator("#sitting-status")).to_have_class(re.compile("checked_in"))
    # touch targets on the check-in page, with the applicant found
    assert _small_targets(page, ".touch a, .touch button, .touch select, .touch input") == []
    _no_mtavruli(page)

    page.select_option("#id_category", "device")
    with page.expect_navigation():
        page.locator("#breach-button").click()
    # after a warning the button says it removes, and looks like a warning
    expect(page.locator("#breach-button")).to_have_class(re.compile("warning"))
    page.select_option("#id_category", "talking")
    page.fill("#id_note", "ესაუბრებოდა მეზობელს")
    with page.expect_navigation():
        page.locator("#breach-button").click()
    # the confirmation names the applicant and both breaches, and cannot be undone
    expect(page.locator("#confirm-title")).to_contain_text(row["last_name"])
    items = page.locator("#confirm-items li")
    expect(items).to_have_count(2)
    expect(items.nth(1)).to_contain_text("ესაუბრებოდა მეზობელს")
    expect(page.locator("#confirm-warning")).to_be_visible()
    primary = "rgb(11, 92, 173)"
    assert _background(page, "#confirm-button") not in (primary, "rgba(0, 0, 0, 0)")
    # "cancel" goes back without removing
    with page.expect_navigation():
        page.locator("#confirm-cancel").click()
    expect(page.locator("#sitting-status")).to_have_class(re.compile("checked_in"))
    page.select_option("#id_category", "talking")
    with page.expect_navigation():
        page.locator("#breach-button").click()
    with page.expect_navigation():
        page.locator("#confirm-button").click()
    expect(page.locator("#sitting-status")).to_have_class(re.compile("removed"))

    # marking the no-shows asks first, saying how many and what follows
    with page.expect_navigation():
        page.locator("#no-shows-button").click()
    expect(page.locator("#confirm-facts")).to_be_visible()
    expect(page.locator("#confirm-consequences li")).to_have_count(2)
    with page.expect_navigation():
        page.locator("#confirm-cancel").click()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_buttons_by_role_language_switch_and_favicon(kari_server, new_page, row):
    page = new_page(viewport=DESKTOP)
    staff_sign_in(page, kari_server, "proctor")
    page.goto(kari_server.url("/exams/proctor/"))
    centre = page.locator("details", has=page.locator("summary", has_text=row["centre"] + " "))
    centre.locator("summary").click()
    with page.expect_navigation():
        centre.locator("li a").first.click()
    primary = _background(page, "#lookup button[type=submit]")
    secondary = _background(page, "#no-shows-button")
    assert primary == "rgb(11, 92, 173)" and secondary != primary
    # the language switch: a light control on the blue header, not blue on blue
    switch = page.locator(".lang button")
    header = page.locator("header.top").evaluate("e => getComputedStyle(e).backgroundColor")
    assert _background(page, ".lang button") not in (header, "rgba(0, 0, 0, 0)")
    assert switch.bounding_box()["height"] >= 44
    expect(switch).to_have_attribute("lang", "en")
    # a favicon that loads
    href = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(kari_server.url(href)).status == 200


def test_403_page_is_branded_with_a_way_back(kari_server, new_page):
    page = new_page(viewport=PHONE)
    staff_sign_in(page, kari_server, "proctor")
    response = page.goto(kari_server.url("/catalogue/review/"))
    assert response.status == 403
    expect(page.locator("header.top")).to_be_visible()
    expect(page.locator("#error-title")).to_be_visible()
    expect(page.locator(".error-next a").first).to_have_attribute("href", "/")
    _no_mtavruli(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_charts_fit_a_phone_and_never_outgrow_the_headings(kari_server, new_page, viewport):
    page = new_page(viewport=viewport)
    staff_sign_in(page, kari_server, "emis")
    page.goto(kari_server.url("/exams/"))
    with page.expect_navigation():
        page.locator("a[href*='/exams/distributions/']").first.click()
    chart = page.locator("svg.histogram")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    label = page.locator("svg.histogram text.bar-label").first.bounding_box()["height"]
    h1 = page.locator("h1").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert 11 <= label <= h1, (label, h1)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
