"""Open Badges 3.0 credentials with an eddsa-jcs-2022 Data Integrity proof (C4)."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json

import pytest
from credentials_support import LIST_URL, make_credential
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kari.credentials import jcs, keys, vc

# --- W3C vc-di-eddsa test vectors (TestVectors/eddsa-jcs-2022) ---------------------------

W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_UNSIGNED = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
W3C_SIGNED_PROOF = {  # signedJCS.json
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": "https://vc.example/issuers/5678#" + W3C_PUBLIC,
    "proofPurpose": "assertionMethod",
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "proofValue": (
        "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
    ),
}


def _w3c_private_pem() -> bytes:
    raw = keys.multibase_decode(W3C_PRIVATE)[2:]
    return Ed25519PrivateKey.from_private_bytes(raw).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_w3c_transformed_document_hash():
    # canonDocJCS.txt / docHashJCS.txt
    assert hashlib.sha256(jcs.canonicalize(W3C_UNSIGNED)).hexdigest() == (
        "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
    )


def test_w3c_combined_hash_with_did_key_method():
    # proofCanonJCS.txt + combinedHashJCS.txt: proof config hash first, then the document's.
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": keys.verification_method(W3C_PUBLIC),
        "proofPurpose": "assertionMethod",
    }
    assert vc.proof_hash_data(W3C_UNSIGNED, options).hex() == (
        "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
        "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
    )
    signed = vc.sign(W3C_UNSIGNED, _w3c_private_pem(), created="2023-02-24T23:36:38Z")
    assert signed["proof"]["verificationMethod"] == options["verificationMethod"]
    assert vc.verify(signed).ok


def test_verifies_the_w3c_signed_vector():
    signed = {**W3C_UNSIGNED, "proof": W3C_SIGNED_PROOF}
    result = vc.verify(signed, trusted_keys=[W3C_PUBLIC])
    assert result == vc.Result(True, "valid", W3C_PUBLIC)
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    assert not vc.verify(tampered, trusted_keys=[W3C_PUBLIC]).ok
    # A non-did:key verification method cannot be resolved offline without a trusted key.
    assert not vc.verify(signed).ok


# --- building ------------------------------------------------------------------------------


def test_build_credential_shape(issuer_keys):
    _, public = issuer_keys
    credential = make_credential(public)
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["type"] == ["Profile"]
    assert credential["issuer"]["id"] == "did:key:" + public
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["name"] == "ნინო ბერიძე"
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityType": "emailAddress",
            "hashed": True,
            "identityHash": vc.hash_email("nino@example.ge", "s4lt"),
            "salt": "s4lt",
        }
    ]
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["criteria"] == {"narrative": achievement["criteria"]["narrative"]}
    assert credential["credentialStatus"] == {
        "id": LIST_URL + "#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": LIST_URL,
    }
    assert "proof" not in credential


def test_subject_without_email_or_id_gets_a_name_identifier(issuer_keys):
    credential = make_credential(
        issuer_keys[1], subject_email_hash=None, subject_email_salt=None, status=None
    )
    assert credential["credentialSubject"]["identifier"] == [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": "ნინო ბერიძე",
        }
    ]
    assert "credentialStatus" not in credential


def test_hash_email_is_normalised():
    assert (
        vc.hash_email(" Nino@Example.GE ", "x")
        == "sha256$" + hashlib.sha256(b"nino@example.gex").hexdigest()
    )


@pytest.mark.parametrize(
    "over",
    [
        {"credential_id": "not a uri"},
        {"subject_name": ""},
        {"valid_from": "2025-06-01"},
        {"valid_from": "2025-06-01T10:00:00"},  # no time zone
        {"valid_until": "2025-05-01T00:00:00Z"},  # before validFrom
        {"issuer": {"id": "did:key:z6Mk", "name": ""}},
        {"achievement": {"id": "https://x.example/a", "name": "A", "description": "D"}},
        {"subject_email_hash": "nino@example.ge"},
        {
            "status": {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": 42,
                "statusListCredential": LIST_URL,
            }
        },
    ],
)
def test_build_credential_rejects(issuer_keys, over):
    with pytest.raises(vc.CredentialError):
        make_credential(issuer_keys[1], **over)


# --- signing and verifying -----------------------------------------------------------------

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_sign_and_verify(signed, issuer_keys):
    _, public = issuer_keys
    proof = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"did:key:{public}#{public}"
    assert proof["created"] == "2025-06-01T10:00:05Z"
    assert proof["proofValue"].startswith("z")
    assert len(keys.multibase_decode(proof["proofValue"])) == 64
    assert vc.verify(signed) == vc.Result(True, "valid", public)
    assert vc.verify(signed, trusted_keys=[public]).ok
    # Survives a JSON round trip in any formatting.
    assert vc.verify(json.loads(json.dumps(signed, indent=2))).ok


def test_sign_does_not_mutate_and_is_deterministic(issuer_keys):
    pem, public = issuer_keys
    credential = make_credential(public)
    before = copy.deepcopy(credential)
    one = vc.sign(credential, pem, created="2025-06-01T10:00:05Z")
    two = vc.sign(credential, pem, created="2025-06-01T10:00:05Z")
    assert credential == before
    assert one == two  # Ed25519 is deterministic


def test_sign_default_created_is_now(issuer_keys):
    pem, public = issuer_keys
    created = vc.parse_datetime(vc.sign(make_credential(public), pem)["proof"]["created"])
    assert abs((created - dt.datetime.now(dt.UTC)).total_seconds()) < 60


def test_sign_refuses_mismatched_keys(issuer_keys, other_keys):
    pem, public = issuer_keys
    _, other = other_keys
    with pytest.raises(vc.CredentialError, match="different key"):
        vc.sign(make_credential(public), pem, keys.verification_method(other))
    with pytest.raises(vc.CredentialError, match="issuer is a did:key"):
        vc.sign(make_credential(other), pem)
    with pytest.raises(vc.CredentialError, match="already has a proof"):
        vc.sign(vc.sign(make_credential(public), pem), pem)
    with pytest.raises(vc.CredentialError, match="canonicalisable"):
        vc.sign({**make_credential(public), "score": float("nan")}, pem)


def test_other_key_is_not_trusted(signed, issuer_keys, other_keys):
    result = vc.verify(signed, trusted_keys=[other_keys[1]])
    assert not result.ok and "not trusted" in result.reason
    assert vc.verify(signed, trusted_keys=[other_keys[1], issuer_keys[1]]).ok


def test_forged_credential_signed_by_another_key(other_keys, issuer_keys):
    pem, other = other_keys
    # A forger copies the issuer's name but must use their own did:key as issuer...
    forged = vc.sign(make_credential(other), pem)
    assert vc.verify(forged).ok  # intact, but self-issued
    assert not vc.verify(forged, trusted_keys=[issuer_keys[1]]).ok
    # ...or keep the issuer's did:key, which the proof's key then does not match.
    # (vc.sign refuses to make this, so the forger computes the proof by hand.)
    credential = make_credential(issuer_keys[1])
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": "2025-06-01T10:00:05Z",
        "verificationMethod": keys.verification_method(other),
        "proofPurpose": "assertionMethod",
    }
    signature = keys.load_private(pem).sign(vc.proof_hash_data(credential, proof))
    forged = {**credential, "proof": {**proof, "proofValue": keys.multibase_encode(signature)}}
    result = vc.verify(forged)
    assert not result.ok and "does not belong to the issuer" in result.reason


def _tamper(text: str, i: int, replacement: str) -> str:
    return text[:i] + replacement + text[i + 1 :]


def _replacements(c: str) -> list[str]:
    first = chr(ord(c) ^ 1)
    second = "7" if c.isdigit() and c != "7" else ("X" if c != "X" else "Y")
    return [first, second]


def _still_valid(text: str) -> bool:
    try:
        document = json.loads(text)
    except ValueError:
        return False  # no longer JSON: reported invalid
    return vc.verify(document, now=NOW).ok


def test_any_single_character_change_fails(signed):
    text = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    assert _still_valid(text)
    survivors = [
        (i, r)
        for i, c in enumerate(text)
        for r in _replacements(c)
        if _still_valid(_tamper(text, i, r))
    ]
    assert survivors == []


@pytest.mark.parametrize(
    "field",
    [
        "subject",
        "achievement",
        "issuer",
        "proofValue",
        "verificationMethod",
        "validFrom",
        "statusListIndex",
    ],
)
def test_changes_in_named_fields_fail(signed, field):
    text = json.dumps(signed, ensure_ascii=False, indent=2)
    value = {
        "subject": signed["credentialSubject"]["name"],
        "achievement": signed["credentialSubject"]["achievement"]["name"],
        "issuer": signed["issuer"]["name"],
        "proofValue": signed["proof"]["proofValue"],
        "verificationMethod": signed["proof"]["verificationMethod"],
        "validFrom": signed["validFrom"],
        "statusListIndex": '"42"',
    }[field]
    start = text.index(value)
    for i in range(start, start + len(value)):
        for replacement in _replacements(text[i]):
            assert not _still_valid(_tamper(text, i, replacement)), (field, i, replacement)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("proof"),
        lambda d: d["proof"].pop("proofValue"),
        lambda d: d.__setitem__("extra", "added after signing"),
        lambda d: d["credentialSubject"].__setitem__("name", "ნინო  ბერიძე"),
        lambda d: d["@context"].append("https://example.org/extra-context"),
        lambda d: d["proof"].__setitem__("@context", ["https://www.w3.org/ns/credentials/v2"]),
        lambda d: d["proof"].__setitem__("proofPurpose", "authentication"),
        lambda d: d["proof"].__setitem__("cryptosuite", "eddsa-rdfc-2022"),
        lambda d: d["proof"].__setitem__("created", "2025-06-01T10:00:06Z"),
        lambda d: d.__setitem__("proof", [d["proof"]]),
        lambda d: d["type"].reverse(),
        lambda d: d.pop("credentialStatus"),
    ],
)
def test_structural_changes_fail(signed, mutate):
    document = copy.deepcopy(signed)
    mutate(document)
    assert not vc.verify(document, now=NOW).ok


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        [],
        "text",
        42,
        {},
        {"@context": "x"},
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022",
                "proofPurpose": "assertionMethod",
                "proofValue": 7,
            },
        },
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": {"id": 5},
            "bad": float("nan"),
            "proof": {
                "type": "DataIntegrityProof",
                "cryptosuite": "eddsa-jcs-2022",
                "proofPurpose": "assertionMethod",
                "verificationMethod": ["x"],
                "proofValue": "z" + "2" * 88,
            },
        },
    ],
)
def test_malformed_input_is_reported_not_raised(garbage):
    result = vc.verify(garbage)
    assert not result.ok and result.reason


def test_validity_period(issuer_keys):
    pem, public = issuer_keys
    future = vc.sign(make_credential(public, valid_from="2999-01-01T00:00:00Z"), pem)
    result = vc.verify(future)
    assert not result.ok and "not valid before" in result.reason
    expiring = vc.sign(make_credential(public, valid_until="2025-12-31T23:59:59+04:00"), pem)
    assert vc.verify(expiring, now=dt.datetime(2025, 12, 1, tzinfo=dt.UTC)).ok
    result = vc.verify(expiring, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert not result.ok and "expired" in result.reason
