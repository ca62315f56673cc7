"""`kari credential keygen|verify` (kari.credentials.cli.main): messages and exit codes."""

from __future__ import annotations

import json
import os
import stat

import pytest
from credentials_support import LIST_URL, make_credential

from kari.credentials import keys, status, vc
from kari.credentials.cli import main

VALID_LINE = (
    "VALID: ნინო ბერიძე — Certificate in Participation Mechanisms, "
    "issued by Solidarity Fund PL in Georgia on 2025-06-01\n"
)


@pytest.fixture
def issuer(tmp_path, capsys):
    """Keys made by `kari credential keygen`: (private PEM, public multibase)."""
    assert main(["keygen", "--out", str(tmp_path / "keys")]) == 0
    out = capsys.readouterr().out
    pem = (tmp_path / "keys" / "private.pem").read_bytes()
    public = (tmp_path / "keys" / "public.txt").read_text().strip()
    assert public in out and keys.did_key(public) in out
    return pem, public


def write(path, document, **dump_args):
    path.write_text(json.dumps(document, ensure_ascii=False, **dump_args), encoding="utf-8")
    return str(path)


def issue(pem, public, **over):
    return vc.sign(make_credential(public, **over), pem)


def test_keygen_writes_private_key_0600(tmp_path, issuer):
    pem, public = issuer
    private_path = tmp_path / "keys" / "private.pem"
    assert stat.S_IMODE(os.stat(private_path).st_mode) == 0o600
    assert keys.public_multibase(keys.load_private(pem)) == public
    keys.public_from_multibase(public)


def test_keygen_refuses_to_overwrite(tmp_path, issuer, capsys):
    before = (tmp_path / "keys" / "private.pem").read_bytes()
    assert main(["keygen", "--out", str(tmp_path / "keys")]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert (tmp_path / "keys" / "private.pem").read_bytes() == before


def test_keygen_then_sign_then_verify_then_tamper(tmp_path, issuer, capsys):
    pem, public = issuer
    path = write(tmp_path / "cert.json", issue(pem, public), indent=2)
    assert main(["verify", path, "--key", public]) == 0
    captured = capsys.readouterr()
    assert captured.out == VALID_LINE
    assert "revocation was not checked" in captured.err

    text = (tmp_path / "cert.json").read_text(encoding="utf-8")
    i = text.index("ნინო") + 1
    (tmp_path / "cert.json").write_text(text[:i] + "ო" + text[i + 1 :], encoding="utf-8")
    assert main(["verify", path, "--key", public]) == 1
    out = capsys.readouterr().out
    assert out.startswith("INVALID: ") and "signature does not match" in out


def test_verify_without_key_warns_on_stderr(tmp_path, issuer, capsys):
    pem, public = issuer
    path = write(tmp_path / "cert.json", issue(pem, public))
    assert main(["verify", path]) == 0
    captured = capsys.readouterr()
    assert captured.out == VALID_LINE
    assert "not checked against a trusted key" in captured.err and public in captured.err


def test_other_key_given_is_invalid(tmp_path, issuer, capsys):
    pem, public = issuer
    _, other = keys.generate()
    path = write(tmp_path / "cert.json", issue(pem, public))
    assert main(["verify", path, "--key", other]) == 1
    assert capsys.readouterr().out == (
        "INVALID: the credential was signed by a key that is not trusted\n"
    )
    assert main(["verify", path, "--key", other, "--key", public]) == 0


def test_credential_signed_by_another_key_fails_with_issuer_key(tmp_path, issuer, capsys):
    _, public = issuer
    other_pem, other = keys.generate()
    path = write(tmp_path / "forged.json", issue(other_pem, other))
    assert main(["verify", path, "--key", public]) == 1
    assert capsys.readouterr().out.startswith("INVALID: ")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ('{"a": 1, "a": 2}', "duplicate member name"),
        ('{"a": NaN}', "NaN is not allowed"),
        ("[]", "not a JSON object"),
        ("{}", "@context"),
    ],
)
def test_unusable_json_is_invalid(tmp_path, capsys, content, reason):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("INVALID: ") and reason in out


def test_non_utf8_file_is_invalid(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_bytes(b'{"name": "\xff"}')
    assert main(["verify", str(path)]) == 1
    assert "not UTF-8" in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path, issuer, capsys):
    pem, public = issuer
    path = write(tmp_path / "cert.json", issue(pem, public))
    assert main([]) == 2
    assert main(["verify"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["verify", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["verify", path, "--key", "not-a-key"]) == 2
    assert "--key" in capsys.readouterr().err
    assert main(["verify", path, "--status", str(tmp_path / "missing.json")]) == 2
    assert main(["keygen"]) == 2
    assert main(["--help"]) == 0


def test_control_characters_are_not_printed_raw(tmp_path, issuer, capsys):
    pem, public = issuer
    path = write(tmp_path / "cert.json", issue(pem, public, subject_name="Eve\x1b[2J\u202e"))
    assert main(["verify", path, "--key", public]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "Eve\\u001b[2J\\u202e" in out


# --- revocation -------------------------------------------------------------------------


def status_list(pem, public, revoked, list_url=LIST_URL):
    listing = status.status_list_credential(
        list_url,
        {"id": keys.did_key(public), "name": "Solidarity Fund PL in Georgia"},
        status.encode(revoked),
        valid_from="2025-06-01T00:00:00Z",
    )
    return vc.sign(listing, pem)


def test_status_not_revoked(tmp_path, issuer, capsys):
    pem, public = issuer
    cert = write(tmp_path / "cert.json", issue(pem, public))
    listing = write(tmp_path / "list.json", status_list(pem, public, {1, 41, 43}))
    assert main(["verify", cert, "--key", public, "--status", listing]) == 0
    captured = capsys.readouterr()
    assert captured.out == VALID_LINE and captured.err == ""


def test_status_revoked(tmp_path, issuer, capsys):
    pem, public = issuer
    cert = write(tmp_path / "cert.json", issue(pem, public))
    listing = write(tmp_path / "list.json", status_list(pem, public, {42}))
    assert main(["verify", cert, "--key", public, "--status", listing]) == 1
    assert capsys.readouterr().out == (
        f"INVALID: the credential has been revoked (status list {LIST_URL}, index 42)\n"
    )
    # Without --key the list must be signed by the credential's own signer.
    assert main(["verify", cert, "--status", listing]) == 1


def test_status_list_tampered(tmp_path, issuer, capsys):
    pem, public = issuer
    cert = write(tmp_path / "cert.json", issue(pem, public))
    listing = status_list(pem, public, {42})
    listing["credentialSubject"]["encodedList"] = status.encode(set())  # un-revoke
    path = write(tmp_path / "list.json", listing)
    assert main(["verify", cert, "--key", public, "--status", path]) == 1
    assert capsys.readouterr().out.startswith("INVALID: status list: the signature does not match")


def test_status_list_from_another_key(tmp_path, issuer, capsys):
    pem, public = issuer
    other_pem, other = keys.generate()
    cert = write(tmp_path / "cert.json", issue(pem, public))
    path = write(tmp_path / "list.json", status_list(other_pem, other, set()))
    assert main(["verify", cert, "--status", path]) == 1
    assert "status list: " in capsys.readouterr().out
    assert main(["verify", cert, "--key", public, "--status", path]) == 1


def test_status_list_for_another_list(tmp_path, issuer, capsys):
    pem, public = issuer
    cert = write(tmp_path / "cert.json", issue(pem, public))
    path = write(
        tmp_path / "list.json",
        status_list(pem, public, set(), "https://kari.example.ge/credentials/status/2"),
    )
    assert main(["verify", cert, "--key", public, "--status", path]) == 1
    assert "the credential refers to" in capsys.readouterr().out


def test_status_given_for_credential_without_status(tmp_path, issuer, capsys):
    pem, public = issuer
    cert = write(tmp_path / "cert.json", issue(pem, public, status=None))
    path = write(tmp_path / "list.json", status_list(pem, public, {42}))
    assert main(["verify", cert, "--key", public, "--status", path]) == 0
    assert "no revocation status entry" in capsys.readouterr().err
