"""PAdES signing (kari.documents.signing): pyHanko's own validation reports a signed document
intact and signed by the configured certificate; one changed byte, a foreign certificate or a
later addition fails."""

import datetime as dt
import io

import pytest
from fpdf import FPDF
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from kari.documents import signing


def _pdf(text: str = "რეიტინგული ჩამონათვალი") -> bytes:
    from kari.documents.fonts import FONT_FAMILY, add_fonts

    doc = FPDF()
    add_fonts(doc)
    doc.add_page()
    doc.set_font(FONT_FAMILY, size=12)
    doc.cell(text=text)
    return bytes(doc.output())


@pytest.fixture(scope="module")
def naec():
    return signing.make_self_signed("ცენტრის დირექტორი", "შეფასებისა და გამოცდების ეროვნული ცენტრი")


@pytest.fixture(scope="module")
def ministry():
    return signing.make_self_signed("მინისტრი", "განათლების სამინისტრო")


@pytest.fixture(scope="module")
def signed(naec):
    return signing.sign_pdf(_pdf(), naec, reason="A27.5", location="თბილისი")


def test_A27_5_pyhanko_reports_intact_and_signed_by_the_configured_certificate(naec, signed):
    reader = PdfFileReader(io.BytesIO(signed))
    (sig,) = reader.embedded_regular_signatures
    context = ValidationContext(
        trust_roots=[signing.translate_pyca_cryptography_cert_to_asn1(naec.certificate)]
    )
    status = validate_pdf_signature(sig, context)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.dump() == naec.certificate.public_bytes(
        signing.serialization.Encoding.DER
    )
    assert status.pkcs7_signature_mechanism.startswith("sha256_ecdsa")


def test_signature_is_pades_so_pdf_readers_show_it(signed):
    reader = PdfReader(io.BytesIO(signed))
    (field,) = [f for f in reader.get_fields().values() if f.get("/FT") == "/Sig"]
    value = field["/V"].get_object()
    assert value["/SubFilter"] == "/ETSI.CAdES.detached"
    assert value["/Reason"] == "A27.5"
    assert value["/Location"] == "თბილისი"
    assert len(value["/ByteRange"]) == 4


def test_verify_pdf_reports_signer_time_and_reason(naec, signed):
    result = signing.verify_pdf(signed, [naec.certificate])
    assert result.ok, result.problems
    assert result.signatures == 1
    assert result.signer_common_name == "ცენტრის დირექტორი"
    assert result.signer_organisation == "შეფასებისა და გამოცდების ეროვნული ცენტრი"
    assert result.signer_fingerprint == naec.fingerprint
    assert result.reason == "A27.5"
    assert abs(result.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


@pytest.mark.parametrize("where", [0.05, 0.3, 0.5, 0.9, 0.999])
def test_one_changed_byte_fails(naec, signed, where):
    tampered = bytearray(signed)
    i = int(len(signed) * where)
    tampered[i] = (tampered[i] + 1) % 256
    result = signing.verify_pdf(bytes(tampered), [naec.certificate])
    assert not result.ok
    assert result.problems


def test_a_changed_byte_in_the_content_is_reported_as_not_intact(naec, signed):
    tampered = signed.replace(b"595.28", b"595.29", 1)
    assert tampered != signed
    result = signing.verify_pdf(tampered, [naec.certificate])
    assert not result.intact and not result.ok


def test_another_bodys_certificate_is_untrusted(ministry, signed):
    result = signing.verify_pdf(signed, [ministry.certificate])
    assert result.intact and result.valid
    assert not result.trusted and not result.ok
    assert "not trusted" in result.problems[0]


def test_no_trusted_certificates_trusts_nothing(signed):
    assert not signing.verify_pdf(signed, []).trusted


def test_a_certificate_expired_at_signing_is_untrusted():
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    expired = signing.make_self_signed("ძველი", "ძველი ორგანო", valid_days=10, now=long_ago)
    out = signing.sign_pdf(_pdf(), expired, reason="A27.5")
    result = signing.verify_pdf(out, [expired.certificate])
    assert result.intact and not result.trusted and not result.ok
    assert any("validity" in p for p in result.problems)


def test_every_byte_of_the_signature_padding_counts(naec, signed):
    start = signed.index(b"/Contents <") + len(b"/Contents <")
    end = signed.index(b">", start)
    tampered = bytearray(signed)
    tampered[end - 1] = ord("1")  # the last hex digit of the zero padding
    assert not signing.verify_pdf(bytes(tampered), [naec.certificate]).ok


def test_an_addition_after_signing_is_noticed(naec, signed):
    appended = signed + b"\n% appended\n"
    result = signing.verify_pdf(appended, [naec.certificate])
    assert not result.ok


def test_an_unsigned_or_broken_file_is_refused(naec):
    assert signing.verify_pdf(_pdf(), [naec.certificate]).signatures == 0
    broken = signing.verify_pdf(b"not a pdf", [naec.certificate])
    assert not broken.ok and broken.problems


def test_two_bodies_sign_one_document(naec, ministry, signed):
    both = signing.sign_pdf(signed, ministry, reason="A40.8", field_name="Second")
    result = signing.verify_pdf(both, [naec.certificate, ministry.certificate])
    assert result.ok and result.signatures == 2
    assert result.signer_common_name == "მინისტრი"
    assert not signing.verify_pdf(both, [ministry.certificate]).ok


def test_visible_seal_box(naec):
    out = signing.sign_pdf(
        _pdf(), naec, reason="A27.5", seal=signing.SealBox(x=350, y=40), name="Director"
    )
    assert signing.verify_pdf(out, [naec.certificate]).ok
    page = PdfReader(io.BytesIO(out)).pages[-1]
    widgets = [a.get_object() for a in page["/Annots"]]
    (widget,) = [w for w in widgets if w.get("/FT") == "/Sig" or "/Parent" in w or "/AP" in w]
    assert [float(v) for v in widget["/Rect"]] == [350, 40, 550, 100]


def test_pkcs12_round_trip(naec, signed):
    for passphrase in (b"correct horse", None):
        data = signing.identity_to_pkcs12(naec, passphrase)
        loaded = signing.load_pkcs12(data, passphrase)
        assert loaded.fingerprint == naec.fingerprint
        again = signing.sign_pdf(_pdf(), loaded, reason="A27.5")
        assert signing.verify_pdf(again, [naec.certificate]).ok


def test_pkcs12_with_a_wrong_passphrase_is_refused(naec):
    data = signing.identity_to_pkcs12(naec, b"right")
    with pytest.raises(signing.SigningError, match="passphrase"):
        signing.load_pkcs12(data, b"wrong")
    with pytest.raises(signing.SigningError):
        signing.load_pkcs12(b"garbage", None)


def test_certificate_pem_round_trip(naec):
    pem = signing.certificate_pem(naec.certificate)
    assert signing.load_certificate(pem) == naec.certificate
    der = naec.certificate.public_bytes(signing.serialization.Encoding.DER)
    assert signing.load_certificate(der) == naec.certificate
    with pytest.raises(signing.SigningError):
        signing.load_certificate(b"-----BEGIN nonsense")


def test_key_is_ecdsa_p256(naec):
    assert naec.private_key.curve.name == "secp256r1"
