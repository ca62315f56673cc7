"""Document signing for every app: one PAdES key per signing body (organisation).

The signing itself is pure (`kari.documents.signing`); this module finds the body's key:

- production: a PKCS#12 file named by the environment, ``KARI_SIGNING_P12_<CODE>`` (its path)
  and ``KARI_SIGNING_P12_<CODE>_PASSPHRASE``, where ``<CODE>`` is the organisation's code in
  capitals with ``-`` as ``_`` (``naec`` → ``KARI_SIGNING_P12_NAEC``). It is imported into a
  :class:`DocumentKey` on first use, and again when the file's certificate changes (the old
  key stays, inactive, so the documents it signed still verify);
- demo (``settings.KARI_DOCUMENT_SIGNING["SELF_SIGNED"]``, on with ``KARI_DEBUG``): an ECDSA
  P-256 key with a self-signed certificate, made on first use.

Private keys are stored encrypted with Fernet under ``KARI_KEY_ENCRYPTION_KEY``. Creating or
importing a key is audited. Verification trusts the certificates of all bodies' keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import load_pem_x509_certificates
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.audit.log import record
from kari.documents import signing as pades
from kari.documents.signing import Identity, SealBox, VerificationResult
from kari.errors import RuleError

from .models import DocumentKey, Organisation

__all__ = [
    "SealBox",
    "VerificationResult",
    "document_key",
    "identity_for",
    "sign_document",
    "signing_body",
    "trusted_certificates",
    "verify_document",
]

# Decrypted identities by key fingerprint: signing thousands of documents decrypts once.
_identities: dict[str, Identity] = {}


def _conf() -> dict:
    return settings.KARI_DOCUMENT_SIGNING


def _fernet() -> Fernet:
    secret = _conf().get("KEY_ENCRYPTION_KEY") or ""
    if secret:
        try:
            return Fernet(secret)
        except ValueError as exc:
            raise ImproperlyConfigured(
                "KARI_KEY_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes)."
            ) from exc
    if _conf().get("SELF_SIGNED"):
        # Demo only: a key derived from SECRET_KEY, so the demo needs no extra setting.
        digest = hashlib.sha256(b"kari-document-keys:" + settings.SECRET_KEY.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))
    raise ImproperlyConfigured("Set KARI_KEY_ENCRYPTION_KEY to store document signing keys.")


def _env_name(organisation: Organisation) -> str:
    return "KARI_SIGNING_P12_" + organisation.code.upper().replace("-", "_")


def _p12_from_environment(organisation: Organisation) -> Identity | None:
    name = _env_name(organisation)
    path = os.environ.get(name)
    if not path:
        return None
    passphrase = os.environ.get(name + "_PASSPHRASE")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}: cannot read {path}: {exc.strerror}") from exc
    try:
        return pades.load_pkcs12(data, passphrase.encode() if passphrase else None)
    except pades.SigningError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


def _store(organisation: Organisation, identity: Identity, source: str) -> DocumentKey:
    key_der = identity.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = b"".join(pades.certificate_pem(c) for c in (identity.certificate, *identity.chain))
    replaced = list(
        DocumentKey.objects.filter(organisation=organisation, active=True).values_list(
            "fingerprint", flat=True
        )
    )
    DocumentKey.objects.filter(organisation=organisation, active=True).update(active=False)
    key = DocumentKey.objects.create(
        organisation=organisation,
        source=source,
        encrypted_key=_fernet().encrypt(key_der),
        certificate_pem=pem.decode("ascii"),
        fingerprint=identity.fingerprint,
        subject=identity.subject[:500],
        not_after=identity.certificate.not_valid_after_utc,
        created_at=timezone.now(),
    )
    record(
        None,
        "document_key.create",
        organisation,
        after={
            "source": source,
            "fingerprint": key.fingerprint,
            "subject": key.subject,
            "valid_until": key.not_after,
            "replaces": replaced,
        },
    )
    _identities[key.fingerprint] = identity
    return key


def _load(key: DocumentKey) -> Identity:
    cached = _identities.get(key.fingerprint)
    if cached is not None:
        return cached
    try:
        der = _fernet().decrypt(bytes(key.encrypted_key))
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "The document signing key cannot be decrypted: KARI_KEY_ENCRYPTION_KEY has changed."
        ) from exc
    private = serialization.load_der_private_key(der, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ImproperlyConfigured("A stored document signing key is not an ECDSA key.")
    leaf, *chain = load_pem_x509_certificates(key.certificate_pem.encode("ascii"))
    identity = Identity(private_key=private, certificate=leaf, chain=tuple(chain))
    _identities[key.fingerprint] = identity
    return identity


def _x509_name(value: str) -> str:
    """At most 64 bytes of UTF-8 (the common name's upper bound, RFC 5280; a Georgian letter
    takes three), cut between letters: many bodies' names are longer."""
    return value.encode("utf-8")[:64].decode("utf-8", "ignore").strip()


def _self_signed(organisation: Organisation) -> Identity:
    org_name = organisation.name_en or organisation.name_ka
    return pades.make_self_signed(
        common_name=_x509_name(organisation.name_ka), organisation=org_name, country="GE"
    )


@transaction.atomic
def document_key(organisation: Organisation) -> DocumentKey:
    """The body's active key: imported from the environment's PKCS#12 (when it names one and
    its certificate is new), or the stored one, or, in the demo, a new self-signed one."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    current = DocumentKey.objects.filter(organisation=organisation, active=True).first()
    from_env = _p12_from_environment(organisation)
    if from_env is not None:
        if current is not None and current.fingerprint == from_env.fingerprint:
            return current
        existing = DocumentKey.objects.filter(fingerprint=from_env.fingerprint).first()
        if existing is not None:  # an earlier certificate brought back
            if existing.organisation_id != organisation.pk:
                raise ImproperlyConfigured(
                    f"{_env_name(organisation)} holds another organisation's certificate."
                )
            DocumentKey.objects.filter(organisation=organisation, active=True).update(active=False)
            existing.active = True
            existing.save(update_fields=["active"])
            record(
                None,
                "document_key.reactivate",
                organisation,
                after={"fingerprint": existing.fingerprint},
            )
            return existing
        return _store(organisation, from_env, DocumentKey.Source.PKCS12)
    if current is not None:
        return current
    if not _conf().get("SELF_SIGNED"):
        raise RuleError(
            _("%(body)s has no document signing key: its PKCS#12 certificate is not configured.")
            % {"body": organisation.name},
            field="organisation",
        )
    return _store(organisation, _self_signed(organisation), DocumentKey.Source.SELF_SIGNED)


def identity_for(organisation: Organisation) -> Identity:
    """The body's key and certificate, ready for `kari.documents.signing.sign_pdf`."""
    return _load(document_key(organisation))


def sign_document(
    organisation: Organisation,
    pdf: bytes,
    *,
    reason: str,
    location: str = "",
    seal: SealBox | None = None,
) -> bytes:
    """``pdf`` signed (PAdES) by the body ``organisation`` with its document key.

    ``reason`` is shown by PDF readers as the signature's reason (say what the act is, e.g.
    "A27.5 ranking list"); the caller's service checks permissions and audits the act.
    """
    return pades.sign_pdf(
        pdf,
        identity_for(organisation),
        reason=reason,
        location=location or _conf().get("LOCATION", ""),
        seal=seal,
    )


def trusted_certificates() -> list:
    """The certificates of every body's document keys, current and replaced."""
    certs = []
    for pem in DocumentKey.objects.values_list("certificate_pem", flat=True):
        certs.append(load_pem_x509_certificates(pem.encode("ascii"))[0])
    return certs


def verify_document(pdf: bytes) -> VerificationResult:
    """Whether ``pdf`` is intact and signed by one of the bodies (see `verify_pdf`)."""
    return pades.verify_pdf(pdf, trusted_certificates())


def signing_body(result: VerificationResult) -> Organisation | None:
    """The organisation whose key made the last signature of a verified document."""
    if result.signer_fingerprint is None:
        return None
    key = (
        DocumentKey.objects.select_related("organisation")
        .filter(fingerprint=result.signer_fingerprint)
        .first()
    )
    return key.organisation if key else None
