"""Writing and verifying the audit log.

Each entry's hash covers its content and the previous entry's hash, so a changed,
inserted or deleted entry breaks the chain; the chain head (last sequence number and
hash) catches a deleted tail. Services call `record()` inside their transaction.
"""

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone

from .models import AuditEntry, ChainHead

GENESIS = "0" * 64


def _default(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def normalise(data):
    """JSON-safe copy of `data` (dates to ISO strings), as it will be stored."""
    if data is None:
        return None
    return _plain(data)


def _roundtrip(data):
    return json.loads(json.dumps(data, default=_default, sort_keys=True))


def _plain(data):
    """``_roundtrip(data)`` without serialising what is JSON already: dicts with string keys
    (their keys sorted, as ``sort_keys`` leaves them), lists, tuples, strings, whole numbers,
    booleans and None of exactly these types are copied as they are; anything else (a date,
    a Decimal, a set, a lazy translation, a subclass, a float) goes the JSON way."""
    kind = type(data)
    if kind is str or kind is int or kind is bool or data is None:
        return data
    if kind is dict:
        if all(type(k) is str for k in data):
            return {k: _plain(data[k]) for k in sorted(data)}
        return _roundtrip(data)
    if kind is list or kind is tuple:
        return [_plain(v) for v in data]
    return _roundtrip(data)


def entry_hash(prev_hash: str, fields: dict) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _hashed_fields(e: AuditEntry) -> dict:
    return {
        "seq": e.seq,
        "at": e.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": e.actor_id,
        "actor_label": e.actor_label,
        "organisation_id": e.organisation_id,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object_repr": e.object_repr,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
    }


def _head_table() -> str:
    """The head's table, quoted (the SQL below holds no value but as a parameter)."""
    return transaction.get_connection().ops.quote_name(ChainHead._meta.db_table)


def _lock_head(conn) -> tuple[int, str]:
    """The chain head (last sequence number and hash), locked until the transaction ends: one
    plain statement (the row exists from the first entry on; made then)."""
    lock = " FOR UPDATE" if conn.features.has_select_for_update else ""
    with conn.cursor() as c:
        c.execute(f"SELECT last_seq, last_hash FROM {_head_table()} WHERE id = 1{lock}")  # noqa: S608
        row = c.fetchone()
    if row is None:
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        return head.last_seq, head.last_hash
    return row[0], row[1]


def _append(conn, entry: AuditEntry) -> None:
    """Insert ``entry`` (as ``entry.save()`` would: the same values, prepared by its fields)
    and move the head to it. On PostgreSQL one statement does both (the insert in a WITH)."""
    if conn.vendor != "postgresql":
        entry.save()
        with conn.cursor() as c:
            c.execute(
                f"UPDATE {_head_table()} SET last_seq = %s, last_hash = %s WHERE id = 1",  # noqa: S608
                [entry.seq, entry.hash],
            )
        return
    meta = AuditEntry._meta
    query = InsertQuery(AuditEntry)
    query.insert_values([f for f in meta.local_concrete_fields if f is not meta.pk], [entry])
    compiler = query.get_compiler(connection=conn)
    compiler.returning_fields = [meta.pk]
    ((insert, params),) = compiler.as_sql()
    with conn.cursor() as c:
        c.execute(
            f"WITH e AS ({insert}) UPDATE {_head_table()} SET last_seq = %s, last_hash = %s "  # noqa: S608
            "WHERE id = 1 RETURNING (SELECT e.id FROM e)",
            [*params, entry.seq, entry.hash],
        )
        entry.pk = c.fetchone()[0]
    entry._state.adding, entry._state.db = False, conn.alias


def record(
    actor, action: str, obj, *, before=None, after=None, reason: str = "", organisation=None
) -> AuditEntry:
    """Append one entry: who (`actor`), what (`action` on `obj`, before/after), why."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the service's transaction")
    if organisation is None:
        organisation = _organisation_of(obj)
    label = "system"
    if actor is not None:
        label = getattr(actor, "audit_label", None) or getattr(actor, "username", str(actor))
    entry = AuditEntry(
        actor=actor if isinstance(actor, get_user_model()) else None,
        actor_label=label[:200],
        organisation=organisation,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        before=normalise(before),
        after=normalise(after),
        reason=reason,
    )
    # the head is locked once the entry is ready (its repr may read the database); the time
    # is taken under the lock, so the entries' times follow their sequence numbers, as ever
    last_seq, last_hash = _lock_head(conn)
    entry.seq, entry.at, entry.prev_hash = last_seq + 1, timezone.now(), last_hash
    entry.hash = entry_hash(entry.prev_hash, _hashed_fields(entry))
    _append(conn, entry)
    return entry


def _organisation_of(obj):
    # The organisation model is the one the entry's own foreign key names: the audit log
    # sits below `kari.accounts` (whose services it records) and imports nothing from it.
    organisation_model = AuditEntry._meta.get_field("organisation").related_model
    if isinstance(obj, organisation_model):
        return obj
    for attr in ("organisation", "institution"):
        value = getattr(obj, attr, None)
        if value is not None:
            return (
                value
                if isinstance(value, organisation_model)
                else getattr(value, "organisation", None)
            )
    return None


@dataclass
class Problem:
    seq: int | None
    message: str


def verify(progress=None) -> list[Problem]:
    """Recompute the whole chain; return every problem found (empty: intact)."""
    problems: list[Problem] = []
    prev, expected_seq = GENESIS, 1
    for e in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if e.seq != expected_seq:
            problems.append(Problem(e.seq, f"entries {expected_seq}..{e.seq - 1} are missing"))
        if e.prev_hash != prev:
            problems.append(Problem(e.seq, "link to the previous entry is broken"))
        if entry_hash(e.prev_hash, _hashed_fields(e)) != e.hash:
            problems.append(Problem(e.seq, "content does not match its hash (changed)"))
        prev, expected_seq = e.hash, e.seq + 1
        if progress:
            progress(1)
    head = ChainHead.objects.filter(pk=1).first()
    if head and (head.last_seq != expected_seq - 1 or head.last_hash != prev):
        problems.append(Problem(head.last_seq, "entries at the end of the log are missing"))
    return problems


def history(obj):
    return AuditEntry.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("organisation")
