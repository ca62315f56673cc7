"""Issue 11, point 5: an audit log that the database owner cannot rewrite unnoticed."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kari.audit import anchor as anchoring
from kari.audit.log import GENESIS, _hashed_fields, entry_hash, verify
from kari.audit.models import AuditEntry, ChainHead
from tests.core.test_audit import _disable_guard, logged  # noqa: F401 (fixture)


@pytest.fixture
def anchored(settings, tmp_path):
    settings.KARI_AUDIT_ANCHOR = {
        "KEY": "",
        "KEY_FILE": str(tmp_path / "keys" / "anchor.pem"),
        "WITNESS": str(tmp_path / "witness" / "audit-witness.jsonl"),
        "EMAIL": "audit@mes.example.ge",
        "PUBLIC_KEYS": [],
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("audit", "keygen")
    return tmp_path


def _rewrite_as_the_database_owner(seq: int) -> None:
    """Change one entry and recompute every hash after it, and the chain head."""
    _disable_guard()
    AuditEntry.objects.filter(seq=seq).update(after={"lines": {"A-0": [99, 10]}})
    prev = GENESIS
    for e in AuditEntry.objects.order_by("seq"):
        if e.seq >= seq:
            h = entry_hash(prev, _hashed_fields(e))
            AuditEntry.objects.filter(pk=e.pk).update(prev_hash=prev, hash=h)
            prev = h
        else:
            prev = e.hash
    ChainHead.objects.filter(pk=1).update(last_hash=prev)


def test_a_rewrite_with_a_recomputed_chain_fails_verification_against_the_signed_head(
    logged,  # noqa: F811
    anchored,
    mailoutbox,
):
    call_command("audit", "anchor")
    witness = anchored / "witness" / "audit-witness.jsonl"
    head = json.loads(witness.read_text().splitlines()[-1])
    assert head["seq"] == AuditEntry.objects.count()
    assert mailoutbox[-1].to == ["audit@mes.example.ge"] and head["signature"] in (
        mailoutbox[-1].body
    )
    call_command("audit", "verify")  # intact, and matches its signed head
    target = AuditEntry.objects.filter(action="announcement.places").first().seq
    _rewrite_as_the_database_owner(target)
    assert verify() == []  # the chain alone can no longer tell
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("audit", "verify")
    problems = anchoring.check_anchors()
    assert problems and "rewritten" in problems[0].message


def test_a_broken_chain_is_never_anchored(logged, anchored):  # noqa: F811
    _disable_guard()
    AuditEntry.objects.filter(seq=2).update(reason="changed")
    with pytest.raises(CommandError, match="not anchored"):
        call_command("audit", "anchor")


def test_a_forged_or_foreign_anchor_is_reported(logged, anchored):  # noqa: F811
    a = anchoring.anchor()
    forged = anchoring.Anchor(a.seq, "f" * 64, a.at, a.public_key, a.signature)
    assert "not valid" in anchoring.check_anchors([forged])[0].message
    other = anchored / "other.pem"
    anchoring.keygen(other)
    from django.conf import settings

    settings.KARI_AUDIT_ANCHOR = settings.KARI_AUDIT_ANCHOR | {"KEY_FILE": str(other)}
    foreign = anchoring.anchor()
    settings.KARI_AUDIT_ANCHOR = settings.KARI_AUDIT_ANCHOR | {
        "KEY_FILE": str(anchored / "keys" / "anchor.pem")
    }
    assert "unknown key" in anchoring.check_anchors([foreign])[0].message
    # A verifier holding only the public key accepts the genuine anchor.
    settings.KARI_AUDIT_ANCHOR = settings.KARI_AUDIT_ANCHOR | {
        "KEY_FILE": str(anchored / "none.pem"),
        "PUBLIC_KEYS": [a.public_key],
    }
    assert anchoring.check_anchors([a]) == []
