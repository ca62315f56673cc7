"""Ed25519 keys as PKCS#8 PEM, Multikey publicKeyMultibase and did:key."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from kari.credentials import keys

# W3C vc-di-eddsa test vector key pair (TestVectors/keyPair.json).
W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"


def test_generate_round_trip():
    pem, public = keys.generate()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.startswith("z6Mk")
    private = keys.load_private(pem)
    assert keys.public_multibase(private) == public
    signature = private.sign(b"certificate")
    keys.public_from_multibase(public).verify(signature, b"certificate")


def test_multikey_layout():
    _, public = keys.generate()
    raw = keys.multibase_decode(public)
    assert len(raw) == 34 and raw[:2] == b"\xed\x01"


def test_w3c_vector_public_key_derivation():
    raw = keys.multibase_decode(W3C_PRIVATE)
    assert raw[:2] == b"\x80\x26"  # multicodec ed25519-priv
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(raw[2:])
    assert keys.public_multibase(private) == W3C_PUBLIC


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"\0", "1"),
        (b"\0\0\x01", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
    ],
)
def test_base58_known_values(data, text):
    assert keys.b58encode(data) == text
    assert keys.b58decode(text) == data


def test_base58_rejects_foreign_characters():
    for bad in ("0", "O", "I", "l", "+"):
        with pytest.raises(keys.KeyFormatError):
            keys.b58decode("abc" + bad)


def test_did_key_and_verification_method():
    _, public = keys.generate()
    assert keys.did_key(public) == "did:key:" + public
    method = keys.verification_method(public)
    assert method == f"did:key:{public}#{public}"
    assert keys.key_from_verification_method(method) == public
    assert keys.key_from_did(keys.did_key(public)) == public
    _, other = keys.generate()
    with pytest.raises(keys.KeyFormatError):
        keys.key_from_verification_method(f"did:key:{public}#{other}")
    with pytest.raises(keys.KeyFormatError):
        keys.key_from_verification_method(f"did:web:example.ge#{public}")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "u7QE",
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ",
        "z1" + W3C_PUBLIC[1:],
        "z" + "1" * 10,
    ],
)
def test_public_from_multibase_rejects(bad):
    with pytest.raises(keys.KeyFormatError):
        keys.public_from_multibase(bad)


def test_load_private_rejects_other_keys():
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(keys.KeyFormatError, match="not an Ed25519"):
        keys.load_private(pem)
    with pytest.raises(keys.KeyFormatError):
        keys.load_private(b"not a pem")
