"""Anchoring the audit chain outside the database (issue 11, point 5).

The hash chain catches a changed entry, but the database's owner could rewrite an entry and
recompute every hash after it. So, periodically (`kari audit anchor`, from cron or a systemd
timer), the chain head is signed with an Ed25519 key that lives outside the database (a file
or an environment variable) and the signed head is published where the database owner cannot
change it: appended to a witness file (on another host or a write-once volume) and, when
configured, emailed to the ministry's address. `kari audit verify` then checks the chain
against every signed head it can read: a rewrite of any anchored entry changes the hash at
the anchored position and is reported, whatever the database says.

Settings: KARI_AUDIT_ANCHOR = {"KEY": PEM text or "", "KEY_FILE": path, "WITNESS": path,
"EMAIL": address or ""}.
"""

import base64
import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from kari.credentials import keys

from .log import Problem, verify
from .models import AuditEntry, ChainHead

VERSION = "kari-audit-anchor/1"


class AnchorError(Exception):
    pass


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str
    public_key: str
    signature: str

    def message(self) -> bytes:
        return f"{VERSION}\n{self.seq}\n{self.hash}\n{self.at}".encode()

    def as_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


def _conf() -> dict:
    return settings.KARI_AUDIT_ANCHOR


def _private_key() -> Ed25519PrivateKey:
    conf = _conf()
    pem = (conf.get("KEY") or "").encode()
    if not pem and conf.get("KEY_FILE"):
        path = Path(conf["KEY_FILE"])
        if not path.exists():
            raise AnchorError(f"no anchor key: create one with `kari audit keygen` ({path})")
        pem = path.read_bytes()
    if not pem:
        raise AnchorError("no anchor key configured (KARI_AUDIT_ANCHOR_KEY or _KEY_FILE)")
    return keys.load_private(pem)


def keygen(path: Path) -> str:
    """Write a new private key (mode 0600); return its public key (multibase)."""
    if path.exists():
        raise AnchorError(f"{path} exists: an anchor key is never overwritten")
    pem, public = keys.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return public


def anchor() -> Anchor:
    """Sign the current chain head and publish it (witness file, email). The chain is verified
    first: a broken chain is never anchored."""
    problems = verify()
    if problems:
        raise AnchorError(f"the audit log is not intact ({len(problems)} problems): not anchored")
    head = ChainHead.objects.filter(pk=1).first()
    seq, last = (head.last_seq, head.last_hash) if head else (0, "0" * 64)
    key = _private_key()
    at = timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds")
    unsigned = Anchor(seq, last, at, keys.public_multibase(key), "")
    signature = base64.b64encode(key.sign(unsigned.message())).decode()
    signed = Anchor(seq, last, at, unsigned.public_key, signature)
    witness = Path(_conf()["WITNESS"])
    witness.parent.mkdir(parents=True, exist_ok=True)
    with witness.open("a", encoding="utf-8") as f:
        f.write(signed.as_json() + "\n")
    if _conf().get("EMAIL"):
        send_mail(
            f"Kari audit anchor {seq}",
            signed.as_json(),
            None,
            [_conf()["EMAIL"]],
            fail_silently=False,
        )
    return signed


def read_anchors(path: Path | None = None) -> list[Anchor]:
    path = Path(path or _conf()["WITNESS"])
    if not path.exists():
        return []
    out = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            out.append(Anchor(**json.loads(line)))
    return out


def trusted_keys() -> set[str]:
    """Public keys whose anchors count: the configured key's, and any in
    KARI_AUDIT_ANCHOR["PUBLIC_KEYS"] (a verifier may hold only the public key)."""
    out = set(_conf().get("PUBLIC_KEYS") or [])
    with contextlib.suppress(AnchorError):
        out.add(keys.public_multibase(_private_key()))
    return out


def check_anchors(anchors: list[Anchor] | None = None) -> list[Problem]:
    """Each signed head must be genuine and still match the entry at its position."""
    anchors = read_anchors() if anchors is None else anchors
    trusted = trusted_keys()
    problems: list[Problem] = []
    for a in anchors:
        if a.public_key not in trusted:
            problems.append(Problem(a.seq, "anchor signed by an unknown key"))
            continue
        try:
            keys.public_from_multibase(a.public_key).verify(
                base64.b64decode(a.signature), a.message()
            )
        except (InvalidSignature, ValueError, keys.KeyFormatError):
            problems.append(Problem(a.seq, "anchor signature is not valid"))
            continue
        if a.seq == 0:
            continue
        stored = AuditEntry.objects.filter(seq=a.seq).values_list("hash", flat=True).first()
        if stored is None:
            problems.append(Problem(a.seq, f"entry {a.seq}, anchored at {a.at}, is missing"))
        elif stored != a.hash:
            problems.append(
                Problem(
                    a.seq,
                    f"entries up to {a.seq} were rewritten after they were anchored at {a.at}",
                )
            )
    return problems
