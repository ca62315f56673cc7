"""Issue 19, point 4: the cabinet leads with the applicant's next step: change the
registration while the window is open, wait for the invitation, then the invitation, the
results (with the re-ranking window), the outcome. And the registration email lists the
ranked programmes, the exam municipality and how to change them, with a link."""

import re

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from kari.catalogue.models import SkillsTest, SubjectGroup
from kari.registration.models import Registration, ScoreRecord, ScoreSource
from tests.registration.conftest import primary, set_window
from tests.registration.test_registration_services import sent_code

pytestmark = pytest.mark.django_db


def registered(client, reg, **over):
    data = primary(**over)
    post = {k: v for k, v in data.items() if k != "programmes"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/en/register/", post | {"programmes": data["programmes"], "action": "submit"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/en/register/confirm/", {"code": sent_code()})
    return Registration.objects.get()


def next_step(html: str) -> str:
    return re.search(r'<section class="next-step".*?</section>', html, re.S).group(0)


def test_the_cabinet_leads_with_the_next_step(client, reg):
    registered(client, reg)
    html = client.get("/en/cabinet/").content.decode()
    step = next_step(html)
    assert html.index('class="next-step"') < html.index('class="card"')  # first
    assert 'data-next="registered"' in step and 'href="/en/register/"' in step
    set_window(reg["round"], registration_opens=-30, registration_closes=-1)
    step = next_step(client.get("/en/cabinet/").content.decode())
    assert 'data-next="waiting"' in step and "exam invitation appears here" in step


def test_published_results_and_the_reranking_window_come_first(client, reg):
    r = registered(client, reg)
    ScoreRecord.objects.create(
        personal_number=r.applicant.personal_number,
        year=r.round.year,
        season=r.round.season,
        registration=r,
        skills_test=SkillsTest.objects.get(code="general"),
        subject_group=SubjectGroup.objects.get(code="G4"),
        scores={"skills_score": "21.5", "georgian": "18"},
        source=ScoreSource.RESULTS,
        recorded_at=timezone.now(),
    )
    set_window(reg["round"], registration_opens=-40, registration_closes=-30, reranking_opens=-1)
    step = next_step(client.get("/en/cabinet/").content.decode())
    assert 'data-next="results"' in step and "21.5" in step and "18" in step
    assert "Re-rank my programmes" in step


def test_the_registration_email_lists_the_programmes_the_municipality_and_how_to_change(
    client, reg, settings
):
    settings.KARI_PUBLIC_URL = "http://127.0.0.1:8123"
    r = registered(client, reg, programmes=["CAT-2", "CAT-1"])
    message = [m for m in mail.outbox if r.number in m.subject][-1]
    body = message.body
    cat1, cat2 = reg["progs"]["CAT-1"], reg["progs"]["CAT-2"]
    assert body.index(f"1. {cat2.name_ka} (CAT-2)") < body.index(f"2. {cat1.name_ka} (CAT-1)")
    assert r.exam_municipality.name_ka in body and r.exam_municipality.name_en in body
    closes = f"{r.round.registration_closes:%d.%m.%Y}"
    assert f"by {closes}, sign in" in body
    assert "http://127.0.0.1:8123/cabinet/" in body and "http://127.0.0.1:8123/en/cabinet/" in body
