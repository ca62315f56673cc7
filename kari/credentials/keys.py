"""Ed25519 keys: PKCS#8 PEM for the private key, Multikey ``publicKeyMultibase`` and did:key.

A Multikey Ed25519 public key is the multicodec ``ed25519-pub`` prefix (0xed 0x01) followed by
the 32 raw key bytes, base58btc-encoded with the multibase prefix ``z`` (so it reads ``z6Mk...``).
``did:key:<multibase>`` names the key itself, so a verifier needs nothing but the credential.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "KeyFormatError",
    "b58decode",
    "b58encode",
    "did_key",
    "generate",
    "key_from_did",
    "key_from_verification_method",
    "load_private",
    "multibase_decode",
    "multibase_encode",
    "public_from_multibase",
    "public_multibase",
    "verification_method",
]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
_ED25519_PUB = b"\xed\x01"
DID_KEY_PREFIX = "did:key:"


class KeyFormatError(ValueError):
    """A key, multibase string or did:key that cannot be used."""


def b58encode(data: bytes) -> str:
    """Bitcoin base58: big-endian integer in base 58, one leading '1' per leading zero byte."""
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_ALPHABET[r])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        try:
            n = n * 58 + _INDEX[c]
        except KeyError:
            raise KeyFormatError(f"invalid base58 character {c!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc ("z" prefix)."""
    return "z" + b58encode(data)


def multibase_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise KeyFormatError("only base58btc multibase values (starting with 'z') are supported")
    return b58decode(text[1:])


def public_multibase(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return multibase_encode(_ED25519_PUB + raw)


def generate() -> tuple[bytes, str]:
    """A new key pair: (PKCS#8 PEM private key, publicKeyMultibase)."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, public_multibase(private)


def load_private(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"cannot read the private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError("the private key is not an Ed25519 key")
    return key


def public_from_multibase(text: str) -> Ed25519PublicKey:
    raw = multibase_decode(text)
    if len(raw) != 34 or raw[:2] != _ED25519_PUB:
        raise KeyFormatError("not an Ed25519 Multikey (expected 0xed01 + 32 bytes)")
    if multibase_encode(raw) != text:  # e.g. superfluous leading '1's
        raise KeyFormatError("non-canonical multibase encoding")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def did_key(public_multibase_: str) -> str:
    public_from_multibase(public_multibase_)
    return DID_KEY_PREFIX + public_multibase_


def verification_method(public_multibase_: str) -> str:
    """The did:key verification method URL: ``did:key:z6Mk...#z6Mk...``."""
    return f"{did_key(public_multibase_)}#{public_multibase_}"


def key_from_did(did: str) -> str:
    """The publicKeyMultibase of a bare ``did:key:z...`` (no fragment)."""
    if not isinstance(did, str) or not did.startswith(DID_KEY_PREFIX) or "#" in did:
        raise KeyFormatError("not a did:key")
    key = did[len(DID_KEY_PREFIX) :]
    public_from_multibase(key)
    return key


def key_from_verification_method(url: str) -> str:
    """The publicKeyMultibase named by a did:key verification method URL (``did:key:X#X``)."""
    if not isinstance(url, str) or not url.startswith(DID_KEY_PREFIX):
        raise KeyFormatError("verificationMethod is not a did:key URL")
    did, sep, fragment = url[len(DID_KEY_PREFIX) :].partition("#")
    if not sep or did != fragment:
        raise KeyFormatError("did:key verificationMethod must be did:key:<key>#<key>")
    public_from_multibase(did)
    return did
