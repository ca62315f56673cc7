"""PAdES signatures on Kari's PDF documents (pyHanko, ECDSA P-256); no Django.

A signing body (NAEC, an institution head, the ministry, the appeals commission's chair) holds
one :class:`Identity`: an ECDSA P-256 private key and its X.509 certificate. In the demo the
certificate is self-signed (:func:`make_self_signed`); in production it comes from a PKCS#12
file (:func:`load_pkcs12`).

:func:`sign_pdf` appends a PAdES baseline B-B signature (``ETSI.CAdES.detached``, SHA-256) to the
bytes a renderer returns, as an incremental update, so any PDF reader shows the document as
signed (and by whom). :func:`verify_pdf` checks every signature in a document against a list
of trusted certificates and says whether the bytes are intact, the signatures valid, the signer
trusted and the last signature covers the whole file: one changed byte fails.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

__all__ = [
    "Identity",
    "SealBox",
    "SigningError",
    "VerificationResult",
    "certificate_fingerprint",
    "certificate_pem",
    "identity_to_pkcs12",
    "load_certificate",
    "load_pkcs12",
    "make_self_signed",
    "sha256",
    "sign_pdf",
    "verify_pdf",
]

FIELD_NAME = "KariSignature"
# Room for the CMS object: an ECDSA P-256 signature with its certificate (and a short chain)
# takes about 1.5 KB; reserving a fixed size spares pyHanko a dry-run signature per document.
BYTES_RESERVED = 8192
# Digital signature and non-repudiation (content commitment): what pyHanko's validation asks
# of a document signer's certificate by default.
_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


class SigningError(ValueError):
    """Key material that cannot be used, or a PDF that cannot be signed."""


@dataclass(frozen=True)
class Identity:
    """A signing body's key and certificate (and the certificates of its chain, if any)."""

    private_key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.certificate)


@dataclass(frozen=True)
class SealBox:
    """A visible signature box: where it goes (PDF points from the bottom left of the page;
    ``page`` counts from 0, -1 is the last page) and the text printed in it.

    ``text`` may use ``%(signer)s`` (the certificate's common name) and ``%(ts)s`` (the signing
    time). The box is drawn with a standard PDF font, so keep the text in Latin letters; the
    document itself carries the Georgian seal and names.
    """

    x: int
    y: int
    width: int = 200
    height: int = 60
    page: int = -1
    text: str = "Digitally signed by\n%(signer)s\n%(ts)s"


@dataclass(frozen=True)
class VerificationResult:
    """What :func:`verify_pdf` found. ``ok`` is the one verdict to act on."""

    signatures: int
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    signer_subject: str | None = None
    signer_common_name: str | None = None
    signer_organisation: str | None = None
    signer_fingerprint: str | None = None
    signing_time: dt.datetime | None = None
    reason: str | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return (
            self.signatures > 0
            and self.intact
            and self.valid
            and self.trusted
            and self.covers_whole_file
        )


# --- keys and certificates -------------------------------------------------------------------


def make_self_signed(
    common_name: str,
    organisation: str,
    *,
    country: str = "GE",
    valid_days: int = 3650,
    now: dt.datetime | None = None,
) -> Identity:
    """A new ECDSA P-256 key and a self-signed certificate for it (the demo's signing bodies)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Identity(private_key=key, certificate=cert)


def load_pkcs12(data: bytes, passphrase: bytes | None) -> Identity:
    """The key, certificate and chain of a PKCS#12 (.p12/.pfx) file; the key must be ECDSA."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError as exc:
        raise SigningError(
            "The PKCS#12 data cannot be read: wrong passphrase or not a PKCS#12 file."
        ) from exc
    if key is None or cert is None:
        raise SigningError("The PKCS#12 data holds no private key and certificate.")
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SigningError("The PKCS#12 key is not an ECDSA key.")
    return Identity(private_key=key, certificate=cert, chain=tuple(extra))


def identity_to_pkcs12(
    identity: Identity, passphrase: bytes | None, *, friendly_name: str = "kari"
) -> bytes:
    """The identity as PKCS#12 bytes, encrypted with ``passphrase`` (none: unencrypted)."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        friendly_name.encode(),
        identity.private_key,
        identity.certificate,
        list(identity.chain) or None,
        encryption,
    )


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise SigningError("The certificate cannot be read (PEM or DER expected).") from exc


def certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER bytes, in hex."""
    return certificate.fingerprint(hashes.SHA256()).hex()


# --- signing ---------------------------------------------------------------------------------


def _signer(identity: Identity) -> signers.SimpleSigner:
    chain = [translate_pyca_cryptography_cert_to_asn1(c) for c in identity.chain]
    store = SimpleCertificateStore.from_certs(chain)  # type: ignore[no-untyped-call]
    return signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(identity.certificate),
        signing_key=translate_pyca_cryptography_key_to_asn1(identity.private_key),
        cert_registry=store,
    )


def sign_pdf(
    pdf: bytes,
    identity: Identity,
    *,
    reason: str,
    location: str = "",
    name: str | None = None,
    seal: SealBox | None = None,
    field_name: str = FIELD_NAME,
) -> bytes:
    """``pdf`` with a PAdES B-B signature by ``identity`` appended (an incremental update).

    ``reason`` and ``location`` are shown by PDF readers in the signature's details; ``name``
    defaults to the certificate's common name. Without ``seal`` the signature is invisible (the
    document prints its own seal); with it, a box with the signer and time is drawn.
    A document may be signed again (a second body, another field name): earlier signatures stay
    valid, since each signature covers the bytes before it.
    """
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:  # pyHanko raises several kinds for a malformed file
        raise SigningError(f"The PDF cannot be read for signing: {exc}") from exc
    if name is None:
        name = _attribute(identity.certificate.subject, NameOID.COMMON_NAME)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
        name=name,
    )
    field_spec = None
    stamp_style = None
    if seal is not None:
        field_spec = fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=seal.page,
            box=(seal.x, seal.y, seal.x + seal.width, seal.y + seal.height),
        )
        stamp_style = TextStampStyle(
            stamp_text=seal.text, border_width=1, timestamp_format="%Y-%m-%d %H:%M:%S %Z"
        )
    pdf_signer = signers.PdfSigner(
        meta, _signer(identity), stamp_style=stamp_style, new_field_spec=field_spec
    )
    out = pdf_signer.sign_pdf(writer, bytes_reserved=BYTES_RESERVED)
    return bytes(out.getvalue())


# --- verification ----------------------------------------------------------------------------


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode()


def _anchor_is_exact(status: Any, anchors: set[str]) -> bool:
    """Whether a signer that is itself a trust anchor carries that very certificate.

    pyHanko matches a trust anchor by name and key and never checks an anchor's own signature,
    so a byte changed in the copy of the certificate inside the signature (unsigned CMS data)
    would go unseen; a signer certified by a chain is covered by the chain's signatures.
    """
    path = status.validation_path
    if path is None or path.pkix_len > 0:
        return True
    return hashlib.sha256(status.signing_cert.dump()).hexdigest() in anchors


def _signed_within_validity(cert: Any, signed_at: dt.datetime | None) -> bool:
    """Whether the signer's certificate was valid at the signing time it states. (pyHanko does
    not check the dates of a trust anchor, and a body's self-signed certificate is its own.)"""
    if signed_at is None:
        return False
    parsed = x509.load_der_x509_certificate(cert.dump())
    return parsed.not_valid_before_utc <= signed_at <= parsed.not_valid_after_utc


def _cms_is_strict(contents: bytes) -> bool:
    """Whether the parts of the signature's CMS object that its signature does not cover are
    exactly as a signer writes them.

    The signature covers the document's bytes (through the signed attributes) but not the CMS
    object's own framing: the list of digest algorithms, version numbers, the algorithm
    parameters and how the signer's certificate is named. pyHanko's parser is lenient there, so
    a byte changed in them would pass; Kari's verdict is "one changed byte fails", so each is
    checked here (a mutation test over every byte of the object found these, and only these).
    """
    try:
        der = contents[: _der_length(contents)]
        if not _der_is_framed(der, 0, len(der)):
            return False
        content_info = cms.ContentInfo.load(der, strict=True)
        signed_data = content_info["content"]
        (info,) = signed_data["signer_infos"]
        digest = info["digest_algorithm"]
        sid = info["sid"]
        if sid.name == "issuer_and_serial_number":
            issuer = sid.chosen["issuer"].dump()
            serial = sid.chosen["serial_number"].native
            named = any(
                c.chosen["tbs_certificate"]["issuer"].dump() == issuer
                and c.chosen["tbs_certificate"]["serial_number"].native == serial
                for c in signed_data["certificates"]
            )
        else:
            named = True  # a subject key identifier: pyHanko matches it to the certificate
        return bool(
            content_info["content_type"].native == "signed_data"
            and signed_data["version"].native == "v1"
            and info["version"].native == "v1"
            and [a.dump() for a in signed_data["digest_algorithms"]] == [digest.dump()]
            and digest["algorithm"].native == "sha256"
            and digest["parameters"].dump() in (b"", b"\x05\x00")
            and info["signature_algorithm"]["parameters"].dump() == b""
            and signed_data["encap_content_info"]["content_type"].native == "data"
            and named
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


def _der_is_framed(data: bytes, start: int, end: int, depth: int = 0) -> bool:
    """Whether ``data[start:end]`` is a run of DER elements with minimal lengths whose
    constructed elements are exactly filled by their children (no end-of-contents bytes, no
    slack: a changed length byte would otherwise hide behind the zero padding)."""
    if depth > 32:
        return False
    while start < end:
        if end - start < 2 or data[start] == 0 or data[start] & 0x1F == 0x1F:
            return False
        first = data[start + 1]
        if first < 0x80:
            length, header = first, 2
        else:
            count = first & 0x7F
            raw = data[start + 2 : start + 2 + count]
            if count == 0 or count > 4 or len(raw) < count or raw[0] == 0:
                return False
            length, header = int.from_bytes(raw, "big"), 2 + count
            if length < 0x80:
                return False
        child_end = start + header + length
        if child_end > end:
            return False
        if data[start] & 0x20 and not _der_is_framed(data, start + header, child_end, depth + 1):
            return False
        start = child_end
    return start == end


def _der_length(data: bytes) -> int:
    """The length of the DER object at the start of ``data`` (header included)."""
    if len(data) < 2:
        return len(data) + 1
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


def _padding_is_clean(contents: bytes) -> bool:
    """Whether the bytes after the CMS object in /Contents are all zero: /Contents is left out
    of the signed byte range, so a change in its zero padding would otherwise pass unseen."""
    end = _der_length(contents)
    return end <= len(contents) and not any(contents[end:])


def _unsigned(problem: str) -> VerificationResult:
    return VerificationResult(
        signatures=0,
        intact=False,
        valid=False,
        trusted=False,
        covers_whole_file=False,
        problems=(problem,),
    )


def verify_pdf(
    pdf: bytes, trusted: Sequence[x509.Certificate], *, at: dt.datetime | None = None
) -> VerificationResult:
    """Check every signature in ``pdf`` against the ``trusted`` certificates (trust anchors:
    self-signed certificates of the bodies, or the roots of their chains).

    Intact: the signed bytes hash to what was signed. Valid: the signature over that hash is
    the certificate key's. Trusted: the signer's certificate leads to a trusted one (at ``at``,
    default now) with the document signer's key usage. The last signature must cover the whole
    file, so nothing was appended after it. The signer's details are the last signature's.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception as exc:  # a damaged file raises from deep inside the parser
        return _unsigned(f"The file cannot be read as a PDF: {exc}")
    if not embedded:
        return _unsigned("The document carries no signature.")
    roots = [translate_pyca_cryptography_cert_to_asn1(c) for c in trusted]
    anchors = {certificate_fingerprint(c) for c in trusted}
    problems: list[str] = []
    intact = valid = is_trusted = True
    covers = False
    last = None
    for index, sig in enumerate(embedded, start=1):
        context = ValidationContext(
            trust_roots=roots, moment=at, allow_fetching=False, revocation_mode="soft-fail"
        )
        try:
            status = validate_pdf_signature(sig, context)
        except Exception as exc:  # a changed byte inside the CMS object breaks its parsing
            problems.append(f"Signature {index} cannot be checked: {exc}")
            intact = valid = is_trusted = covers = False
            last = None
            continue
        if not status.intact:
            problems.append(f"Signature {index}: the document was changed after signing.")
        if not status.valid:
            problems.append(f"Signature {index}: the signature value does not match.")
        clean = _padding_is_clean(sig.pkcs7_content) and _cms_is_strict(sig.pkcs7_content)
        if not clean:
            problems.append(f"Signature {index}: the signature object was changed.")
        in_validity = _signed_within_validity(status.signing_cert, status.signer_reported_dt)
        if not in_validity:
            problems.append(f"Signature {index}: signed outside the certificate's validity.")
        exact = _anchor_is_exact(status, anchors)
        if not exact:
            problems.append(f"Signature {index}: the signer's certificate was altered.")
        if status.intact and status.valid and not status.trusted:
            problems.append(f"Signature {index}: the signer's certificate is not trusted.")
        intact &= bool(status.intact) and clean
        valid &= bool(status.valid)
        is_trusted &= bool(status.trusted) and in_validity and exact
        covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        last = status
        last_sig = sig
    if not covers and last is not None:
        problems.append("Something was added to the document after the last signature.")
    if last is None:
        return VerificationResult(
            signatures=len(embedded),
            intact=False,
            valid=False,
            trusted=False,
            covers_whole_file=False,
            problems=tuple(problems),
        )
    cert = x509.load_der_x509_certificate(last.signing_cert.dump())
    reason = last_sig.sig_object.get("/Reason")
    return VerificationResult(
        signatures=len(embedded),
        intact=intact,
        valid=valid,
        trusted=is_trusted,
        covers_whole_file=covers,
        signer_subject=cert.subject.rfc4514_string(),
        signer_common_name=_attribute(cert.subject, NameOID.COMMON_NAME),
        signer_organisation=_attribute(cert.subject, NameOID.ORGANIZATION_NAME),
        signer_fingerprint=certificate_fingerprint(cert),
        signing_time=last.signer_reported_dt,
        reason=str(reason) if reason is not None else None,
        problems=tuple(problems),
    )


def sha256(data: bytes) -> str:
    """Hex SHA-256 of a document's bytes (for audit entries and receipts)."""
    return hashlib.sha256(data).hexdigest()
