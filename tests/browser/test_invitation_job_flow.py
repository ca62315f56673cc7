"""End to end in Chromium (``kari demo --phase distribution``): EMIS looks at the distribution
(A17.2: preferred municipality kept, distance histogram), issues the invitations (A17.3) and
watches the bulk job's progress page until every card is rendered."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_args():
    return ["--phase", "distribution", "--applicants", "300"]


def test_A17_3_emis_issues_the_invitations_and_follows_the_progress_page(kari_server, new_page):
    page = new_page()
    staff_sign_in(page, kari_server, "emis")
    page.goto(kari_server.url("/exams/"))
    expect(page.locator("main")).to_contain_text("მუხ. 17.2 „ა“")
    expect(page.locator("form#distribute")).to_have_count(1)  # a draft may be re-run
    with page.expect_navigation():
        page.locator("a[href*='/exams/distributions/']").first.click()
    expect(page.locator("svg.histogram desc")).to_have_count(1)
    assert "კმ" in page.locator("svg.histogram desc").text_content()
    with page.expect_navigation():
        page.locator("form[action$='/issue/'] button").click()
    # a confirmation step: what will happen, and that it cannot be undone
    expect(page.locator("#confirm-consequences")).to_contain_text("300")
    expect(page.locator("#confirm-warning")).to_be_visible()
    with page.expect_navigation(url=re.compile(r"/exams/jobs/\d+/$")):
        page.locator("#confirm-button").click()
    bar = page.locator("progress#job-progress")
    expect(bar).to_have_attribute("max", "300")
    # progress.js polls the job and reloads the page when it ends
    expect(page.locator("#job-status")).to_have_text(re.compile("დასრულდა"), timeout=120_000)
    expect(bar).to_have_attribute("value", "300")
    expect(page.locator("#job-done")).to_have_text("300")
    # issuing made the distribution final: it can no longer be re-run (A17.3)
    page.goto(kari_server.url("/exams/"))
    expect(page.locator("main")).to_contain_text("300/300")
    expect(page.locator("form#distribute")).to_have_count(0)
