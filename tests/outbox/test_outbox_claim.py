"""The outbox's claim (one statement) and the send after commit: at most once per row, in the
order due, the row's values as stored; a row another process holds is skipped (PostgreSQL)."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kari import notify, sms
from kari.outbox import delivery
from kari.outbox.models import Channel, Message, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def locmem(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.FileOutboxBackend",
        "OPTIONS": {"path": str(tmp_path / "sms.jsonl")},
    }
    settings.KARI_OUTBOX = dict(delivery.DEFAULTS)
    delivery._down_until.clear()
    return settings


def _message(**fields):
    now = timezone.now()
    values = {"channel": Channel.SMS, "to": "+995599000001", "body": "x", "next_attempt_at": now}
    return Message.objects.create(**(values | fields))


def test_a_claim_marks_the_due_rows_sending_once_in_their_order(locmem):
    now = timezone.now()
    later = _message(next_attempt_at=now - dt.timedelta(minutes=1))
    first = _message(next_attempt_at=now - dt.timedelta(minutes=5), secret=True)
    sent = _message(status=Status.SENT)
    _message(next_attempt_at=now + dt.timedelta(hours=1))  # not due yet
    got = delivery.claim(Message.objects.due(now), "worker-1", 1)
    assert [m.pk for m in got] == [first.pk]  # the longest due first, within the limit
    m = got[0]
    assert (m.status, m.claimed_by, m.secret, m.key) == (
        Status.SENDING,
        "worker-1",
        True,
        first.key,
    )
    assert m.claimed_at is not None and m.next_attempt_at == first.next_attempt_at
    stored = Message.objects.get(pk=first.pk)
    assert (stored.status, stored.claimed_by, stored.claimed_at) == (
        Status.SENDING,
        "worker-1",
        m.claimed_at,
    )
    again = delivery.claim(Message.objects.due(now), "worker-2", 10)
    assert [x.pk for x in again] == [later.pk]  # the claimed one is nobody's to claim again
    assert delivery.claim(Message.objects.due(now), "worker-2", 10) == []
    assert Message.objects.get(pk=sent.pk).status == Status.SENT


def test_the_send_after_commit_claims_with_one_statement(locmem):
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks, transaction.atomic():
        notify.email_on_commit(["a@example.ge"], "Subject", "Body")
        sms.sms_on_commit("+995599000001", "code 123456", secret=True)
    with CaptureQueriesContext(connection) as captured:
        for callback in callbacks:
            callback()
    sql = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN"))
    ]
    # the claim, then one write of each outcome
    assert len(sql) == 3, sql
    assert sql[0].startswith("UPDATE") and "RETURNING" in sql[0]
    assert len(mail.outbox) == 1
    email, text = Message.objects.get(channel=Channel.EMAIL), Message.objects.get(secret=True)
    assert email.status == text.status == Status.SENT
    assert text.body == delivery.WIPED and email.body == "Body"


@pytest.mark.django_db(transaction=True)
def test_a_row_another_process_holds_is_skipped(locmem):
    """A row locked by another connection (a worker claiming it) is not claimed: SKIP LOCKED."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    import psycopg

    held, free = _message(), _message()
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )
    try:
        other.execute("SELECT id FROM outbox_message WHERE id = %s FOR UPDATE", [held.pk])
        got = delivery.claim(Message.objects.filter(pk__in=[held.pk, free.pk]), "w", 10)
        assert [m.pk for m in got] == [free.pk]
        assert Message.objects.get(pk=held.pk).status == Status.PENDING
    finally:
        other.rollback()
        other.close()
