"""A40.7: sending the trial results marks every scored trial as sent and tells the ministry, and
cannot be undone, so the first POST only asks (GOV.UK "confirm"): it says how many trial results
go to the ministry and sends nothing; the confirmed POST sends them once."""

import pytest

from kari.outbox.models import Message
from kari.sen.models import Trial
from tests.conftest import sign_in
from tests.sen.conftest import TODAY
from tests.sen.test_sen_services import registered, tried

pytestmark = pytest.mark.django_db


def test_A40_7_sending_asks_first_and_sends_only_once_confirmed(client, sen):
    regs = registered(sen, 2)
    tried(sen, regs)
    sign_in(client, sen.commission_member)
    messages = Message.objects.count()

    page = client.post("/staff/sen/host/send/")
    html = page.content.decode()
    assert page.status_code == 200
    assert not Trial.objects.exclude(sent_on=None).exists()
    assert Message.objects.count() == messages  # the ministry is not told yet
    assert 'id="confirm-title"' in html and "სამინისტრო" in html  # Georgian first
    assert "<dd>2</dd>" in html and "2 ტესტირების შედეგი" in html  # how many trials
    assert 'name="confirmed" value="yes"' in html
    assert '<a href="/staff/sen/host/" id="confirm-cancel">' in html  # a way back

    r = client.post("/staff/sen/host/send/", {"confirmed": "yes"})
    assert r.status_code == 302
    assert set(Trial.objects.values_list("sent_on", flat=True)) == {TODAY}
    told = Message.objects.count() - messages
    assert told >= 1  # the ministry
    r = client.post("/staff/sen/host/send/", {"confirmed": "yes"})
    assert Message.objects.count() - messages == told  # sent once


def test_A40_7_nothing_to_send_is_said_without_a_confirmation(client, sen):
    regs = registered(sen, 1)
    tried(sen, regs)
    Trial.objects.update(sent_on=TODAY)
    sign_in(client, sen.commission_member)
    r = client.post("/staff/sen/host/send/", follow=True)
    html = r.content.decode()
    assert 'id="confirm-title"' not in html
    assert "გასაგზავნი შეფასება არ არის" in html
