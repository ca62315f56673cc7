"""End to end in Chromium, in the Georgian UI, on the demo's running round: an applicant with
special educational needs registers online with three programmes (A37); the demo college
records the documents (A37.10); the ministry closes the window (`kari sen schedule`) and
distributes the applicants to the college's SEN exam centre (A39); the college's head creates
the exam commission, which scores the practical trial and sends the results (A40.3-A40.7);
the ministerial commission places the applicant within the reserved places (A40.8) and the
ministry signs and publishes the act (A40.9, A40.10); EMIS opens the placement for enrolment
and the college's head fixes the documents' deadline and the day studies begin (A41.1, A41.2).
axe-core checks every page."""

import datetime as dt
import io
import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import staff_sign_in
from tests.browser.conftest import today as kari_today

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
E164 = "+995599000777"
AXE_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="module")
def demo_args():
    return ["--people", "300"]


@pytest.fixture(scope="module", autouse=True)
def patient_demo():
    """The demo build gets up to 15 minutes on a loaded machine (set up before `kari_server`).
    pytest loads tests/browser/conftest.py under its own module name: patch every copy."""
    import sys

    classes = {
        m.KariServer
        for m in list(sys.modules.values())
        if getattr(m, "__file__", None)
        and m.__file__.endswith("browser/conftest.py")
        and hasattr(m, "KariServer")
    }
    originals = {cls: cls.kari for cls in classes}
    for cls, original in originals.items():

        def kari(self, *args, timeout=120, _original=original):
            return _original(self, *args, timeout=max(timeout, 900))

        cls.kari = kari
    yield
    for cls, original in originals.items():
        cls.kari = original


class Axe:
    """axe-core on every page shown (the same check as the UX journeys'): a serious or
    critical violation fails the test."""

    def __init__(self):
        import axe_playwright_python

        self.script = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
        self.violations: list[str] = []
        self.checked: list[str] = []

    def check(self, page) -> None:
        if page.is_closed() or not page.url.startswith("http"):
            return
        if page.evaluate("() => window.__senAxed === true || document.contentType !== 'text/html'"):
            return
        page.evaluate("() => { window.__senAxed = true; }")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.script)
        found = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
            ".map(v => ({id: v.id, impact: v.impact, t: v.nodes.slice(0, 3)"
            ".map(n => n.target.join(' '))})))"
        )
        self.checked.append(page.url)
        for v in found:
            if v["impact"] in AXE_IMPACTS:
                self.violations.append(f"{page.url}: {v['id']} ({v['impact']}) {v['t']}")

    def watch(self, page):
        goto, expect_navigation = page.goto, page.expect_navigation

        def checked_goto(*a, **k):
            self.check(page)
            return goto(*a, **k)

        def checked_expect_navigation(*a, **k):
            self.check(page)
            return expect_navigation(*a, **k)

        page.goto, page.expect_navigation = checked_goto, checked_expect_navigation
        return page


def _outbox(server) -> list[dict]:
    path = server.workdir / "sms-outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def _code_sent_to(server, e164: str, after: int) -> str:
    deadline = time.monotonic() + 15
    while True:
        lines = [m for m in _outbox(server)[after:] if m["to"] == e164]
        if lines:
            return CODE.search(lines[-1]["text"]).group(1)
        assert time.monotonic() < deadline, f"no SMS to {e164}"
        time.sleep(0.2)


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _download(page, link) -> bytes:
    with page.expect_download() as d:
        link.click()
    with open(d.value.path(), "rb") as f:
        return f.read()


def test_A37_A40_sen_applicant_registers_is_tried_and_placed_by_the_published_act(
    kari_server, new_page
):
    server = kari_server
    axe = Axe()
    people = json.loads((server.workdir / "civil-registry.json").read_text("utf-8"))
    person = people[150]
    today = kari_today()

    # The demo college's name, as its staff see it.
    college = axe.watch(new_page())
    staff_sign_in(college, server, "college")
    college.goto(server.url("/staff/sen/institution/"))
    college_name = college.locator("main p.meta").inner_text().split(" · ")[0].strip()

    # 1. The applicant registers online on a phone, with three programmes of the college.
    phone = axe.watch(new_page(viewport=PHONE, is_mobile=True, has_touch=True))
    phone.goto(server.url("/sen/"))
    expect(phone.locator("html")).to_have_attribute("lang", "ka")
    expect(phone.locator("h1")).to_contain_text("სპეციალური საგანმანათლებლო საჭიროების მქონე")
    options = phone.locator("#id_programme_1 option").evaluate_all(
        "os => os.map(o => [o.value, o.textContent])"
    )
    ours = [v for v, label in options if v and college_name in label][:3]
    assert len(ours) == 3, options[:5]
    phone.fill("#id_personal_number", person["personal_number"])
    phone.fill("#id_document_number", person["document_number"])
    phone.fill("#id_phone", E164)
    phone.fill("#id_email", "sen.journey@example.ge")
    for i, code in enumerate(ours, 1):
        phone.select_option(f"#id_programme_{i}", code)
    mark = len(_outbox(server))
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/sen/confirm/$"))
    phone.fill("#id_code", _code_sent_to(server, E164, mark))
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/sen/registered/$"))
    number = phone.locator("#sen-number").inner_text().strip()
    expect(phone.locator("#sen-programmes li")).to_have_count(3)
    expect(phone.locator("#documents-due")).to_contain_text("4 სამუშაო დღის")
    sizes = phone.evaluate(
        "() => ({s: document.documentElement.scrollWidth, c: document.documentElement.clientWidth})"
    )
    assert sizes["s"] <= sizes["c"], sizes
    axe.check(phone)
    printout = _pdf_text(_download(phone, phone.locator("#printout")))
    assert number in printout and "აუდიოგრამა" in printout

    # 2. The college records the expert conclusion (three signatures) as received.
    college.goto(server.url("/staff/sen/institution/"))
    with college.expect_navigation():
        college.get_by_role("link", name=number).click()
    college.select_option("#id_kind", "conclusion")
    college.fill("#id_received_on", today.isoformat())
    college.fill("#id_signatures", "2")
    with college.expect_navigation():
        college.locator("main form button[type=submit]").click()
    expect(college.locator("#error-summary")).to_be_focused()
    college.fill("#id_signatures", "3")
    with college.expect_navigation():
        college.locator("main form button[type=submit]").click()
    expect(college.locator(".messages")).to_contain_text("მიღებულად")

    # 3. The minister's schedule: the window closed yesterday, the trials are today.
    server.kari(
        "sen",
        "schedule",
        "--user",
        "sen-ministry",
        "--opens",
        (today - dt.timedelta(days=10)).isoformat(),
        "--closes",
        (today - dt.timedelta(days=1)).isoformat(),
        "--test-starts",
        today.isoformat(),
        "--test-ends",
        (today + dt.timedelta(days=1)).isoformat(),
        "--max-minutes",
        "120",
    )

    # 4. The ministry's unit distributes the SEN applicants to the college's exam centre.
    ministry = axe.watch(new_page())
    staff_sign_in(ministry, server, "sen-ministry")
    ministry.goto(server.url("/staff/sen/ministry/"))
    expect(ministry.locator("main")).to_contain_text(number)
    ministry.goto(server.url("/staff/sen/ministry/hosts/"))
    ministry.fill("#id_number", "SEN-ც-07/2026")  # A39.1: the minister's act, its number
    ministry.get_by_label(college_name, exact=True).check()  # (a) the host institutions
    for select in ministry.locator("main select").all():
        select.select_option(label=college_name)
    with ministry.expect_navigation():
        ministry.locator("main form button[type=submit]").click()
    expect(ministry.locator("main")).to_contain_text("SEN-ც-07/2026")  # the confirmation
    with ministry.expect_navigation():
        ministry.locator("main button[name=confirm]").click()
    expect(ministry.locator(".messages")).to_contain_text("ჩაწერილია")

    # 5. The college's head creates the exam commission (A40.3).
    college.goto(server.url("/staff/sen/host/"))
    college.fill("#id_act_number", "SEN-კ-7")
    college.locator("main input[name=members]").first.check()
    with college.expect_navigation():
        college.locator("main form button[type=submit]").first.click()
    expect(college.locator(".messages")).to_contain_text("კომისია შეიქმნა")
    with college.expect_navigation():  # A39.2: the host acquaints the applicants with the act
        college.get_by_role("button", name="აპლიკანტებისათვის აქტის გაცნობა").click()
    expect(college.locator(".messages")).to_contain_text("აქტი და საგამოცდო ცენტრის მისამართი")

    # 6. The commission scores the practical trial and sends the results (A40.4-A40.7).
    trial = axe.watch(new_page())
    staff_sign_in(trial, server, "sen-trial")
    trial.goto(server.url("/staff/sen/host/"))
    row = trial.locator("main tr", has_text=number)
    with trial.expect_navigation():
        row.get_by_role("link", name=ours[0]).click()
    expect(trial.locator("main")).to_contain_text("რეგისტრაციის დრო")
    trial.fill("#id_tested_on", today.isoformat())
    trial.fill("#id_minutes", "150")
    trial.check("#id_recommended_0")
    trial.fill("#id_reasons", "პროგრამის მოთხოვნები, დასკვნა და ინტერესები გათვალისწინებულია.")
    trial.fill("#id_documents_analysis", "დასკვნა და ცნობები წარმოდგენილია.")  # A40.7
    for score in trial.locator("main input[name^=activity_]").all():  # A40.4: the form's
        score.fill("9")
    with trial.expect_navigation():
        trial.locator("main form button[type=submit]").click()
    expect(trial.locator("#error-summary")).to_be_focused()  # over the 120-minute maximum
    trial.fill("#id_minutes", "90")
    with trial.expect_navigation():
        trial.locator("main form button[type=submit]").click()
    expect(trial.locator(".messages")).to_contain_text("შეფასდა")
    expect(trial.locator("table.recommendation").first).to_contain_text(number)
    with trial.expect_navigation():
        trial.get_by_role("button", name="სამინისტროსთვის გაგზავნა").click()
    # it cannot be undone: a confirmation first, saying how many results go (nothing sent yet)
    expect(trial.locator("#confirm-title")).to_contain_text("სამინისტროს")
    expect(trial.locator("#confirm-consequences")).to_contain_text("1 ტესტირების შედეგი")
    expect(trial.locator("#confirm-cancel")).to_be_visible()
    with trial.expect_navigation():
        trial.locator("#confirm-button").click()
    expect(trial.locator(".messages")).to_contain_text("სამინისტროს გაეგზავნა")

    # 7. The ministerial commission places the applicant within the reserved places (A40.8).
    commission = axe.watch(new_page())
    staff_sign_in(commission, server, "sen-commission")
    commission.goto(server.url("/staff/sen/ministry/distribution/"))
    commission.locator(f"main input[type=radio][value='{ours[0]}']").first.check()
    commission.fill("#id_number", "SEN-07/2026")
    with commission.expect_navigation():
        commission.locator("main form button[type=submit]").click()
    expect(commission.locator(".messages")).to_contain_text("გადანაწილებულია")

    # 8. The ministry signs and publishes the act (A40.9, A40.10): public, signed, masked.
    ministry.goto(server.url("/staff/sen/ministry/"))
    with ministry.expect_navigation():
        ministry.get_by_role("link", name="აქტის ხელმოწერა და გამოქვეყნება").click()
    with ministry.expect_navigation():
        ministry.locator("#issue-act").click()
    expect(ministry).to_have_url(re.compile(r"/sen/acts/[^/]+/$"))
    public = axe.watch(new_page())
    public.goto(ministry.url)
    name = f"{person['first_name_ka']} {person['last_name_ka']}"
    expect(public.locator("main")).to_contain_text(name)
    expect(public.locator("main")).not_to_contain_text(person["personal_number"])
    act = _download(public, public.locator("#act-pdf"))
    assert b"/ByteRange" in act  # signed (PAdES) with the ministry's key
    text = _pdf_text(act)
    assert "SEN-07/2026" in text and person["last_name_ka"] in text
    assert person["personal_number"] not in text
    public.goto(server.url("/sen/acts/"))
    expect(public.locator("main")).to_contain_text("SEN-07/2026")

    # 9. EMIS opens the act's placement for enrolment (A41); the college's head fixes the
    # enrolment documents' deadline within 5 days of the act and the day studies begin
    # (A41.1, A41.2) on the head's page.
    emis = axe.watch(new_page())
    staff_sign_in(emis, server, "emis")
    emis.goto(server.url("/enrolment/entries/"))
    with emis.expect_navigation():
        emis.locator("main form button[type=submit]").click()
    college.goto(server.url("/enrolment/sen/"))
    expect(college.locator("main")).to_contain_text("SEN-07/2026")
    with college.expect_navigation():
        college.locator("main table a[href*='/enrolment/sen/']").first.click()
    expect(college.locator("main")).to_contain_text("5 დღის")
    college.fill("#id_act_number", "ბ-41")  # the head's act (A41.1); dated today by default
    college.fill("#id_submit_until", (today + dt.timedelta(days=3)).isoformat())
    college.fill("#id_studies_start", "")
    if college.locator("#id_documents").count():
        college.fill("#id_documents", "პირადობის მოწმობის ასლი")
        college.fill("#id_duration_months", "12")
    with college.expect_navigation():
        college.locator("main form button[type=submit]").click()
    expect(college.locator("#error-summary")).to_be_focused()  # the day studies begin
    college.fill("#id_studies_start", (today + dt.timedelta(days=30)).isoformat())
    with college.expect_navigation():
        college.locator("main form button[type=submit]").click()
    expect(college).to_have_url(re.compile(r"/enrolment/sen/$"))
    expect(college.locator("main")).to_contain_text(
        (today + dt.timedelta(days=30)).strftime("%d.%m.%Y")
    )

    for page in (phone, college, ministry, trial, commission, public, emis):
        axe.check(page)
    assert len(axe.checked) >= 14, axe.checked
    assert not axe.violations, "axe-core:\n" + "\n".join(dict.fromkeys(axe.violations))
