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
    return json.loads(json.dumps(data, default=_default, sort_keys=True))


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


def record(
    actor, action: str, obj, *, before=None, after=None, reason: str = "", organisation=None
) -> AuditEntry:
    """Append one entry: who (`actor`), what (`action` on `obj`, before/after), why."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record() must run inside the service's transaction")
    head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
    if organisation is None:
        organisation = _organisation_of(obj)
    label = "system"
    if actor is not None:
        label = getattr(actor, "audit_label", None) or getattr(actor, "username", str(actor))
    entry = AuditEntry(
        seq=head.last_seq + 1,
        at=timezone.now(),
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
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry.prev_hash, _hashed_fields(entry))
    entry.save()
    head.last_seq, head.last_hash = entry.seq, entry.hash
    head.save(update_fields=["last_seq", "last_hash"])
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
