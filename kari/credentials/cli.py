"""``kari credential keygen|verify``: issuer keys and offline checks of certificates (C4).

``kari credential keygen --out DIR``
    writes DIR/private.pem (PKCS#8, mode 0600; never overwritten) and DIR/public.txt
    (the publicKeyMultibase to publish and to pass as ``--key``).
``kari credential verify FILE.json [--key PUBLIC_MULTIBASE ...] [--status STATUSLIST.json]``
    prints ``VALID: <subject> — <achievement>, issued by <issuer> on <date>`` or
    ``INVALID: <reason>``. With ``--key`` the signer must be one of the given keys (otherwise
    the proof only shows the file is intact, since anyone can make a did:key). With
    ``--status`` the credential is also checked against a downloaded status list credential,
    whose own proof must verify with the same key(s).

Exit codes: 0 valid (or keys written); 1 invalid; 2 bad usage or a file that cannot be read
or written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from kari.credentials import keys, status, vc

__all__ = ["main"]

_OB_TYPES = {"OpenBadgeCredential", "AchievementCredential"}
_UNSAFE = {
    *map(chr, range(0x20)),
    "\x7f",
    *map(chr, range(0x80, 0xA0)),
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
}


class _Usage(Exception):
    """Bad usage or an unreadable/unwritable file: exit 2."""


class _Invalid(Exception):
    """The credential (or its status list) does not check out: exit 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kari credential",
        description="Issuer keys and offline verification of certificates (Individual "
        "Certification, C4).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="create an Ed25519 issuer key pair")
    keygen.add_argument(
        "--out", required=True, metavar="DIR", help="directory for private.pem and public.txt"
    )
    check = commands.add_parser("verify", help="verify a credential file offline")
    check.add_argument("file", metavar="FILE.json")
    check.add_argument(
        "--key",
        action="append",
        metavar="PUBLIC_MULTIBASE",
        help="trusted issuer key (z6Mk...); may be repeated",
    )
    check.add_argument(
        "--status",
        metavar="STATUSLIST.json",
        help="downloaded status list credential to check revocation against",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        if args.command == "keygen":
            return _keygen(args.out)
        return _verify(args)
    except _Usage as exc:
        print(f"kari credential: error: {_safe(str(exc))}", file=sys.stderr)
        return 2
    except _Invalid as exc:
        print(f"INVALID: {_safe(str(exc))}")
        return 1


def _safe(text: str) -> str:
    """Text from a credential, with control and bidi-override characters escaped."""
    return "".join(f"\\u{ord(c):04x}" if c in _UNSAFE else c for c in text)


# --- keygen -----------------------------------------------------------------------------


def _keygen(directory: str) -> int:
    private_path = os.path.join(directory, "private.pem")
    public_path = os.path.join(directory, "public.txt")
    for path in (private_path, public_path):
        if os.path.lexists(path):
            raise _Usage(f"{path} already exists; refusing to overwrite a key")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise _Usage(f"cannot create {directory}: {exc.strerror}") from None
    pem, public = keys.generate()
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise _Usage(f"cannot write {private_path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        with open(public_path, "x", encoding="ascii") as handle:
            handle.write(public + "\n")
    except OSError as exc:
        raise _Usage(f"cannot write the key files in {directory}: {exc.strerror}") from None
    print(f"private key: {private_path} (keep it secret)")
    print(f"public key:  {public}")
    print(f"did:         {keys.did_key(public)}")
    return 0


# --- verify -----------------------------------------------------------------------------


def _load_json(path: str) -> object:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise _Usage(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Invalid(f"{os.path.basename(path)} is not UTF-8 text") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise _Invalid(f"{os.path.basename(path)} is not valid JSON ({exc})") from None


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not allowed")


def _verify(args: argparse.Namespace) -> int:
    trusted = None
    if args.key:
        for key in args.key:
            try:
                keys.public_from_multibase(key)
            except keys.KeyFormatError as exc:
                raise _Usage(f"--key {key!r}: {exc}") from None
        trusted = list(args.key)
    credential = _load_json(args.file)
    status_list = _load_json(args.status) if args.status else None

    result = vc.verify(credential, trusted_keys=trusted)
    if not result.ok:
        raise _Invalid(result.reason)
    if not isinstance(credential, dict):  # pragma: no cover - verify refuses it first
        raise _Invalid("the credential is not a JSON object")
    if not _OB_TYPES & set(credential["type"]):
        raise _Invalid("not an Open Badges credential (OpenBadgeCredential)")
    line = _summary(credential)

    entries = _revocation_entries(credential)
    if status_list is not None:
        if not entries:
            print(
                "note: the credential has no revocation status entry; --status not used",
                file=sys.stderr,
            )
        for entry in entries:
            _check_status(credential, entry, status_list, trusted or [result.signer])
    elif entries:
        print("note: revocation was not checked (pass --status STATUSLIST.json)", file=sys.stderr)
    if trusted is None:
        print(
            "note: the signer was not checked against a trusted key (pass --key); the proof "
            f"was made by {result.signer}",
            file=sys.stderr,
        )
    print(f"VALID: {_safe(line)}")
    return 0


def _summary(credential: dict[str, Any]) -> str:
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        raise _Invalid("credentialSubject is not a single object")
    name = subject.get("name")
    if not isinstance(name, str):
        names = [
            i.get("identityHash")
            for i in subject.get("identifier") or []
            if isinstance(i, dict) and i.get("identityType") == "name" and i.get("hashed") is False
        ]
        name = names[0] if names and isinstance(names[0], str) else "(unnamed holder)"
    achievement = subject.get("achievement")
    if not isinstance(achievement, dict) or not isinstance(achievement.get("name"), str):
        raise _Invalid("the credential names no achievement")
    issuer = credential.get("issuer")
    issuer_name = issuer.get("name") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_name, str):
        issuer_name = str(vc.issuer_id(credential))  # issuer is an object here
    try:
        date = vc.parse_datetime(credential.get("validFrom"), "validFrom").date().isoformat()
    except vc.CredentialError as exc:
        raise _Invalid(str(exc)) from None
    return f"{name} — {achievement['name']}, issued by {issuer_name} on {date}"


def _revocation_entries(credential: dict[str, Any]) -> list[dict[str, Any]]:
    entries = credential.get("credentialStatus")
    if entries is None:
        return []
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _Invalid("credentialStatus is malformed")
    unknown = [e.get("type") for e in entries if e.get("type") != "BitstringStatusListEntry"]
    if unknown:
        raise _Invalid(f"unsupported credentialStatus type {unknown[0]!r}")
    return [e for e in entries if e.get("statusPurpose") == "revocation"]


def _check_status(
    credential: dict[str, Any], entry: dict[str, Any], status_list: object, trusted: list[str]
) -> None:
    url = entry.get("statusListCredential")
    if not isinstance(status_list, dict) or status_list.get("id") != url:
        got = status_list.get("id") if isinstance(status_list, dict) else None
        raise _Invalid(f"the status list given is {got!r}, the credential refers to {url!r}")
    types = status_list.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise _Invalid("the status list is not a BitstringStatusListCredential")
    checked = vc.verify(status_list, trusted_keys=trusted)
    if not checked.ok:
        raise _Invalid(f"status list: {checked.reason}")
    if vc.issuer_id(status_list) != vc.issuer_id(credential):
        raise _Invalid("the status list has another issuer than the credential")
    subject = status_list.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("statusPurpose") != "revocation":
        raise _Invalid("the status list is not a revocation list")
    index = entry.get("statusListIndex")
    if not isinstance(index, str) or not index.isascii() or not index.isdigit():
        raise _Invalid("statusListIndex is not a decimal string")
    try:
        revoked = status.is_revoked(subject.get("encodedList"), int(index))
    except status.StatusListError as exc:
        raise _Invalid(f"status list: {exc}") from None
    if revoked:
        raise _Invalid(f"the credential has been revoked (status list {url}, index {index})")
