"""Issue 19, point 4: once the ranking is approved, the cabinet leads with the outcome."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _applicant_session(client, applicant):
    session = client.session
    session["kari_applicant"] = applicant.pk
    session.save()


def test_the_outcome_is_the_next_step_once_the_ranking_is_approved(rb, client):
    p, q = rb.programme("P-1", 1), rb.programme("P-2", 5)
    rb.applicant(30, [p])
    me = rb.applicant(10, [p, q])
    out = rb.applicant(5, [p])
    rb.rank(approve=True)
    _applicant_session(client, me.applicant)
    html = client.get("/en/cabinet/").content.decode()
    step = re.search(r'<section class="next-step".*?</section>', html, re.S).group(0)
    assert html.index('class="next-step"') < html.index('class="card"')
    assert 'data-next="admitted"' in step and q.name in step
    assert 'href="/en/cabinet/enrolment/"' in step
    _applicant_session(client, out.applicant)
    step = re.search(
        r'<section class="next-step".*?</section>',
        client.get("/en/cabinet/").content.decode(),
        re.S,
    ).group(0)
    assert 'data-next="not_admitted"' in step and f'href="#outcome-{out.pk}"' in step
