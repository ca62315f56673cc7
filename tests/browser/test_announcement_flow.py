"""End to end in Chromium: the public portal, then an institution announces its places,
the quality centre confirms them, and the programmes appear on the portal (A13)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_sign_in

pytestmark = pytest.mark.browser


def _count(page) -> int:
    m = re.search(r"\d+", page.locator("#count").inner_text())
    assert m, f"no number in #count: {page.locator('#count').inner_text()!r}"
    return int(m.group())


def _search(page):
    with page.expect_navigation():
        page.locator("form.search button[type=submit]").click()


def _sign_in(page, server, username):
    staff_sign_in(page, server, username, "/en")
    expect(page.locator("main h1")).to_contain_text("Hello")


def _sign_out(page):
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="Sign out").click()
    expect(page.locator("header")).to_contain_text("Staff sign-in")


def _portal_anonymous(page, server):
    """Step 1: Georgian by default, search, a filter, a programme page."""
    page.goto(server.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    cards = page.locator("ul.cards li.card")
    expect(cards.first).to_be_visible()
    total = _count(page)
    assert total > 0

    # Search for a fragment of the first programme's Georgian name.
    name = cards.first.locator("h2").inner_text().strip()
    assert re.search(r"[\u10d0-\u10ff]", name), f"expected a Georgian programme name: {name!r}"
    fragment = name.split()[0][:6]
    page.fill("#q", fragment)
    _search(page)
    expect(page).to_have_url(re.compile(r"[?&]q="))
    expect(page.locator("#q")).to_have_value(fragment)
    found = _count(page)
    assert 0 < found <= total
    headings = [h.strip() for h in cards.locator("h2").all_inner_texts()]
    assert headings and any(fragment in h for h in headings), headings
    assert name in headings

    # Filter by the municipality of the first card.
    meta = cards.first.locator("p.meta").first.inner_text()
    municipality = meta.rsplit("·", 1)[1].strip()
    page.fill("#q", "")
    page.select_option("#municipality", label=municipality)
    _search(page)
    expect(page).to_have_url(re.compile(r"[?&]municipality=\w"))
    n_municipality = _count(page)
    assert 0 < n_municipality < total
    for m in cards.locator("p.meta").all_inner_texts()[::2]:
        assert m.rsplit("·", 1)[1].strip() == municipality, m

    # A programme page shows its places.
    card = cards.first
    title = card.locator("h2").inner_text().strip()
    numbers = [int(x) for x in re.findall(r"\d+", card.locator("p:not(.meta)").first.inner_text())]
    places, sen = numbers[0], numbers[1]
    with page.expect_navigation():
        card.locator("h2 a").click()
    expect(page).to_have_url(re.compile(r"/programmes/[^/]+/(\?round=\d+)?$"))
    expect(page.locator("main h1")).to_have_text(title)
    facts = [d.strip() for d in page.locator("dl.facts").first.locator("dd").all_inner_texts()]
    assert str(places) in facts, facts
    assert any(d == str(sen) or d.startswith(f"{sen} ") for d in facts), facts


def _announce(page, server):
    """Step 2: the institution enters places (one wrong first) and submits them."""
    _sign_in(page, server, "college")
    page.goto(server.url("/en/catalogue/announcement/"))
    expect(page.locator("#ann-status")).to_have_text(re.compile("draft"))
    institution = page.locator("main p.meta").first.inner_text().strip()
    assert institution
    round_name = page.locator("main h1").inner_text().split("·")[-1].strip()

    places_inputs = page.locator('input[name^="places-"]')
    codes = [
        n.removeprefix("places-") for n in places_inputs.evaluate_all("els => els.map(e => e.name)")
    ]
    assert codes, "the college has no programmes to announce"
    for code in codes:
        page.locator(f'input[name="places-{code}"]').fill("20")
        page.locator(f'input[name="sen-{code}"]').fill("2")
    bad = codes[0]
    page.locator(f'input[name="places-{bad}"]').fill("3")
    with page.expect_navigation():
        page.locator("button[name=save]").click()
    expect(page.locator(".messages .msg.error").first).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("A13.4(e)")
    expect(page.locator(".messages")).to_contain_text(bad)
    expect(page.locator(f'input[name="places-{bad}"]')).to_have_value("3")
    expect(page.locator("#ann-status")).to_have_text(re.compile("draft"))

    page.locator(f'input[name="places-{bad}"]').fill("20")
    with page.expect_navigation():
        page.locator("button[name=submit]").click()
    expect(page.locator(".messages .msg.success")).to_contain_text("submitted")
    expect(page.locator("#ann-status")).to_contain_text("submitted")
    for code in codes:
        expect(page.locator(f'input[name="places-{code}"]')).to_have_value("20")
        expect(page.locator(f'input[name="places-{code}"]')).to_be_disabled()
    expect(page.locator("button[name=submit]")).to_have_count(0)
    _sign_out(page)
    return institution, codes, round_name


def _row(page, institution):
    return page.locator("main tbody tr").filter(
        has=page.get_by_role("link", name=institution, exact=True)
    )


def _confirm(page, server, institution):
    """Step 3: the quality centre confirms the submitted announcement."""
    _sign_in(page, server, "quality")
    page.goto(server.url("/en/catalogue/review/"))
    row = _row(page, institution)
    expect(row).to_have_count(1)
    expect(row.locator(".status")).to_contain_text("submitted")
    with page.expect_navigation():
        row.get_by_role("link", name=institution, exact=True).click()
    expect(page).to_have_url(re.compile(r"/en/catalogue/review/\d+/$"))
    expect(page.locator("#ann-status")).to_contain_text("submitted")
    with page.expect_navigation():
        page.locator("button[name=confirm]").click()
    if page.locator("#confirm-button").count():
        # places that differ from the authorised numbers are listed on a confirmation step
        # (issue 19) that says it cannot be undone
        expect(page.locator("#confirm-items li").first).to_contain_text("authorised")
        expect(page.locator("#confirm-warning")).to_be_visible()
        with page.expect_navigation():
            page.locator("#confirm-button").click()
    expect(page).to_have_url(re.compile(r"/en/catalogue/review/$"))
    expect(page.locator(".messages .msg.success")).to_have_text("Announcement confirmed.")
    expect(_row(page, institution).locator(".status")).to_contain_text("confirmed")
    _sign_out(page)


def _listed(page, server, institution, round_name) -> list[str]:
    """The codes of the institution's programmes in that round on the public portal."""
    page.goto(server.url("/en/"))
    rounds = page.locator("nav.rounds")
    if rounds.get_by_role("link", name=round_name, exact=True).count():
        with page.expect_navigation():
            rounds.get_by_role("link", name=round_name, exact=True).click()
    if not page.locator("#institution").count():
        return []
    page.select_option("#institution", label=institution)
    _search(page)
    expect(page).to_have_url(re.compile(r"[?&]institution=\w"))
    codes = []
    for card in page.locator("ul.cards li.card").all():
        assert institution in card.locator("p.meta").first.inner_text()
        codes.append(re.search(r"Code (\S+)", card.locator("p.meta").nth(1).inner_text()).group(1))
    return codes


def test_announce_confirm_publish(kari_server, new_page):
    anon = new_page()
    _portal_anonymous(anon, kari_server)

    staff = new_page()
    institution, codes, round_name = _announce(staff, kari_server)

    # Submitted but not yet confirmed: nothing of this institution is public (A13.8).
    assert _listed(new_page(), kari_server, institution, round_name) == []

    _confirm(new_page(), kari_server, institution)

    public = new_page()
    listed = _listed(public, kari_server, institution, round_name)
    assert listed, f"no programme of {institution} on the portal after confirmation"
    assert set(listed) <= set(codes)
    assert _count(public) == len(codes)
    # The same through the search box, by the institution's name.
    public.goto(kari_server.url("/en/"))
    public.fill("#q", institution)
    _search(public)
    assert _count(public) >= len(codes)
    metas = public.locator("ul.cards li.card p.meta").all_inner_texts()
    assert any(institution in m for m in metas), metas


def test_language_switch_round_trip(kari_server, new_page):
    """The header's language button switches to English and back to Georgian, on the same page.

    Switching back to Georgian currently fails: base.html posts next=/en/... to
    /i18n/setlang/, which lives outside i18n_patterns, so Georgian (the unprefixed default)
    is active there and translate_url() cannot resolve the /en/ path; the redirect goes back
    to /en/..., where the URL prefix overrides the new language cookie.
    """
    page = new_page()
    page.goto(kari_server.url("/"))
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    with page.expect_navigation():
        page.locator("ul.cards li.card h2 a").first.click()
    path = re.search(r"/programmes/[^/]+/(\?round=\d+)?$", page.url).group()

    with page.expect_navigation():
        page.locator("form.lang button", has_text="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(kari_server.url("/en" + path))
    expect(page.locator("header nav")).to_contain_text("Programmes")
    expect(page.locator("form.lang button")).to_have_text("ქართული")

    with page.expect_navigation():
        page.locator("form.lang button", has_text="ქართული").click()
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    expect(page).to_have_url(kari_server.url(path))
    expect(page.locator("form.lang button")).to_have_text("English")


def test_portal_on_a_phone(kari_server, new_page, tmp_path):
    page = new_page(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page.goto(kari_server.url("/"))
    expect(page.locator("ul.cards li.card").first).to_be_visible()
    shot = tmp_path / "portal-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] + 1, f"horizontal scroll on a phone: {widths}"
