"""The notification outbox: written with the change, sent once after commit, retried with
back-off, FAILED after the last attempt and sent again from the staff page."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from kari import notify, sms
from kari.accounts.roles import Role
from kari.audit.models import AuditEntry
from kari.errors import RuleError
from kari.operations import services
from kari.outbox import delivery
from kari.outbox.models import Channel, Message, Status
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


class Broken:
    """An SMS backend whose gateway is down."""

    def __init__(self, **options):
        pass

    def send(self, phone, text, key=""):
        raise OSError("gateway answered 500")


@pytest.fixture
def locmem(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.FileOutboxBackend",
        "OPTIONS": {"path": str(tmp_path / "sms.jsonl")},
    }
    settings.KARI_OUTBOX = {**delivery.DEFAULTS, "MAX_ATTEMPTS": 3, "BACKOFF_SECONDS": 30}
    return settings


def test_a_notice_is_written_with_the_change_and_sent_once_after_commit(locmem):
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks, transaction.atomic():
        notify.email_on_commit(["a@example.ge"], "Subject", "Body")
        sms.sms_on_commit("+995599000001", "Text")
    assert Message.objects.filter(status=Status.PENDING).count() == 2
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@example.ge"]
    email = Message.objects.get(channel=Channel.EMAIL)
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{email.key}@kari>"
    assert email.status == Status.SENT and email.sent_at and email.attempts == 1
    assert email.answer.startswith("accepted by")
    text = Message.objects.get(channel=Channel.SMS)
    assert text.status == Status.SENT and text.answer == "written to the file outbox"
    [line] = sms.get_backend().messages()
    assert line["key"] == str(text.key)
    assert delivery.deliver_due() == 0  # nothing sent twice


def test_the_notices_of_one_transaction_are_sent_together_after_commit(locmem):
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks, transaction.atomic():
        notify.email_on_commit(["a@example.ge"], "Subject", "Body")
        sms.sms_on_commit("+995599000001", "Text")
        try:
            with transaction.atomic():  # a savepoint rolled back: its notice is not sent
                sms.sms_on_commit("+995599000002", "Rolled back")
                raise RuntimeError
        except RuntimeError:
            pass
        sms.sms_on_commit("+995599000003", "After the savepoint")
    assert len(callbacks) == 1  # one claim for all three; the rolled-back one is gone
    for callback in callbacks:
        callback()
    sent = Message.objects.filter(status=Status.SENT).values_list("to", flat=True)
    assert sorted(sent) == ["+995599000001", "+995599000003", "a@example.ge"]
    assert not Message.objects.exclude(status=Status.SENT).exists()


def test_a_rolled_back_change_leaves_no_notice(locmem):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.email_on_commit(["a@example.ge"], "Subject", "Body")
        raise RuntimeError("the change fails")
    assert not Message.objects.exists()


def test_a_failed_send_is_retried_with_back_off_then_failed(locmem):
    locmem.KARI_SMS = {"BACKEND": "tests.operations.test_outbox.Broken", "OPTIONS": {}}
    with TestCase.captureOnCommitCallbacks(execute=True):
        sms.sms_on_commit("+995599000001", "Text")
    m = Message.objects.get()
    assert m.status == Status.PENDING and m.attempts == 1 and "500" in m.last_error
    assert m.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)
    assert delivery.deliver_due() == 0  # not due yet
    waits = []
    for _ in range(2):
        Message.objects.update(next_attempt_at=timezone.now())
        before = timezone.now()
        delivery.deliver_due()
        m.refresh_from_db()
        waits.append((m.next_attempt_at - before).total_seconds())
    assert m.status == Status.FAILED and m.attempts == 3
    assert 55 < waits[0] < 65  # 30 s, then 60 s, ...


def test_staff_send_a_failed_notice_again_from_the_outbox_page(locmem, world, client):
    emis = world["users"][Role.EMIS_OPERATOR]
    m = Message.objects.create(
        channel=Channel.EMAIL,
        to="a@example.ge",
        subject="Invitation",
        body="Body",
        status=Status.FAILED,
        attempts=3,
        last_error="SMTPServerDisconnected: down",
        next_attempt_at=timezone.now(),
    )
    sign_in(client, emis)
    page = client.get("/operations/outbox/").content.decode()
    assert "Invitation" in page and "SMTPServerDisconnected" in page
    assert f"/operations/outbox/{m.pk}/resend/" in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/operations/outbox/{m.pk}/resend/")
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.status == Status.SENT and len(mail.outbox) == 1
    entry = AuditEntry.objects.get(action="outbox.resend")
    assert entry.before == {"status": "failed", "attempts": 3}
    with pytest.raises(RuleError):  # sent: nothing to send again
        services.resend(emis, m)


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.EMIS_OPERATOR])
def test_only_emis_sees_and_resends_the_outbox(locmem, world, client, role):
    m = Message.objects.create(
        channel=Channel.SMS,
        to="+995599000001",
        body="x",
        status=Status.FAILED,
        next_attempt_at=timezone.now(),
    )
    with pytest.raises(PermissionDenied):
        services.resend(world["users"][role], m)


def test_one_time_codes_are_wiped_once_sent_and_never_shown(locmem, world, client):
    until = timezone.now() + dt.timedelta(minutes=10)
    with TestCase.captureOnCommitCallbacks(execute=True):
        sms.sms_on_commit("+995599000001", "code 123456", secret=True, expires_at=until)
    m = Message.objects.get()
    assert m.status == Status.SENT and "123456" not in m.body
    Message.objects.create(
        channel=Channel.SMS,
        to="+995599000002",
        body="code 654321",
        secret=True,
        status=Status.FAILED,
        expires_at=until,
        next_attempt_at=timezone.now(),
    )
    sign_in(client, world["users"][Role.EMIS_OPERATOR])
    page = client.get("/operations/outbox/").content.decode()
    assert "654321" not in page
    with pytest.raises(RuleError):
        services.resend(
            world["users"][Role.EMIS_OPERATOR],
            Message.objects.get(secret=True, status=Status.FAILED),
        )


def test_an_unsent_code_expires_with_the_code(locmem):
    locmem.KARI_SMS = {"BACKEND": "tests.operations.test_outbox.Broken", "OPTIONS": {}}
    with TestCase.captureOnCommitCallbacks(execute=True):
        sms.sms_on_commit(
            "+995599000001",
            "code 123456",
            secret=True,
            expires_at=timezone.now() - dt.timedelta(seconds=1),
        )
    delivery.deliver_due()
    m = Message.objects.get()
    assert m.status == Status.FAILED and "123456" not in m.body and "expired" in m.last_error


def test_a_send_interrupted_by_a_dead_process(locmem):
    """SMS: sent again with the same idempotency key; email: left to a person to check."""
    old = timezone.now() - dt.timedelta(hours=1)
    common = {"status": Status.SENDING, "claimed_at": old, "next_attempt_at": old, "body": "x"}
    text = Message.objects.create(channel=Channel.SMS, to="+995599000001", **common)
    email = Message.objects.create(channel=Channel.EMAIL, to="a@example.ge", **common)
    delivery.deliver_due()
    text.refresh_from_db(), email.refresh_from_db()
    assert text.status == Status.SENT
    assert sms.get_backend().messages()[0]["key"] == str(text.key)
    assert email.status == Status.FAILED and "check whether it arrived" in email.last_error
    assert mail.outbox == []
