"""Open Badges 3.0 credentials (W3C VC Data Model 2.0) with an ``eddsa-jcs-2022`` proof.

The proof follows W3C "Data Integrity EdDSA Cryptosuites v1.0", section 3.3 (eddsa-jcs-2022):

* transformed document = JCS(credential without ``proof``);
* proof configuration  = the proof without ``proofValue``, with the document's ``@context``;
* hashData = SHA-256(JCS(proof configuration)) || SHA-256(transformed document);
* proofValue = multibase base58btc ("z...") of the Ed25519 signature over hashData.

Every member of the credential and of the proof except ``proofValue`` is covered by the
signature, so any change to the JSON (other than insignificant whitespace) fails verification.
The verification method is a did:key, so verification needs nothing but the credential; pass
``trusted_keys`` to also require that the signer is one of the issuer's known keys (without it,
a valid proof only shows the credential is intact, not who made it).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature

from kari.credentials import keys
from kari.credentials.jcs import JCSError, canonicalize

__all__ = [
    "CONTEXT",
    "CredentialError",
    "Result",
    "build_credential",
    "hash_email",
    "issuer_id",
    "parse_datetime",
    "proof_hash_data",
    "sign",
    "verify",
]

VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT = [VC_CONTEXT_V2, OB_CONTEXT]
CRYPTOSUITE = "eddsa-jcs-2022"

# XML Schema dateTimeStamp (a time zone is required), as the VC Data Model 2.0 recommends.
_DATETIME = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
_EMAIL_HASH = re.compile(r"sha256\$[0-9a-f]{64}", re.ASCII)


class CredentialError(ValueError):
    """Input that cannot become a well-formed credential or proof."""


@dataclass(frozen=True)
class Result:
    ok: bool
    reason: str
    signer: str | None = None  # publicKeyMultibase of the key that made the proof, when valid


def parse_datetime(value: object, field: str = "date") -> dt.datetime:
    """An XML Schema dateTimeStamp (e.g. ``2025-06-01T10:00:00Z``) as an aware datetime."""
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise CredentialError(f"{field} is not a date-time with a time zone: {value!r}")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise CredentialError(f"{field} is not a valid date-time: {value!r}") from None


def _now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def hash_email(email: str, salt: str = "") -> str:
    """An Open Badges IdentityHash of an email address: ``sha256$`` + hex(SHA-256(email + salt)).

    The address is trimmed and lower-cased first, so the holder can reproduce it.
    """
    normalised = email.strip().lower()
    return "sha256$" + hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()


def _require_text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CredentialError(f"{field} must be a non-empty string")
    return value


def _require_uri(value: object, field: str) -> str:
    text = _require_text(value, field)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S+", text):
        raise CredentialError(f"{field} must be a URI (https://..., did:..., urn:...): {text!r}")
    return text


def build_credential(
    *,
    credential_id: str,
    issuer: dict[str, Any],
    subject_name: str,
    achievement: dict[str, Any],
    valid_from: str,
    status: dict[str, Any] | None = None,
    subject_email_hash: str | None = None,
    subject_email_salt: str | None = None,
    subject_id: str | None = None,
    valid_until: str | None = None,
) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential for one successful applicant (C4).

    ``issuer``: {"id": did or URL, "name": str, "url"?: URL}.
    ``achievement``: {"id": URL, "name", "description", "criteria": narrative text,
    "achievementType"?: e.g. "Certificate"}.
    ``subject_email_hash``: an IdentityHash from :func:`hash_email` (with its salt).
    Open Badges 3.0 needs a subject ``id`` or at least one ``identifier``: without an id or
    an email hash, the subject's name is given as a plain-text ``name`` identifier.
    """
    _require_uri(credential_id, "credential_id")
    _require_text(subject_name, "subject_name")
    parse_datetime(valid_from, "valid_from")
    if not isinstance(issuer, dict):
        raise CredentialError("issuer must be a dict")
    profile = {
        "id": _require_uri(issuer.get("id"), "issuer.id"),
        "type": ["Profile"],
        "name": _require_text(issuer.get("name"), "issuer.name"),
    }
    if issuer.get("url") is not None:
        profile["url"] = _require_uri(issuer["url"], "issuer.url")
    if not isinstance(achievement, dict):
        raise CredentialError("achievement must be a dict")
    ach = {
        "id": _require_uri(achievement.get("id"), "achievement.id"),
        "type": ["Achievement"],
        "name": _require_text(achievement.get("name"), "achievement.name"),
        "description": _require_text(achievement.get("description"), "achievement.description"),
        "criteria": {
            "narrative": _require_text(achievement.get("criteria"), "achievement.criteria")
        },
    }
    if achievement.get("achievementType") is not None:
        ach["achievementType"] = _require_text(achievement["achievementType"], "achievementType")
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if subject_id is not None:
        subject["id"] = _require_uri(subject_id, "subject_id")
    subject["name"] = subject_name
    identifiers = []
    if subject_email_hash is not None:
        if not _EMAIL_HASH.fullmatch(subject_email_hash):
            raise CredentialError(
                "subject_email_hash must be 'sha256$' + 64 hex digits (hash_email)"
            )
        identity = {
            "type": "IdentityObject",
            "identityType": "emailAddress",
            "hashed": True,
            "identityHash": subject_email_hash,
        }
        if subject_email_salt is not None:
            identity["salt"] = subject_email_salt
        identifiers.append(identity)
    if not identifiers and subject_id is None:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": subject_name,
            }
        )
    if identifiers:
        subject["identifier"] = identifiers
    subject["achievement"] = ach
    credential = {
        "@context": list(CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": ach["name"],
        "issuer": profile,
        "validFrom": valid_from,
    }
    if valid_until is not None:
        if parse_datetime(valid_until, "valid_until") <= parse_datetime(valid_from):
            raise CredentialError("valid_until must be after valid_from")
        credential["validUntil"] = valid_until
    credential["credentialSubject"] = subject
    if status is not None:
        credential["credentialStatus"] = _status_entry(status)
    canonicalize(credential)  # fail now, not at signing, on values JCS cannot represent
    return credential


def _status_entry(status: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(status, dict):
        raise CredentialError("status must be a dict")
    if status.get("type") != "BitstringStatusListEntry":
        raise CredentialError("status.type must be 'BitstringStatusListEntry'")
    _require_text(status.get("statusPurpose"), "status.statusPurpose")
    index = status.get("statusListIndex")
    if not isinstance(index, str) or not re.fullmatch(r"0|[1-9][0-9]*", index):
        raise CredentialError("status.statusListIndex must be a decimal string, e.g. '42'")
    _require_uri(status.get("statusListCredential"), "status.statusListCredential")
    if status.get("id") is not None:
        _require_uri(status["id"], "status.id")
    return dict(status)


# --- eddsa-jcs-2022 -----------------------------------------------------------------------


def proof_hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """hashData: SHA-256(JCS(proof config)) || SHA-256(JCS(document)), 64 bytes.

    ``document`` is the unsecured document (no ``proof``); ``proof_options`` the proof without
    ``proofValue``. The proof configuration is the options with the document's ``@context``.
    """
    config = dict(proof_options)
    config["@context"] = document.get("@context")
    return (
        hashlib.sha256(canonicalize(config)).digest()
        + hashlib.sha256(canonicalize(document)).digest()
    )


def sign(
    credential: dict[str, Any],
    private_pem: bytes,
    verification_method: str | None = None,
    *,
    created: str | None = None,
) -> dict[str, Any]:
    """A copy of ``credential`` with an eddsa-jcs-2022 DataIntegrityProof.

    ``verification_method`` defaults to the key's own did:key URL (``did:key:z..#z..``); a did:key
    URL that names another key, or an issuer did:key other than the signing key, is refused.
    """
    if not isinstance(credential, dict):
        raise CredentialError("credential must be a dict")
    if "proof" in credential:
        raise CredentialError("credential already has a proof")
    private = keys.load_private(private_pem)
    own_key = keys.public_multibase(private)
    if verification_method is None:
        verification_method = keys.verification_method(own_key)
    elif (
        verification_method.startswith(keys.DID_KEY_PREFIX)
        and keys.key_from_verification_method(verification_method) != own_key
    ):
        raise CredentialError("verification_method names a different key than private_pem")
    issuer = issuer_id(credential)
    if (
        isinstance(issuer, str)
        and issuer.startswith(keys.DID_KEY_PREFIX)
        and keys.key_from_did(issuer) != own_key
    ):
        raise CredentialError("the issuer is a did:key other than the signing key")
    if created is None:
        created = _timestamp(_now_utc())
    parse_datetime(created, "created")
    document = copy.deepcopy(credential)
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    try:
        hash_data = proof_hash_data(document, proof)
    except JCSError as exc:
        raise CredentialError(f"credential is not canonicalisable JSON: {exc}") from None
    proof["proofValue"] = keys.multibase_encode(private.sign(hash_data))
    document["proof"] = proof
    return document


def issuer_id(credential: dict[str, Any]) -> object:
    """The issuer id: ``issuer`` itself when a string, else ``issuer.id``."""
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def verify(
    credential: object,
    *,
    trusted_keys: list[str] | None = None,
    now: dt.datetime | None = None,
) -> Result:
    """Check the eddsa-jcs-2022 proof and the validity period; never raises on bad input.

    ``trusted_keys``: publicKeyMultibase values; when given, the signer must be one of them.
    ``now``: an aware datetime for the validity-period check (default: the current time).
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    try:
        return _verify(credential, trusted_keys, now or _now_utc())
    except (CredentialError, keys.KeyFormatError, JCSError) as exc:
        return Result(False, str(exc))
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:
        return Result(False, f"malformed credential ({type(exc).__name__})")


def _verify(credential: object, trusted_keys: list[str] | None, now: dt.datetime) -> Result:
    if not isinstance(credential, dict):
        return Result(False, "the credential is not a JSON object")
    context = credential.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_CONTEXT_V2:
        return Result(False, f"@context must be a list starting with {VC_CONTEXT_V2}")
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        return Result(False, "type must be a list including VerifiableCredential")
    proof = credential.get("proof")
    if proof is None:
        return Result(False, "the credential has no proof")
    if not isinstance(proof, dict):
        return Result(False, "only a single proof object is supported")
    if proof.get("type") != "DataIntegrityProof":
        return Result(False, "proof type is not DataIntegrityProof")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        return Result(False, f"cryptosuite is not {CRYPTOSUITE}")
    if proof.get("proofPurpose") != "assertionMethod":
        return Result(False, "proofPurpose is not assertionMethod")
    if "created" in proof:
        parse_datetime(proof["created"], "proof.created")
    if "expires" in proof and parse_datetime(proof["expires"], "proof.expires") <= now:
        return Result(False, "the proof has expired")
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str):
        return Result(False, "the proof has no proofValue")
    try:
        signature = keys.multibase_decode(proof_value)
    except keys.KeyFormatError as exc:
        return Result(False, f"proofValue: {exc}")
    if len(signature) != 64 or keys.multibase_encode(signature) != proof_value:
        return Result(False, "proofValue is not a 64-byte Ed25519 signature")

    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        return Result(False, "the proof has no verificationMethod")
    if trusted_keys is not None and not method.startswith(keys.DID_KEY_PREFIX):
        # A key published elsewhere (e.g. https://issuer/keys#z6Mk...): the caller names it.
        candidates = list(trusted_keys)
    else:
        try:
            candidates = [keys.key_from_verification_method(method)]
        except keys.KeyFormatError as exc:
            return Result(False, f"verificationMethod: {exc}")
        if trusted_keys is not None and candidates[0] not in trusted_keys:
            return Result(False, "the credential was signed by a key that is not trusted")

    issuer = issuer_id(credential)
    if not isinstance(issuer, str) or not issuer:
        return Result(False, "the credential has no issuer id")
    if (
        issuer.startswith(keys.DID_KEY_PREFIX)
        and method.startswith(keys.DID_KEY_PREFIX)
        and not method.startswith(issuer + "#")
    ):
        return Result(False, "the proof's key does not belong to the issuer (did:key)")

    document = {k: v for k, v in credential.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options and options["@context"] != context:
        # The cryptosuite lets a proof carry a prefix of the document's @context; we require the
        # whole of it, so a context added after signing cannot go unnoticed.
        return Result(False, "the proof's @context differs from the credential's")
    hash_data = proof_hash_data(document, options)
    signer = None
    for candidate in candidates:
        try:
            keys.public_from_multibase(candidate).verify(signature, hash_data)
        except InvalidSignature:
            continue
        except keys.KeyFormatError as exc:
            return Result(False, f"trusted key {candidate!r}: {exc}")
        signer = candidate
        break
    if signer is None:
        return Result(
            False,
            "the signature does not match the credential (it has been altered "
            "or was not signed with this key)",
        )

    valid_from = credential.get("validFrom")
    if valid_from is not None and parse_datetime(valid_from, "validFrom") > now:
        return Result(False, f"the credential is not valid before {valid_from}")
    valid_until = credential.get("validUntil")
    if valid_until is not None and parse_datetime(valid_until, "validUntil") < now:
        return Result(False, f"the credential expired on {valid_until}")
    return Result(True, "valid", signer)
