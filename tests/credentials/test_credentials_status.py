"""W3C Bitstring Status List: encoding, decoding, revocation lookups, the list credential."""

from __future__ import annotations

import base64
import gzip

import pytest
from credentials_support import LIST_URL

from kari.credentials import keys, status, vc

# Bitstring Status List v1.0, example status list credential: 131,072 zero bits.
SPEC_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_decodes_the_spec_example():
    bits = status.decode(SPEC_EMPTY_LIST)
    assert len(bits) * 8 == 131_072 and not any(bits)
    assert not status.is_revoked(SPEC_EMPTY_LIST, 0)
    assert not status.is_revoked(SPEC_EMPTY_LIST, 131_071)


def test_encode_format():
    encoded = status.encode(set())
    assert encoded.startswith("u") and "=" not in encoded
    assert set(encoded[1:]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert gzip.decompress(raw) == bytes(16_384)
    assert status.encode({5}) == status.encode({5})  # deterministic (mtime 0)


def test_revoked_indices_are_found():
    revoked = {0, 7, 8, 42, 1000, 131_071}
    encoded = status.encode(revoked)
    bits = status.decode(encoded)
    assert {i for i in range(131_072) if bits[i // 8] & (0x80 >> i % 8)} == revoked
    for index in revoked:
        assert status.is_revoked(encoded, index)
    for index in (1, 6, 9, 41, 43, 999, 1001, 131_070):
        assert not status.is_revoked(encoded, index)


def test_bit_order_is_most_significant_first():
    bits = status.decode(status.encode({0, 9}))
    assert bits[0] == 0b1000_0000 and bits[1] == 0b0100_0000


def test_longer_lists():
    encoded = status.encode({200_000}, length=262_144)
    assert status.is_revoked(encoded, 200_000) and not status.is_revoked(encoded, 199_999)


@pytest.mark.parametrize(
    ("indices", "length"),
    [
        ({-1}, 131_072),
        ({131_072}, 131_072),
        ({"3"}, 131_072),
        ({True}, 131_072),
        (set(), 1024),
        (set(), 131_073),
    ],
)
def test_encode_rejects(indices, length):
    with pytest.raises(status.StatusListError):
        status.encode(indices, length)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "H4sI",
        "u!!!",
        "u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("="),
        "u"
        + base64.urlsafe_b64encode(gzip.compress(bytes(100), mtime=0))
        .decode()
        .rstrip("="),  # too short
        SPEC_EMPTY_LIST[:-10],  # truncated
        SPEC_EMPTY_LIST + "==",
    ],
)
def test_decode_rejects(bad):
    with pytest.raises(status.StatusListError):
        status.decode(bad)


def test_index_outside_the_list():
    with pytest.raises(status.StatusListError):
        status.is_revoked(SPEC_EMPTY_LIST, 131_072)
    with pytest.raises(status.StatusListError):
        status.is_revoked(SPEC_EMPTY_LIST, -1)


def test_status_list_credential_signs_and_verifies(issuer_keys):
    pem, public = issuer_keys
    encoded = status.encode({42})
    listing = status.status_list_credential(
        LIST_URL,
        {"id": keys.did_key(public), "name": "Solidarity Fund PL in Georgia"},
        encoded,
        valid_from="2025-06-01T00:00:00Z",
    )
    assert listing["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listing["credentialSubject"] == {
        "id": LIST_URL + "#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": encoded,
    }
    assert "proof" not in listing
    signed = vc.sign(listing, pem)
    assert vc.verify(signed, trusted_keys=[public]).ok
    assert status.is_revoked(signed["credentialSubject"]["encodedList"], 42)
    signed["credentialSubject"]["encodedList"] = status.encode(set())
    assert not vc.verify(signed).ok


def test_status_entry():
    assert status.status_entry(LIST_URL, 7) == {
        "id": LIST_URL + "#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": LIST_URL,
    }
    with pytest.raises(status.StatusListError):
        status.status_entry(LIST_URL, -1)
