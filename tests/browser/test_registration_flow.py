"""End to end in Chromium, in the Georgian UI: an applicant registers online and edits the
ranked list with plain form buttons (A15.1, A15.3), a registration clerk registers an
applicant and hands over the printout (A15.4), and a closed window refuses a change (A15.7).

One-time codes are read from the demo's SMS file outbox, names from its civil registry.
"""

import io
import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_sign_in

pytestmark = pytest.mark.browser

PHONE_VIEWPORT = {"width": 390, "height": 844}
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


# ---------------------------------------------------------------- the demo's files


def _var(server):
    return server.workdir  # conftest runs `kari` with cwd=KARI_VAR_DIR


def _person(server, index: int) -> dict:
    people = json.loads((_var(server) / "civil-registry.json").read_text("utf-8"))
    return people[index]


def _outbox(server) -> list[dict]:
    path = _var(server) / "sms-outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def _code_sent_to(server, e164: str, after: int) -> str:
    """The code in the newest SMS to `e164` among the outbox lines after the first `after`."""
    deadline = time.monotonic() + 10
    while True:
        lines = [m for m in _outbox(server)[after:] if m["to"] == e164]
        if lines:
            m = CODE.search(lines[-1]["text"])
            assert m, f"no six-digit code in the SMS: {lines[-1]!r}"
            return m.group(1)
        if time.monotonic() > deadline:
            raise AssertionError(f"no SMS to {e164} in the outbox: {_outbox(server)[after:]!r}")
        time.sleep(0.2)


# ---------------------------------------------------------------- the page


def _button(page, value: str):
    return page.locator(f'button[name=action][value="{value}"]')


def _press(page, value: str):
    """Press one of the form's submit buttons (button[name=action]) and wait for the reload."""
    with page.expect_navigation():
        _button(page, value).click()


def _ranked(page) -> list[str]:
    return page.locator("#ranked-list input[type=hidden][name=programmes]").evaluate_all(
        "els => els.map(e => e.value)"
    )


def _fill_personal_data(page, person: dict, phone: str, email: str):
    page.fill("#id_personal_number", person["personal_number"])
    if page.locator("#id_document_number").count():  # online, not signed in (issue 11)
        page.fill("#id_document_number", person["document_number"])
    page.fill("#id_phone", phone)
    page.fill("#id_email", email)
    municipality = page.locator("#id_exam_municipality option:not([value=''])").first.get_attribute(
        "value"
    )
    page.select_option("#id_exam_municipality", municipality)
    page.select_option("#id_test_language", "ka")
    page.select_option("#id_foreign_language", "en")
    # Re-list the eligible programmes for the chosen foreign language (A7.5) before adding.
    _press(page, "filter")
    expect(page.locator("#id_foreign_language")).to_have_value("en")


def _add_programmes(page, n: int) -> list[str]:
    added = []
    for _i in range(n):
        options = page.locator("#add option")
        assert options.count() > 0, f"nothing left to add after {added}"
        code = options.first.get_attribute("value")
        page.select_option("#add", code)
        _press(page, "add")
        added.append(code)
        assert _ranked(page) == added
    return added


def _no_horizontal_scroll(page):
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert sizes["scroll"] <= sizes["client"], f"horizontal scroll at {PHONE_VIEWPORT}: {sizes}"


def _confirm_with_code(page, server, e164: str, outbox_mark: int, path: str):
    expect(page).to_have_url(re.compile(path))
    page.fill("#id_code", _code_sent_to(server, e164, outbox_mark))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _cabinet_codes(page) -> list[str]:
    helps = page.locator("main section.card").first.locator("ol li span.help").all_inner_texts()
    return [h.split("·")[0].strip() for h in helps]


def _register_online(page, server, person, phone, e164, email, n=2) -> list[str]:
    """Register `person` online with the first `n` eligible programmes; lands on /cabinet/."""
    page.goto(server.url("/register/"))
    _fill_personal_data(page, person, phone, email)
    codes = _add_programmes(page, n)
    mark = len(_outbox(server))
    _press(page, "submit")
    _confirm_with_code(page, server, e164, mark, r"/register/confirm/$")
    expect(page).to_have_url(re.compile(r"/cabinet/$"))
    return codes


# ---------------------------------------------------------------- the tests


def test_A15_1_new_applicant_registers_and_edits_the_list_in_georgian(kari_server, new_page):
    server = kari_server
    person = _person(server, 10)
    phone, e164 = "+995 555 000 010", "+995555000010"

    # A phone-sized screen: the empty form does not scroll sideways.
    phone_page = new_page(viewport=PHONE_VIEWPORT)
    phone_page.goto(server.url("/register/"))
    expect(phone_page.locator("#id_personal_number")).to_be_visible()
    _no_horizontal_scroll(phone_page)

    page = new_page()
    page.goto(server.url("/register/"))
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    expect(page.locator("#ranked-list input[name=programmes]")).to_have_count(0)
    _fill_personal_data(page, person, phone, "applicant10@example.ge")
    page.fill("#id_adapted_environment", "")

    a, b, c = _add_programmes(page, 3)
    # What was typed survives every reload of the editor.
    expect(page.locator("#id_personal_number")).to_have_value(person["personal_number"])
    expect(page.locator("#id_phone")).to_have_value(phone)
    expect(_button(page, f"up:{a}")).to_be_disabled()
    expect(_button(page, f"down:{c}")).to_be_disabled()

    _press(page, f"up:{c}")
    assert _ranked(page) == [a, c, b]
    _press(page, f"remove:{a}")
    assert _ranked(page) == [c, b]
    assert a in page.locator("#add option").evaluate_all("els => els.map(e => e.value)")

    # Keyboard only: Tab through the row buttons (the disabled "up" of the first is skipped)
    # and press Enter on "up" of the second programme.
    _button(page, f"down:{c}").focus()
    page.keyboard.press("Tab")
    expect(_button(page, f"remove:{c}")).to_be_focused()
    page.keyboard.press("Tab")
    expect(_button(page, f"up:{b}")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _ranked(page) == [b, c]
    expect(page.locator("#ranked-list > li")).to_have_count(2)

    # The filled-in editor on a phone-sized screen does not scroll sideways either.
    page.set_viewport_size(PHONE_VIEWPORT)
    _no_horizontal_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 720})

    mark = len(_outbox(server))
    _press(page, "submit")
    # The same answer whether or not the number has registered before (issue 11, point 2):
    # no masked contact that would tell a stranger the number is known.
    info = page.locator("main .messages .msg.info")
    expect(info).to_contain_text("ერთჯერადი კოდი იგზავნება")
    expect(info).not_to_contain_text("010")
    _confirm_with_code(page, server, e164, mark, r"/register/confirm/$")

    expect(page).to_have_url(re.compile(r"/cabinet/$"))
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    expect(page.locator("main h1")).to_have_text(
        f"{person['first_name_ka']} {person['last_name_ka']}"
    )
    expect(page.locator("main .messages .msg.success")).to_be_visible()
    assert _cabinet_codes(page) == [b, c]


def test_A15_4_clerk_registers_and_downloads_the_printout(kari_server, new_page):
    from pypdf import PdfReader

    server = kari_server
    person = _person(server, 11)
    phone, e164 = "+995 555 000 011", "+995555000011"
    page = new_page(accept_downloads=True)

    staff_sign_in(page, server, "clerk")
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    greeting_ka = page.locator("main h1").inner_text().strip()
    page.goto(server.url("/en/staff/"))
    greeting_en = page.locator("main h1").inner_text().strip()
    assert greeting_en.startswith("Hello, "), greeting_en
    clerk_name = greeting_en.removeprefix("Hello, ").strip()
    assert clerk_name and greeting_ka.endswith(clerk_name), (greeting_ka, greeting_en)

    page.goto(server.url("/centre/register/"))
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    _fill_personal_data(page, person, phone, "applicant11@example.ge")
    codes = _add_programmes(page, 2)
    mark = len(_outbox(server))
    _press(page, "submit")
    _confirm_with_code(page, server, e164, mark, r"/centre/register/confirm/$")

    expect(page).to_have_url(re.compile(r"/centre/registrations/\d+/$"))
    full_name = f"{person['first_name_ka']} {person['last_name_ka']}"
    expect(page.locator("main")).to_contain_text(full_name)
    with page.expect_download() as info:
        page.locator("a#printout").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    data = download.path().read_bytes()
    assert data.startswith(b"%PDF")

    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    flat = " ".join(text.split())
    assert full_name in flat, f"applicant {full_name!r} not in the printout:\n{text}"
    assert clerk_name in flat, f"clerk {clerk_name!r} not in the printout:\n{text}"
    assert person["personal_number"] in flat
    for code in codes:
        assert code in flat, f"programme {code} not in the printout:\n{text}"


_SET_CLOSES = """
import datetime as dt
from django.utils import timezone
from kari.rounds.models import Round
from kari.rounds.services import current_round
r = current_round()
print(r.registration_closes.isoformat())
Round.objects.filter(pk=r.pk).update(registration_closes={value})
"""
YESTERDAY = "timezone.localdate() - dt.timedelta(days=1)"


def _set_registration_closes(server, value: str) -> str:
    """Set the current round's closing date (a Python expression); returns the old date."""
    return server.kari("shell", "-c", _SET_CLOSES.format(value=value)).strip().splitlines()[-1]


def test_A15_7_locked_registration_refuses_a_change(kari_server, new_page):
    server = kari_server
    person = _person(server, 12)
    phone, e164 = "+995 555 000 012", "+995555000012"
    page = new_page()
    codes = _register_online(page, server, person, phone, e164, "applicant12@example.ge", n=2)
    assert _cabinet_codes(page) == codes
    expect(page.locator("main section.card").first).not_to_contain_text("შეცვლა შეუძლებელია")

    # Close the window: registration closed yesterday (the other tests' server is this one,
    # so the date is put back whatever happens).
    original = _set_registration_closes(server, YESTERDAY)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", original), original
    try:
        page.goto(server.url("/register/"))
        expect(page.locator("html")).to_have_attribute("lang", "ka")
        expect(page.locator("main > .msg.error[role=alert]")).to_contain_text("შეცვლა შეუძლებელია")
        assert _ranked(page) == codes
        expect(page.locator("#id_personal_number")).to_have_value(person["personal_number"])

        # Try a change: swap the two programmes and ask for a code.
        _press(page, f"up:{codes[1]}")
        assert _ranked(page) == codes[::-1]
        mark = len(_outbox(server))
        _press(page, "submit")
        expect(page).to_have_url(re.compile(r"/register/$"))
        error = page.locator("main .error-summary[role=alert]")  # the page's one summary
        expect(error).to_contain_text("შეცვლა შეუძლებელია")
        expect(error).to_be_focused()
        time.sleep(0.5)
        assert [m for m in _outbox(server)[mark:] if m["to"] == e164] == [], "a code was sent"

        # The code page has nothing pending: back to the form.
        page.goto(server.url("/register/confirm/"))
        expect(page).to_have_url(re.compile(r"/register/$"))

        page.goto(server.url("/cabinet/"))
        expect(page.locator("main h1")).to_have_text(
            f"{person['first_name_ka']} {person['last_name_ka']}"
        )
        expect(page.locator("main section.card").first).to_contain_text("შეცვლა შეუძლებელია")
        assert _cabinet_codes(page) == codes
    finally:
        _set_registration_closes(server, f"dt.date.fromisoformat({original!r})")
    # Put back: setting it once more returns the restored date.
    assert _set_registration_closes(server, f"dt.date.fromisoformat({original!r})") == original
