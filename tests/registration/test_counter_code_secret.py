"""The counter's code (registration centre) is a one-time code like any other: its text is
wiped from the outbox once sent, and the outbox page never shows it, whatever its status."""

import re

import pytest
from django.test import TestCase

from kari.accounts.roles import OrgKind, Role
from kari.outbox.models import Message, Status
from kari.sms import get_backend
from tests.conftest import make_org, make_user, sign_in
from tests.registration.test_code_lockout import NUMBER, _registered
from tests.registration.test_registration_services import sent_code

pytestmark = pytest.mark.django_db


def _counter_code(client, reg, *, send: bool):
    sign_in(client, reg["clerk"])
    before = len(get_backend().messages())
    last = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with TestCase.captureOnCommitCallbacks(execute=send):
        response = client.post("/en/centre/counter/", {"personal_number": NUMBER})
    assert response.status_code == 302
    client.post("/staff/logout/")
    return before, Message.objects.filter(pk__gt=last)


def _outbox(client, status):
    emis = make_user("emis-o", make_org("emis-o", OrgKind.EMIS), [Role.EMIS_OPERATOR])
    sign_in(client, emis)
    return client.get(f"/en/operations/outbox/?status={status}").content.decode()


def test_the_counter_code_is_wiped_once_sent_and_never_shown(client, reg):
    _registered(reg)
    before, sent = _counter_code(client, reg, send=True)
    assert len(get_backend().messages()) == before + 1
    plain = sent_code()
    assert sent.count() == 2  # the email and the SMS
    assert all(m.status == Status.SENT and m.secret and plain not in m.body for m in sent)
    page = _outbox(client, Status.SENT)
    assert plain not in page and "one-time code (not shown)" in page


def test_a_counter_code_waiting_to_be_sent_is_not_shown_on_the_outbox_page(client, reg):
    _registered(reg)
    _before, waiting = _counter_code(client, reg, send=False)
    assert waiting.count() == 2
    assert all(m.status == Status.PENDING and m.secret and m.expires_at for m in waiting)
    plain = re.search(r"\b(\d{6})\b", waiting.first().body).group(1)
    page = _outbox(client, Status.PENDING)
    assert plain not in page and "one-time code (not shown)" in page


def test_a_gateways_answer_echoing_a_code_is_not_shown(client, reg):
    from django.utils import timezone

    Message.objects.create(
        channel="sms",
        to="+995555123456",
        body="[wiped]",
        secret=True,
        status=Status.SENT,
        sent_at=timezone.now(),
        answer='{"ok": true, "text": "code 482913"}',
        next_attempt_at=timezone.now(),
    )
    page = _outbox(client, Status.SENT)
    assert "482913" not in page and "one-time code (not shown)" in page
