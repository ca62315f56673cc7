"""End to end in Chromium on ``kari demo --phase final-lists``: the results are published, the
re-ranking window closed yesterday and EMIS froze the final lists today. NAEC builds the ranking,
reads the draft and approves it after a confirmation (A27.1); the documents are signed (A27.5);
the demo college downloads its programme's signed PDF, which ``kari ranking verify`` accepts;
the applicant ranked lowest on the busiest programme reads, on a phone in Georgian, why.

The build and the signing run in the background from the web (kari.tasks); this journey starts
them from the command line, through the same services, so that it does not wait on the worker.
"""

import io
import json
import re
import time

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import staff_sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@pytest.fixture(scope="module")
def demo_args():
    return ["--phase", "final-lists", "--applicants", "120", "--people", "300"]


def _demo_value(server, label: str) -> str:
    m = re.search(rf"^\s+{re.escape(label)}: (.+)$", server.demo_output, re.M)
    assert m, f"`kari demo` did not print {label!r}:\n{server.demo_output}"
    return m.group(1).strip()


def _kari(server, *args: str, timeout: float = 600) -> str:
    """`kari ...` on the demo's SQLite database, again when the worker beside the server held
    the write lock too long (a loaded machine; SQLite has one writer at a time)."""
    for attempt in range(3):
        try:
            return server.kari(*args, timeout=timeout)
        except AssertionError as exc:
            if "database is locked" not in str(exc) or attempt == 2:
                raise
            time.sleep(2)
    raise AssertionError("unreachable")


def _outbox(server) -> list[dict]:
    path = server.workdir / "sms-outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def _code_after(server, after: int) -> str:
    deadline = time.monotonic() + 15
    while True:
        lines = _outbox(server)[after:]
        if lines:
            return CODE.search(lines[-1]["text"]).group(1)
        assert time.monotonic() < deadline, "no SMS with a one-time code"
        time.sleep(0.2)


def test_A27_naec_approves_the_institution_downloads_and_the_applicant_reads_why(
    kari_server, new_page, tmp_path
):
    server = kari_server
    round_id = _demo_value(server, "ranking round id")
    code = _demo_value(server, "busiest programme (cut-off and explanations)")
    person = _demo_value(server, "applicant below its cut-off")

    # NAEC builds the draft (A27.1), then reads it and approves it on the web.
    out = _kari(server, "ranking", "build", "--user", "naec", "--round", round_id)
    assert "admitted" in out
    naec = new_page()
    staff_sign_in(naec, server, "naec")
    naec.goto(server.url(f"/ranking/?round={round_id}"))
    expect(naec.locator("html")).to_have_attribute("lang", "ka")
    expect(naec.locator("main")).to_contain_text("ამტკიცებს")  # the approval deadline (A27.1)
    with naec.expect_navigation():
        naec.locator("main table a").first.click()  # the draft, version 1
    expect(naec.locator("main dl.facts")).to_contain_text("120")  # applicants ranked
    with naec.expect_navigation():
        naec.get_by_role("link", name="დამტკიცება").click()
    # the confirmation is required before the irreversible step (the server checks it too)
    confirm = naec.locator("main input[type=checkbox]")
    expect(confirm).to_have_attribute("required", "")
    confirm.check()
    with naec.expect_navigation():
        naec.get_by_role("button", name="დამტკიცება").click()
    expect(naec.locator(".messages")).to_contain_text("დამტკიცებულია")

    # A27.5: NAEC's signature on every programme's list (in the background on the web).
    _kari(server, "ranking", "sign", "--user", "naec", "--round", round_id)

    # The demo college downloads its programme's signed list; Kari verifies the signature.
    college = new_page()
    staff_sign_in(college, server, "college")
    college.goto(server.url(f"/ranking/documents/?round={round_id}"))
    link = college.locator("main table a", has_text=code)
    with college.expect_download() as dl:
        link.click()
    pdf = tmp_path / "list.pdf"
    dl.value.save_as(pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert code in text
    assert "valid: signed by" in server.kari("ranking", "verify", str(pdf))
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(data[:2000] + bytes([data[2000] ^ 1]) + data[2001:])
    with pytest.raises(AssertionError, match="NOT VALID"):
        server.kari("ranking", "verify", str(tampered))

    # The applicant reads the outcome and why, on a phone, in Georgian.
    phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(server.url("/cabinet/sign-in/"))
    expect(phone.locator("html")).to_have_attribute("lang", "ka")
    phone.fill("#id_personal_number", person)
    mark = len(_outbox(server))
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    phone.fill("#id_code", _code_after(server, mark))
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/cabinet/$"))
    outcome = phone.locator("main section.outcome")
    expect(outcome).to_contain_text("თქვენი შედეგი")
    # the first choice: its cut-off, and that the applicant's score was lower
    first = outcome.locator("ol.explanations li").first
    expect(first).to_have_attribute("value", "1")
    expect(first).to_contain_text(re.compile(r"\d"))
    sizes = phone.evaluate(
        "() => ({s: document.documentElement.scrollWidth, c: document.documentElement.clientWidth})"
    )
    assert sizes["s"] <= sizes["c"], sizes
