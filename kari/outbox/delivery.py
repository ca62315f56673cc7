"""Writing to the outbox and delivering from it.

:func:`enqueue` writes a message in the caller's transaction and, once that commits, the
process that wrote it tries to send it straight away (the notice is not slower than before);
whatever is not delivered then is the worker's (:func:`deliver_due`, called between tasks by
``kari worker``): retries with exponential back-off, and after ``MAX_ATTEMPTS`` the message is
FAILED, shown on the staff page (/operations/outbox/) with a resend button.

At most once per row: a message is claimed (PENDING to SENDING, committed) before it is sent,
so two processes never send the same row. A process that dies between sending and recording
leaves it SENDING; after ``LEASE_SECONDS`` an SMS is sent again with the same idempotency key
(the gateway drops the repeat) and an email is marked FAILED for a person to check, since SMTP
has no such key: the window is the time between the server's answer and the next write.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Channel, Message, Status

log = logging.getLogger(__name__)

DEFAULTS = {
    "MAX_ATTEMPTS": 8,
    "BACKOFF_SECONDS": 30,
    "BACKOFF_MAX_SECONDS": 3600,
    "LEASE_SECONDS": 300,
    "BATCH": 50,
    "BULK_SEND_NOW": 500,
}
WIPED = "…"
# After a failed send, this process leaves the channel to the worker for a while, so that a
# job's thousands of notices do not each wait for a server that is down.
_down_until: dict[str, dt.datetime] = {}


def option(name: str) -> int:
    return getattr(settings, "KARI_OUTBOX", {}).get(name, DEFAULTS[name])


def enqueue(
    channel: str,
    to: list[str] | str,
    body: str,
    subject: str = "",
    *,
    secret: bool = False,
    expires_at: dt.datetime | None = None,
) -> Message | None:
    """Write a message in the current transaction; it is sent after the commit."""
    to = ",".join(x for x in ([to] if isinstance(to, str) else to) if x)
    if not to:
        return None
    message = Message.objects.create(
        channel=channel,
        to=to,
        subject=subject[:300],
        body=body,
        secret=secret,
        expires_at=expires_at,
        next_attempt_at=timezone.now(),
    )
    _send_after_commit(message.pk)
    return message


class _SendAfterCommit:
    """The messages written one after another in one transaction (or savepoint), sent
    together once it commits: one claim for all of them rather than a claim (a transaction of
    its own) for each; a registration writes four."""

    def __init__(self, pk: int) -> None:
        self.pks = [pk]
        self.done = False

    def __call__(self) -> None:
        self.done = True
        send_now(self.pks)


def _send_after_commit(pk: int) -> None:
    """``send_now([pk])`` after the commit, joined to the callback just registered for the
    messages written before this one when nothing came between them. That callback is joined
    only if it was registered at the same savepoint depth (Django's ``run_on_commit`` entries
    are ``(savepoint ids, callback, robust)``), so a rolled-back savepoint drops exactly the
    messages it wrote, as with one callback each."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and conn.run_on_commit:
        sids, last, _robust = conn.run_on_commit[-1]
        if isinstance(last, _SendAfterCommit) and not last.done and sids == set(conn.savepoint_ids):
            last.pks.append(pk)
            return
    transaction.on_commit(_SendAfterCommit(pk), robust=True)


def enqueue_many(messages, *, batch_size: int = 5000) -> int:
    """Write many messages in the current transaction (``messages``: (channel, to, body,
    subject) tuples, ``to`` a string or a list), in batches; returns how many were written.

    The same rows as :func:`enqueue` one by one, without a round trip each (a ranking's
    approval tells 100,000 applicants by email and SMS). After the commit this process sends
    them straight away as :func:`enqueue` does, up to ``BULK_SEND_NOW`` of them (a handful of
    notices is not slower than before); a larger batch is left to the worker."""
    now = timezone.now()
    written: list[int] = []
    rows: list[Message] = []

    def flush() -> None:
        created = Message.objects.bulk_create(rows, batch_size=batch_size)
        written.extend(m.pk for m in created if m.pk is not None)
        rows.clear()

    count = 0
    for channel, to, body, subject in messages:
        to = ",".join(x for x in ([to] if isinstance(to, str) else to) if x)
        if not to:
            continue
        rows.append(
            Message(channel=channel, to=to, subject=subject[:300], body=body, next_attempt_at=now)
        )
        count += 1
        if len(rows) >= batch_size:
            flush()
    if rows:
        flush()
    if written and len(written) <= option("BULK_SEND_NOW"):
        transaction.on_commit(lambda: send_now(written), robust=True)
    return count


def backoff(attempts: int) -> dt.timedelta:
    seconds = option("BACKOFF_SECONDS") * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, option("BACKOFF_MAX_SECONDS")))


def claim(queryset, worker_id: str, limit: int) -> list[Message]:
    """Mark up to ``limit`` pending messages SENDING for this process, and commit.

    One statement, committed by itself: ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP
    LOCKED) RETURNING`` the rows. Two processes never claim one row: the rows chosen are locked
    (another process's choice skips them) and a row claimed since this statement began is
    PENDING no more when it is locked, so it is left out (PostgreSQL reads a locked row's latest
    version again); SQLite runs one writer at a time."""
    now = timezone.now()
    conn = connections[queryset.db]
    chosen = (
        queryset.filter(status=Status.PENDING)
        .order_by("next_attempt_at", "pk")
        .values("pk")[:limit]
    )
    inner, inner_params = chosen.query.sql_with_params()
    if conn.features.has_select_for_update_skip_locked:
        inner += " FOR UPDATE SKIP LOCKED"
    meta, qn = Message._meta, conn.ops.quote_name
    claimed_at = meta.get_field("claimed_at").get_db_prep_save(now, conn)
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {qn('status')} = %s, {qn('claimed_by')} = %s, "  # noqa: S608
        f"{qn('claimed_at')} = %s WHERE {qn(meta.pk.column)} IN ({inner}) RETURNING "
        + ", ".join(qn(f.column) for f in meta.concrete_fields)
    )
    params = [Status.SENDING.value, worker_id[:64], claimed_at, *inner_params]
    # the rows as they are now (the raw query set converts the columns as the ORM does)
    messages = list(Message.objects.db_manager(conn.alias).raw(sql, params))
    return sorted(messages, key=lambda m: m.pk)


def send_now(pks: list[int]) -> int:
    """The writer's attempt right after its commit (skipped while the channel is down)."""
    now = timezone.now()
    channels = [c for c in Channel.values if _down_until.get(c, now) <= now]
    if not channels:
        return 0
    try:
        messages = claim(Message.objects.filter(pk__in=pks, channel__in=channels), "", len(pks))
        return sum(_deliver(m) for m in messages)
    except Exception:  # the worker delivers it; a notice never fails the committed change
        log.exception("outbox: could not send after commit (the worker will)")
        return 0


def deliver_due(worker_id: str = "", limit: int | None = None) -> int:
    """The worker's round: recover interrupted sends, expire old codes, send what is due.
    Returns how many messages it tried."""
    recover_interrupted()
    now = timezone.now()
    _expire(now)
    messages = claim(Message.objects.due(now), worker_id, limit or option("BATCH"))
    for m in messages:
        _deliver(m)
    return len(messages)


def _expire(now) -> None:
    Message.objects.filter(
        status__in=[Status.PENDING, Status.FAILED], secret=True, expires_at__lt=now
    ).exclude(body=WIPED).update(
        status=Status.FAILED, body=WIPED, last_error="expired before it could be sent"
    )


def recover_interrupted() -> int:
    """SENDING rows whose process died: SMS again (same key), email for a person to check."""
    cutoff = timezone.now() - dt.timedelta(seconds=option("LEASE_SECONDS"))
    stale = Message.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
    sms = stale.filter(channel=Channel.SMS).update(status=Status.PENDING, claimed_at=None)
    email = stale.filter(channel=Channel.EMAIL).update(
        status=Status.FAILED,
        last_error="the sending process stopped before recording the outcome: "
        "check whether it arrived before resending",
    )
    return sms + email


def _sms_backend():
    conf = settings.KARI_SMS
    return import_string(conf["BACKEND"])(**conf.get("OPTIONS", {}))


def _send(message: Message) -> str:
    if message.channel == Channel.EMAIL:
        email = EmailMessage(
            message.subject,
            message.body,
            None,
            message.recipients,
            headers={"Message-ID": f"<{message.key}@kari>"},
        )
        email.send()
        return f"accepted by {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]}"
    answer = _sms_backend().send(message.to, message.body, key=str(message.key))
    return str(answer or "accepted")[:2000]


def _deliver(message: Message) -> bool:
    """Send one claimed message and record the outcome; True when it was delivered."""
    now = timezone.now()
    attempts = message.attempts + 1
    try:
        answer = _send(message)
    except Exception as exc:
        _down_until[message.channel] = now + backoff(1)
        final = attempts >= option("MAX_ATTEMPTS")
        log.warning("outbox: %s not sent (attempt %s): %s", message, attempts, type(exc).__name__)
        Message.objects.filter(pk=message.pk).update(
            status=Status.FAILED if final else Status.PENDING,
            attempts=attempts,
            next_attempt_at=now + backoff(attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            claimed_at=None,
        )
        return False
    _down_until.pop(message.channel, None)
    _record_sent(message, attempts, answer)
    return True


def _record_sent(message: Message, attempts: int, answer: str) -> None:
    """``Message.objects.filter(pk=...).update(status=SENT, ...)``, the code's text wiped, as
    one plain statement: a job's thousands of notices each write their outcome."""
    conn = connections[message._state.db or "default"]
    meta, qn = Message._meta, conn.ops.quote_name
    values = {
        "status": Status.SENT.value,
        "attempts": attempts,
        "sent_at": meta.get_field("sent_at").get_db_prep_save(timezone.now(), conn),
        "answer": answer,
        "last_error": "",
        **({"body": WIPED} if message.secret else {}),
    }
    with conn.cursor() as c:
        c.execute(
            f"UPDATE {qn(meta.db_table)} SET "  # noqa: S608 - names from the model, values as parameters
            + ", ".join(f"{qn(meta.get_field(name).column)} = %s" for name in values)
            + f" WHERE {qn(meta.pk.column)} = %s",
            [*values.values(), message.pk],
        )


def resend(message: Message) -> Message:
    """Put a failed message back in the queue (the staff page's button; the caller checks
    permissions and audits)."""
    Message.objects.filter(pk=message.pk).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
    )
    message.refresh_from_db()
    transaction.on_commit(lambda: send_now([message.pk]))
    return message
