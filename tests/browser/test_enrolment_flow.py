"""End to end in Chromium, in the Georgian UI, on the demo's enrolment phase: a placed
applicant uploads the documents on a phone (A29.1); the demo college marks them received,
signs the contract and issues the signed act, and downloads both in Georgian (A29.2); the
applicant then sees "enrolled" in the cabinet."""

import datetime as dt
import io
import json
import re
import time

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import staff_sign_in
from tests.browser.conftest import today as kari_today

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
PLACED = 36  # kari.demo.enrolment.PLACED: the first people of the civil registry


@pytest.fixture(scope="module")
def demo_args():
    return ["--phase", "enrolment", "--people", "300"]


def _people(server) -> list[dict]:
    return json.loads((server.workdir / "civil-registry.json").read_text("utf-8"))


def _outbox(server) -> list[dict]:
    path = server.workdir / "sms-outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def _code_sent_to(server, e164: str, after: int) -> str:
    deadline = time.monotonic() + 10
    while True:
        lines = [m for m in _outbox(server)[after:] if m["to"] == e164]
        if lines:
            return CODE.search(lines[-1]["text"]).group(1)
        assert time.monotonic() < deadline, f"no SMS to {e164}"
        time.sleep(0.2)


def _minor(person) -> bool:
    born, today = dt.date.fromisoformat(person["birth_date"]), kari_today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day)) < 18


def _pdf_text(download) -> str:
    with open(download.path(), "rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF-")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_A29_applicant_uploads_on_a_phone_and_the_institution_enrols(
    kari_server, new_page, tmp_path
):
    server = kari_server
    people = _people(server)
    person, e164 = people[0], "+995590000000"  # kari.demo.enrolment: phone of the n-th placed

    # The applicant signs in on a phone and uploads every document.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(server.url("/cabinet/sign-in/"))
    expect(phone.locator("html")).to_have_attribute("lang", "ka")
    phone.fill("#id_personal_number", person["personal_number"])
    mark = len(_outbox(server))
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    phone.fill("#id_code", _code_sent_to(server, e164, mark))
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/cabinet/$"))
    with phone.expect_navigation():
        phone.get_by_role("link", name=re.compile("ჩარიცხვა")).first.click()
    expect(phone).to_have_url(re.compile(r"/cabinet/enrolment/$"))
    card = phone.locator("main section.card").first
    expect(card).to_contain_text("შემდეგი ნაბიჯი")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n% a scanned document\n")
    for _n in range(3):
        file_input = card.locator("input[type=file]").first
        file_input.set_input_files(str(scan))
        with phone.expect_navigation():
            card.locator("form button[type=submit]").first.click()
        expect(phone.locator(".messages")).to_contain_text("ატვირთულია")
        card = phone.locator("main section.card").first
    expect(card.locator("input[type=file]")).to_have_count(0)
    sizes = phone.evaluate(
        "() => ({s: document.documentElement.scrollWidth, c: document.documentElement.clientWidth})"
    )
    assert sizes["s"] <= sizes["c"], sizes

    # The demo college checks the documents, signs the contract and issues the act.
    staff = new_page()
    staff_sign_in(staff, server, "college")
    staff.goto(server.url("/enrolment/"))
    name = f"{person['first_name_ka']} {person['last_name_ka']}"
    with staff.expect_navigation():
        staff.get_by_role("link", name=name).click()
    for _n in range(3):
        with staff.expect_navigation():
            staff.locator("button[name=received][value='1']").first.click()
    staff.select_option("#id_c-funding", "voucher")
    if _minor(person):
        adult = next(p for p in people[PLACED:] if not _minor(p))
        staff.fill("#id_c-representative_personal_number", adult["personal_number"])
        staff.fill("#id_c-representative_relation", "დედა")
    with staff.expect_navigation():
        staff.get_by_role("button", name="ხელშეკრულების გაფორმება").click()
    expect(staff.locator(".messages")).to_contain_text("ხელშეკრულება გაფორმებულია")
    with staff.expect_download() as contract:
        staff.get_by_role("link", name="ხელშეკრულების ჩამოტვირთვა (PDF)").click()
    text = _pdf_text(contract.value)
    assert "ხელშეკრულება" in text and person["last_name_ka"] in text

    staff.goto(server.url("/enrolment/act/"))
    expect(staff.locator("main")).to_contain_text(name)
    with staff.expect_navigation():
        staff.get_by_role("button", name="აქტის გამოცემა და ხელმოწერა").click()
    act_link = staff.locator("main a[href*='/enrolment/act/'][href$='.pdf']").first  # newest
    with staff.expect_download() as act:
        act_link.click()
    with open(act.value.path(), "rb") as f:
        data = f.read()
    assert b"/ByteRange" in data  # signed (PAdES)
    act_text = _pdf_text(act.value)
    assert "ჩარიცხვის" in act_text and person["last_name_ka"] in act_text
    assert "გასაჩივრების" in act_text

    # The applicant sees "enrolled".
    phone.reload()
    status = phone.locator("main section.card").first.locator("[data-status]")
    expect(status).to_have_attribute("data-status", "enrolled")
    expect(status).to_have_text("ჩარიცხულია")
