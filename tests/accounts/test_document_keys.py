"""One document key per signing body (kari.accounts.signing): self-signed in the demo, a PKCS#12
from the environment in production, stored encrypted, audited; verification trusts every
body's certificate and no other."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from fpdf import FPDF

from kari.accounts import signing
from kari.accounts.models import DocumentKey
from kari.accounts.roles import OrgKind
from kari.audit.models import AuditEntry
from kari.documents import signing as pades
from kari.errors import RuleError
from tests.conftest import make_org


def _pdf() -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text="Ranking list")
    return bytes(doc.output())


@pytest.fixture
def bodies(db):
    return make_org("naec", OrgKind.NAEC), make_org("ministry", OrgKind.MINISTRY)


def test_A27_5_signed_by_the_body_and_verified_against_its_certificate(bodies):
    naec, _ = bodies
    signed = signing.sign_document(naec, _pdf(), reason="A27.5 ranking list")
    result = signing.verify_document(signed)
    assert result.ok, result.problems
    key = DocumentKey.objects.get(organisation=naec)
    assert result.signer_fingerprint == key.fingerprint
    assert signing.signing_body(result) == naec
    assert result.reason == "A27.5 ranking list"
    assert result.signer_common_name == naec.name_ka


def test_one_key_per_body_made_once_and_audited(bodies):
    naec, ministry = bodies
    signing.sign_document(naec, _pdf(), reason="r")
    signing.sign_document(naec, _pdf(), reason="r")
    signing.sign_document(ministry, _pdf(), reason="r")
    assert DocumentKey.objects.filter(organisation=naec).count() == 1
    assert DocumentKey.objects.count() == 2
    entries = AuditEntry.objects.filter(action="document_key.create")
    assert entries.count() == 2
    assert {e.organisation_id for e in entries} == {naec.pk, ministry.pk}
    assert "fingerprint" in entries.first().after


def test_one_changed_byte_fails(bodies):
    naec, _ = bodies
    signed = bytearray(signing.sign_document(naec, _pdf(), reason="r"))
    signed[len(signed) // 3] ^= 0x01
    assert not signing.verify_document(bytes(signed)).ok


def test_a_document_signed_outside_kari_is_untrusted(bodies):
    naec, _ = bodies
    signing.document_key(naec)
    stranger = pades.make_self_signed(naec.name_ka, "ყალბი")
    forged = pades.sign_pdf(_pdf(), stranger, reason="A27.5")
    result = signing.verify_document(forged)
    assert result.intact and not result.trusted and not result.ok
    assert signing.signing_body(result) is None


def test_the_private_key_is_stored_encrypted(bodies, settings):
    naec, _ = bodies
    secret = Fernet.generate_key().decode()
    settings.KARI_DOCUMENT_SIGNING = {
        **settings.KARI_DOCUMENT_SIGNING,
        "KEY_ENCRYPTION_KEY": secret,
    }
    key = signing.document_key(naec)
    identity = signing.identity_for(naec)
    stored = bytes(key.encrypted_key)
    assert b"PRIVATE" not in stored
    der = Fernet(secret).decrypt(stored)
    assert der == identity.private_key.private_bytes(
        pades.serialization.Encoding.DER,
        pades.serialization.PrivateFormat.PKCS8,
        pades.serialization.NoEncryption(),
    )
    signing._identities.clear()  # a new process: the key comes from the database
    settings.KARI_DOCUMENT_SIGNING = {
        **settings.KARI_DOCUMENT_SIGNING,
        "KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    with pytest.raises(ImproperlyConfigured, match="KARI_KEY_ENCRYPTION_KEY"):
        signing.identity_for(naec)


def test_production_without_a_certificate_refuses_to_sign(bodies, settings):
    naec, _ = bodies
    settings.KARI_DOCUMENT_SIGNING = {
        **settings.KARI_DOCUMENT_SIGNING,
        "SELF_SIGNED": False,
        "KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    with pytest.raises(RuleError):
        signing.sign_document(naec, _pdf(), reason="r")
    assert not DocumentKey.objects.exists()


def test_production_loads_the_pkcs12_from_the_environment(bodies, settings, tmp_path, monkeypatch):
    naec, _ = bodies
    settings.KARI_DOCUMENT_SIGNING = {
        **settings.KARI_DOCUMENT_SIGNING,
        "SELF_SIGNED": False,
        "KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    issued = pades.make_self_signed("ცენტრის დირექტორი", "NAEC")
    p12 = tmp_path / "naec.p12"
    p12.write_bytes(pades.identity_to_pkcs12(issued, b"s3cret"))
    monkeypatch.setenv("KARI_SIGNING_P12_NAEC", str(p12))
    monkeypatch.setenv("KARI_SIGNING_P12_NAEC_PASSPHRASE", "s3cret")
    signed = signing.sign_document(naec, _pdf(), reason="A27.5")
    result = signing.verify_document(signed)
    assert result.ok and result.signer_fingerprint == issued.fingerprint
    key = DocumentKey.objects.get(organisation=naec)
    assert key.source == DocumentKey.Source.PKCS12

    # A renewed certificate replaces the key; documents signed with the old one still verify.
    renewed = pades.make_self_signed("ცენტრის დირექტორი", "NAEC")
    p12.write_bytes(pades.identity_to_pkcs12(renewed, b"s3cret"))
    signed_again = signing.sign_document(naec, _pdf(), reason="A27.5")
    assert signing.verify_document(signed_again).signer_fingerprint == renewed.fingerprint
    assert signing.verify_document(signed).ok
    assert DocumentKey.objects.filter(organisation=naec, active=True).get().fingerprint == (
        renewed.fingerprint
    )
    assert DocumentKey.objects.filter(organisation=naec).count() == 2


def test_a_wrong_pkcs12_passphrase_is_a_configuration_error(bodies, tmp_path, monkeypatch):
    naec, _ = bodies
    p12 = tmp_path / "naec.p12"
    p12.write_bytes(pades.identity_to_pkcs12(pades.make_self_signed("a", "b"), b"right"))
    monkeypatch.setenv("KARI_SIGNING_P12_NAEC", str(p12))
    monkeypatch.setenv("KARI_SIGNING_P12_NAEC_PASSPHRASE", "wrong")
    with pytest.raises(ImproperlyConfigured, match="KARI_SIGNING_P12_NAEC"):
        signing.sign_document(naec, _pdf(), reason="r")


def test_trusted_certificates_are_every_bodys(bodies):
    naec, ministry = bodies
    signing.document_key(naec)
    signing.document_key(ministry)
    fingerprints = {pades.certificate_fingerprint(c) for c in signing.trusted_certificates()}
    assert fingerprints == set(DocumentKey.objects.values_list("fingerprint", flat=True))


def test_cli_verify(bodies, tmp_path):
    naec, _ = bodies
    good = tmp_path / "good.pdf"
    good.write_bytes(signing.sign_document(naec, _pdf(), reason="A27.5"))
    out = io.StringIO()
    call_command("documents", "verify", str(good), stdout=out, stderr=io.StringIO())
    assert "intact, signed by a trusted body" in out.getvalue()
    assert "(naec)" in out.getvalue()

    bad = tmp_path / "bad.pdf"
    data = bytearray(good.read_bytes())
    data[len(data) // 4] ^= 0x01
    bad.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="does NOT verify"):
        call_command("documents", "verify", str(bad), stdout=io.StringIO(), stderr=io.StringIO())


def test_cli_exit_status_is_1_for_a_bad_file(bodies, tmp_path):
    from kari.cli import main

    bad = tmp_path / "unsigned.pdf"
    bad.write_bytes(_pdf())
    with pytest.raises(SystemExit) as exc:
        main(["documents", "verify", str(bad)])
    assert exc.value.code == 1


def test_cli_prints_the_certificate(bodies):
    naec, _ = bodies
    key = signing.document_key(naec)
    out = io.StringIO()
    call_command("documents", "certificate", "naec", stdout=out)
    assert out.getvalue() == key.certificate_pem
    with pytest.raises(CommandError):
        call_command("documents", "certificate", "nobody", stdout=io.StringIO())
