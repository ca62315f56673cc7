"""A26.2: publishing the results tells every applicant by email and SMS and cannot be undone,
so the first POST only asks (GOV.UK "confirm"): it names the round and how many applicants will
be told, and publishes nothing; the confirmed POST publishes once."""

import pytest

from kari.outbox.models import Message
from kari.ranking.models import ResultsPublication
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_A26_2_publishing_asks_first_and_publishes_only_once_confirmed(rb, client):
    p = rb.programme("P-1", 5)
    rb.applicant(20, [p])
    rb.applicant(None, [p], status="absent")
    rb.applicant(30, [p])
    rb.publish_results()
    messages = Message.objects.count()
    sign_in(client, rb.naec)  # only EMIS publishes: NAEC is not even asked
    assert client.post("/ranking/publish/", {"round": rb.round.pk}).status_code == 403
    client.logout()
    sign_in(client, rb.emis)

    page = client.post("/ranking/publish/", {"round": rb.round.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert not ResultsPublication.objects.exists()
    assert Message.objects.count() == messages  # nobody is told yet
    assert 'id="confirm-title"' in html and "შედეგები" in html  # Georgian first
    assert "ყველა (3) აპლიკანტი" in html and "<dd>3</dd>" in html  # how many are told
    assert f'name="round" value="{rb.round.pk}"' in html  # the round is posted again
    assert 'name="confirmed" value="yes"' in html
    assert f'href="/ranking/?round={rb.round.pk}"' in html  # a way back

    r = client.post("/ranking/publish/", {"round": rb.round.pk, "confirmed": "yes"})
    assert r.status_code == 302
    pub = ResultsPublication.objects.get()
    assert pub.notified == 3
    assert Message.objects.count() == messages + 6  # an email and an SMS each
    r = client.post("/ranking/publish/", {"round": rb.round.pk, "confirmed": "yes"})
    assert ResultsPublication.objects.count() == 1  # published once
    assert Message.objects.count() == messages + 6
