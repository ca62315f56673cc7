"""W3C Bitstring Status List v1.0: revocation without contacting the issuer per credential.

The list is a bitstring (bit 0 is the most significant bit of the first byte; a set bit means
revoked), GZIP-compressed, base64url-encoded without padding and given the multibase prefix
"u". The spec's minimum length, 131,072 bits (16 KiB), gives holders herd privacy.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from typing import Any

from kari.credentials.vc import VC_CONTEXT_V2, CredentialError, parse_datetime

__all__ = [
    "MIN_LENGTH",
    "StatusListError",
    "decode",
    "encode",
    "is_revoked",
    "status_entry",
    "status_list_credential",
]

MIN_LENGTH = 131_072
MAX_LENGTH = 64 * 1024 * 1024 * 8  # bits; bounds decompression of untrusted lists (64 MiB)


class StatusListError(ValueError):
    """An encodedList or index that cannot be used."""


def encode(revoked_indices: set[int], length: int = MIN_LENGTH) -> str:
    if length < MIN_LENGTH or length % 8 or length > MAX_LENGTH:
        raise StatusListError(
            f"length must be a multiple of 8 between {MIN_LENGTH} and {MAX_LENGTH} bits"
        )
    bits = bytearray(length // 8)
    for index in revoked_indices:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < length:
            raise StatusListError(f"index {index!r} is outside the list (0..{length - 1})")
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded: object) -> bytes:
    """The uncompressed bitstring of an encodedList."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("encodedList must be multibase base64url (starting with 'u')")
    body = encoded[1:]
    if "=" in body:
        raise StatusListError("encodedList must not be padded")
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise StatusListError("encodedList is not valid base64url") from None
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip container
    try:
        bits = inflater.decompress(compressed, MAX_LENGTH // 8 + 1)
    except zlib.error:
        raise StatusListError("encodedList is not GZIP data") from None
    if len(bits) > MAX_LENGTH // 8:
        raise StatusListError("the status list is too large")
    if not inflater.eof:
        raise StatusListError("encodedList is truncated")
    if len(bits) * 8 < MIN_LENGTH:
        raise StatusListError(f"the status list is shorter than {MIN_LENGTH} bits")
    return bits


def is_revoked(encoded: object, index: int) -> bool:
    bits = decode(encoded)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(bits) * 8:
        raise StatusListError(f"status index {index!r} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """The credentialStatus entry for one credential at ``index`` of the list at ``list_url``."""
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusListError("index must be a non-negative integer")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    list_id: str,
    issuer: str | dict[str, Any],
    encoded: str,
    *,
    valid_from: str | None = None,
    valid_until: str | None = None,
    purpose: str = "revocation",
) -> dict[str, Any]:
    """An unsigned BitstringStatusListCredential (sign it with ``vc.sign``)."""
    decode(encoded)
    if isinstance(issuer, dict):
        issuer = {**issuer}
        issuer.setdefault("type", ["Profile"])
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2],
        "id": list_id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
    }
    for field, value in (("validFrom", valid_from), ("validUntil", valid_until)):
        if value is not None:
            try:
                parse_datetime(value, field)
            except CredentialError as exc:
                raise StatusListError(str(exc)) from None
            credential[field] = value
    credential["credentialSubject"] = {
        "id": f"{list_id}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encoded,
    }
    return credential
