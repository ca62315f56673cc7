"""The staff pages of exam logistics over HTTP, with the behaviour they show."""

import datetime as dt
import re

import pytest

from kari.accounts.roles import Role
from kari.exams import services
from kari.exams.models import Distribution, ExamCentre, ExamSession
from kari.rounds.deadlines import deadline
from tests.conftest import sign_in


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_A17_2_a_emis_home_lists_the_deadlines(exam_world, client):
    sign_in(client, exam_world["emis"])
    html = _html(client.get("/exams/"))
    r = exam_world["round"]
    due = deadline(r, "centres_to_naec")
    row = re.search(r"<tr><td>მუხ\. 17\.2 „ა“</td>.*?</tr>", html, re.S)  # A17.2(a) in Georgian
    assert row and f"{due.date:%d.%m.%Y}" in row.group(0)
    assert f"{deadline(r, 'results').date:%d.%m.%Y}" in html  # A26.1
    assert "/exams/handover/registration_data.csv" in html  # EMIS may export
    assert 'action="/exams/distribute/' in html


def test_A12_3_a_registration_clerk_gets_403(exam_world, client):
    sign_in(client, exam_world["users"][Role.REGISTRATION_CLERK])
    assert client.get("/exams/").status_code == 403
    assert client.get("/exams/sessions/").status_code == 403


def test_pages_need_a_staff_sign_in(exam_world, client):
    response = client.get("/exams/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_A17_2_distribution_page_shows_the_preferred_count_and_a_described_histogram(
    exam_world, client
):
    d = services.distribute(exam_world["emis"], exam_world["round"])
    sign_in(client, exam_world["emis"])
    html = _html(client.get(f"/exams/distributions/{d.pk}/"))
    facts = re.search(r'<dl class="facts">(.*?)</dl>', html, re.S).group(1)
    values = re.findall(r"<dt>.*?</dt><dd>(.*?)</dd>", facts, re.S)
    assert values[0] == "10"  # placed
    assert int(values[1]) == d.stats["preferred"] == 7  # in their preferred municipality
    svg = re.search(r"<svg[^>]*role=\"img\".*?</svg>", html, re.S)
    assert svg is not None
    desc = re.search(r"<desc id=\"h-desc\">(.*?)</desc>", svg.group(0), re.S)
    assert desc and "0 კმ: 7" in desc.group(1)  # seven applicants travel 0 km (კმ)
    assert svg.group(0).count("<rect") == len(d.stats["histogram"])
    assert "KU-1" in html and "TB-1" in html
    assert f'action="/exams/distributions/{d.pk}/issue/"' in html  # EMIS may issue a draft


def test_A12_3_e_centres_page(exam_world, client):
    sign_in(client, exam_world["emis"])
    html = _html(client.get("/exams/centres/"))
    for c in exam_world["centres"]:
        assert f'href="/exams/centres/{c.pk}/"' in html and c.address in html
    assert 'href="/exams/centres/new/"' in html


def test_A12_7_host_manager_sees_only_its_centres(exam_world, client):
    sign_in(client, exam_world["host_manager"])
    html = _html(client.get("/exams/centres/"))
    assert "TB-1" in html and "TB-2" in html and "KU-1" not in html
    assert 'href="/exams/centres/new/"' not in html
    ku1 = ExamCentre.objects.get(code="KU-1")
    assert client.get(f"/exams/centres/{ku1.pk}/").status_code == 403
    assert client.get("/exams/centres/new/").status_code == 403


def test_A12_3_e_emis_adds_a_centre_over_http_with_errors_on_the_form(exam_world, client):
    sign_in(client, exam_world["emis"])
    from kari.catalogue.models import Municipality

    data = {
        "code": "BT-1",
        "name_ka": "ცენტრი ბათუმი",
        "name_en": "Batumi centre",
        "host": exam_world["host"].pk,
        "municipality": Municipality.objects.get(code="tbilisi").pk,
        "address": "გორგილაძის ქუჩა 1",
        "seats": 0,
        "sessions_per_day": 3,
        "active": "on",
    }
    html = _html(client.post("/exams/centres/new/", data))
    assert not ExamCentre.objects.filter(code="BT-1").exists()
    assert 'id="id_seats_error"' in html  # the error is shown on the seats field
    response = client.post("/exams/centres/new/", {**data, "seats": 25})
    assert response.status_code == 302
    assert ExamCentre.objects.get(code="BT-1").seats == 25


def test_A18_1_sessions_page_shows_the_form_to_naec_only(exam_world, client):
    url = f"/exams/sessions/?round={exam_world['round'].pk}"
    sign_in(client, exam_world["naec"])
    html = _html(client.get(url))
    assert 'name="starts_at"' in html and 'name="check_in_opens"' in html
    assert html.count("/delete/") == len(exam_world["sessions"])
    assert "07:30–08:45" in html
    client.logout()
    sign_in(client, exam_world["emis"])
    html = _html(client.get(url))
    assert 'name="starts_at"' not in html and "/delete/" not in html
    assert "07:30–08:45" in html
    assert client.post(url, {}).status_code == 403  # EMIS cannot add sessions (A12.4)


def _csrf(client, html):
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def test_A18_1_naec_adds_a_session_through_a_csrf_protected_form(exam_world, client):
    """The client enforces CSRF here, as a browser would: without the token the POST fails."""
    url = f"/exams/sessions/?round={exam_world['round'].pk}"
    sign_in(client, exam_world["naec"])
    client.handler.enforce_csrf_checks = True
    html = _html(client.get(url))
    tomorrow = exam_world["today"] + dt.timedelta(days=1)
    data = {
        "date": tomorrow.isoformat(),
        "starts_at": "10:00",
        "check_in_opens": "08:30",
        "check_in_closes": "09:45",
        "duration_minutes": 90,
        "skills_test": exam_world["progs_a"][0].skills_test.pk,
    }
    before = ExamSession.objects.count()
    assert client.post(url, data).status_code == 403
    assert ExamSession.objects.count() == before
    response = client.post(url, {**data, "csrfmiddlewaretoken": _csrf(client, html)})
    assert response.status_code == 302
    s = ExamSession.objects.get(date=tomorrow)
    assert s.starts_at == dt.time(10, 0)
    # an overlapping one is refused and the form names the field
    html = _html(
        client.post(
            url,
            {
                **data,
                "starts_at": "11:00",
                "check_in_closes": "10:30",
                "csrfmiddlewaretoken": _csrf(client, html),
            },
        )
    )
    assert ExamSession.objects.filter(date=tomorrow).count() == 1
    assert 'id="id_starts_at_error"' in html and "10:00" in html


def test_A17_2_emis_distributes_over_http_in_the_background_with_a_progress_page(
    exam_world, client
):
    """The web queues the distribution as a task; here the worker's loop runs it in this
    process once the progress page has been shown."""
    from kari.tasks.worker import run_pending

    sign_in(client, exam_world["emis"])
    client.handler.enforce_csrf_checks = True
    html = _html(client.get("/exams/"))
    response = client.post(
        f"/exams/distribute/?round={exam_world['round'].pk}",
        {"csrfmiddlewaretoken": _csrf(client, html)},
    )
    assert response.status_code == 302 and "/exams/distribute/" in response["Location"]
    page = _html(client.get(response["Location"]))
    assert "<progress" in page and 'role="status"' in page  # waiting
    run_pending()
    response = client.get(response["Location"])
    d = Distribution.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exams/distributions/{d.pk}/"
    assert d.run_by == exam_world["emis"] and d.assignments.count() == 10


def test_A17_2_a_failed_background_run_shows_the_reason(exam_world, client):
    from kari.exams import services
    from kari.exams.models import DistributionJob

    sign_in(client, exam_world["emis"])
    from kari.catalogue.models import Municipality

    response = client.post(f"/exams/distribute/?round={exam_world['round'].pk}")
    Municipality.objects.filter(code="kutaisi").update(lat=None, lon=None)  # bad centre data
    job = services.run_distribution_job(DistributionJob.objects.get().pk)
    assert job.status == "failed" and job.result is None
    page = _html(client.get(response["Location"]))
    assert 'role="alert"' in page and "KU-1" in page  # the page names the centre to fix
    assert DistributionJob.objects.get().error == job.error


def test_A17_2_naec_cannot_distribute_over_http(exam_world, client):
    sign_in(client, exam_world["naec"])
    assert client.post(f"/exams/distribute/?round={exam_world['round'].pk}").status_code == 403
    assert not Distribution.objects.exists()


def test_A19_proctor_home_lists_todays_sessions(issued, client):
    sign_in(client, issued["proctor"])
    html = _html(client.get("/exams/proctor/"))
    centre, session = issued["centres"][0], issued["sessions"][0]
    assert f"/exams/proctor/{centre.pk}/{session.pk}/" in html


def test_A17_2_a_running_distribution_blocks_another_until_it_is_stale(exam_world):
    from django.utils import timezone

    from kari.errors import RuleError
    from kari.exams.models import DistributionJob

    job = services.start_distribution(exam_world["emis"], exam_world["round"])
    with pytest.raises(RuleError, match="მუხ. 17.2"):
        services.start_distribution(exam_world["emis"], exam_world["round"])
    DistributionJob.objects.filter(pk=job.pk).update(
        status="running", started_at=timezone.now() - dt.timedelta(hours=1)
    )  # its process died
    assert services.start_distribution(exam_world["emis"], exam_world["round"]).pk != job.pk
