"""Issue 19, point 3, in Chromium and in Georgian: a guided registration.

A "Register" start on the home page and a programme's page; one pass of validation with an
error summary that takes focus and links to each field; fields in error outlined; a programme
picker that narrows by the languages and a search, counts what it offers and keeps the scroll
position; on a change the personal number is read-only and a refused change keeps what was
typed; the code page sends a new code.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_registration_flow import (
    PHONE_VIEWPORT,
    _add_programmes,
    _button,
    _cabinet_codes,
    _code_sent_to,
    _fill_personal_data,
    _no_horizontal_scroll,
    _outbox,
    _person,
    _press,
    _ranked,
    _register_online,
)

pytestmark = pytest.mark.browser


def _visible_options(page) -> int:
    return page.locator("#add option").evaluate_all("els => els.filter(e => !e.hidden).length")


def _shown_count(page) -> int:
    return int(re.search(r"\d+", page.locator("#eligible-count").inner_text()).group(0))


def test_register_start_error_summary_and_picker(kari_server, new_page):
    server = kari_server
    for size in (PHONE_VIEWPORT, {"width": 1280, "height": 800}):
        page = new_page(viewport=size)
        page.goto(server.url("/"))
        expect(page.locator("html")).to_have_attribute("lang", "ka")
        start = page.locator("main a.btn.start")
        expect(start).to_be_visible()
        _no_horizontal_scroll(page)
        with page.expect_navigation():
            start.click()
        expect(page).to_have_url(re.compile(r"/register/$"))

        # Nothing filled in: one pass reports every problem, the summary takes focus.
        _press(page, "submit")
        summary = page.locator(".error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        links = summary.locator("a")
        hrefs = links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
        for anchor in ("#id_personal_number", "#id_document_number", "#id_phone", "#id_email"):
            assert anchor in hrefs, hrefs
        assert "#ranked-title" in hrefs  # the empty list, in the same pass
        _no_horizontal_scroll(page)
        # A link goes to its field; the field is outlined in the error colour.
        summary.locator('a[href="#id_phone"]').click()
        expect(page).to_have_url(re.compile(r"#id_phone$"))
        border = page.locator("#id_phone").evaluate("e => getComputedStyle(e).borderTopWidth")
        assert border == "2px", border
        expect(page.locator("#id_phone")).to_have_attribute("aria-invalid", "true")

    # The picker narrows as the languages change, and counts what it offers.
    page.goto(server.url("/register/"))
    total = _visible_options(page)
    assert total == _shown_count(page) > 0
    page.select_option("#id_test_language", "ru")
    narrowed = _visible_options(page)
    assert narrowed < total and _shown_count(page) == narrowed
    page.select_option("#id_test_language", "ka")
    assert _visible_options(page) == total
    # Typing in the search narrows too, and the server search agrees.
    first = page.locator("#add option").first.get_attribute("value")
    page.fill("#id_q", first)
    assert _visible_options(page) == _shown_count(page) == 1
    page.locator("#id_q").press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#add option")).to_have_count(1)
    assert _shown_count(page) == 1


def test_the_picker_keeps_the_scroll_position_after_add_move_and_remove(kari_server, new_page):
    server = kari_server
    person = _person(server, 20)
    page = new_page(viewport=PHONE_VIEWPORT)
    page.goto(server.url("/register/"))
    _fill_personal_data(page, person, "+995 555 000 020", "applicant20@example.ge")
    a, b = _add_programmes(page, 2)
    for action in (f"up:{b}", f"remove:{a}"):
        button = _button(page, action)
        button.scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, 40)")
        before = page.evaluate("() => window.scrollY")
        assert before > 200, before  # the list is well down the page on a phone
        _press(page, action)
        after = page.evaluate("() => window.scrollY")
        assert abs(after - before) <= 5, (action, before, after)
    assert _ranked(page) == [b]
    # After an add, the picker keeps its place and focus is back on it.
    page.locator("#add").scroll_into_view_if_needed()
    before = page.evaluate("() => window.scrollY")
    page.select_option("#add", page.locator("#add option").first.get_attribute("value"))
    _press(page, "add")
    assert abs(page.evaluate("() => window.scrollY") - before) <= 5
    assert len(_ranked(page)) == 2


def test_a_change_keeps_the_personal_number_and_what_was_typed(kari_server, new_page):
    server = kari_server
    person = _person(server, 21)
    phone, e164 = "+995 555 000 021", "+995555000021"
    page = new_page()
    codes = _register_online(page, server, person, phone, e164, "applicant21@example.ge", n=2)
    page.goto(server.url("/register/"))
    number = page.locator("#id_personal_number")
    expect(number).to_have_attribute("readonly", "")
    expect(number).to_have_value(person["personal_number"])
    expect(page.locator("#id_document_number")).to_have_count(0)

    # A refused change: the typed email and the new order stay on the page.
    page.fill("#id_email", "changed21@example.ge")
    page.select_option("#id_exam_municipality", "")
    _press(page, f"up:{codes[1]}")
    _press(page, "submit")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary a[href='#id_exam_municipality']")).to_be_visible()
    expect(page.locator("#id_email")).to_have_value("changed21@example.ge")
    assert _ranked(page) == codes[::-1]
    expect(number).to_have_value(person["personal_number"])

    # Fixed: the code page offers a new code, and the new one confirms.
    municipality = page.locator("#id_exam_municipality option:not([value=''])").first
    page.select_option("#id_exam_municipality", municipality.get_attribute("value"))
    mark = len(_outbox(server))
    _press(page, "submit")
    expect(page).to_have_url(re.compile(r"/register/confirm/$"))
    _code_sent_to(server, e164, mark)
    mark = len(_outbox(server))
    with page.expect_navigation():
        page.locator("#send-new-code").click()
    expect(page.locator("main .messages .msg.info")).to_be_visible()
    page.fill("#id_code", _code_sent_to(server, e164, mark))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cabinet/$"))
    assert _cabinet_codes(page) == codes[::-1]
