"""Issue 11, point 6: the smaller controls, one regression test each."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parents[2]


def _settings_in_a_fresh_process(env_over: dict, expr: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARI_")}
    env.update(env_over)
    env["DJANGO_SETTINGS_MODULE"] = "kari.settings"
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print({expr})"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    start = "__import__('kari.wsgi').wsgi.application is not None"
    done = _settings_in_a_fresh_process({}, start)
    assert done.returncode != 0 and "KARI_SECRET_KEY" in done.stderr
    short = _settings_in_a_fresh_process({"KARI_SECRET_KEY": "short"}, start)
    assert short.returncode != 0
    ok = _settings_in_a_fresh_process({"KARI_SECRET_KEY": "k" * 50}, start)
    assert ok.returncode == 0 and ok.stdout.strip() == "True", ok.stderr
    dev = _settings_in_a_fresh_process({"KARI_DEBUG": "1"}, start)
    assert dev.returncode == 0, dev.stderr


def test_hsts_covers_subdomains_with_https():
    done = _settings_in_a_fresh_process(
        {"KARI_SECRET_KEY": "k" * 50, "KARI_HTTPS": "1"},
        "settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS",
    )
    assert done.stdout.strip() == "31536000 True", done.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("command", [["totp", "someone"], ["demo"]])
def test_demo_aids_refuse_to_run_outside_development(settings, command):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="KARI_DEBUG=1"):
        call_command(*command)


@pytest.mark.django_db
def test_a_pending_codes_personal_data_is_cleared_on_use_and_purged():
    import datetime as dt

    from django.utils import timezone

    from kari.codes import services as codes
    from kari.codes.models import OneTimeCode

    used, plain = codes.issue("register", "01024012345", payload={"data": {"phone": "+995"}})
    code = codes.check("register", "01024012345", plain)
    assert code.payload["data"]["phone"] == "+995"  # the caller still has it
    assert OneTimeCode.objects.get(pk=used.pk).payload == {}
    expired, _ = codes.issue("register", "61001012345", payload={"data": {"x": 1}})
    old, _ = codes.issue("register", "01001099999", payload={"data": {"x": 1}})
    OneTimeCode.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    OneTimeCode.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    call_command("codes", "purge")
    assert OneTimeCode.objects.get(pk=expired.pk).payload == {}
    assert not OneTimeCode.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
def test_a_staff_session_ends_after_the_idle_timeout(client, world, settings):
    from kari.accounts.roles import Role
    from kari.middleware import LAST_SEEN

    sign_in(client, world["users"][Role.EMIS_OPERATOR])
    assert client.get("/en/staff/password/").status_code == 200
    session = client.session
    session[LAST_SEEN] = int(time.time()) - settings.KARI_STAFF_IDLE_SECONDS - 1
    session.save()
    response = client.get("/en/staff/password/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


@pytest.mark.django_db
def test_pages_with_personal_data_are_never_stored(client, world):
    from kari.accounts.roles import Role

    public = client.get("/en/")
    assert "no-store" not in public.get("Cache-Control", "")
    sign_in(client, world["users"][Role.REGISTRATION_CLERK])
    for url in ("/en/", "/en/staff/password/", "/en/centre/counter/"):
        assert "no-store" in client.get(url)["Cache-Control"], url


@pytest.mark.django_db
def test_staff_change_their_password_and_new_accounts_follow_the_password_rules(client, world):
    from django.core.exceptions import ValidationError

    from kari.accounts import services
    from kari.accounts.roles import Role
    from kari.audit.models import AuditEntry

    user = world["users"][Role.EMIS_OPERATOR]
    sign_in(client, user)
    weak = client.post(
        "/en/staff/password/",
        {"old_password": "Long-enough-pass-1", "new_password": "12345678"},
    )
    assert weak.status_code == 200 and "numeric" in weak.content.decode()
    done = client.post(
        "/en/staff/password/",
        {"old_password": "Long-enough-pass-1", "new_password": "Another-Long-pass-2"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-Long-pass-2")
    assert AuditEntry.objects.filter(action="staff.password_change").exists()
    with pytest.raises(ValidationError) as exc:
        services.create_staff(
            None,
            username="weak",
            password="password",
            organisation=user.organisation,
            roles=[Role.EMIS_OPERATOR],
        )
    assert "password" in exc.value.message_dict


def test_download_filenames_are_sanitised():
    from kari.files import attachment

    header = attachment('../../etc/a"b\r\nSet-Cookie: x=1;ნინო.pdf')
    assert "\r" not in header and "\n" not in header and "/" not in header.split("''")[-1]
    assert header.startswith("attachment; filename") and "ნინო" not in header  # encoded
    assert "%E1%83%9C" in header  # RFC 6266 filename* in UTF-8


@pytest.mark.django_db
def test_a_malformed_post_is_the_clients_error_not_the_servers(client):
    from kari.certification.models import CertApplicant

    who = CertApplicant.objects.create(email="nino@example.ge", full_name_ka="ნინო ბერიძე")
    session = client.session
    session["kari_cert_applicant"] = who.pk
    session.save()
    assert client.post("/certification/my/", {"request": "abc", "answer": "x"}).status_code == 400
    assert client.post("/certification/my/", {"body": "x"}).status_code == 400
    assert client.post("/certification/sign-out/").status_code == 302  # and applicants sign out
    assert client.get("/certification/my/")["Location"].endswith("/certification/sign-in/")


@pytest.mark.django_db
def test_certificate_numbers_cannot_be_guessed_in_sequence():
    from kari.certification.issuing import certificate_number

    numbers = {certificate_number("solidarity-fund", 2026) for _ in range(50)}
    assert len(numbers) == 50
    assert all(
        n.startswith("SOLIDA-2026-") and len(n) == len("SOLIDA-2026-XXXX-XXXX") for n in numbers
    )


def test_no_template_has_an_inline_style_the_csp_blocks():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "kari").rglob("*.html")
        if 'style="' in p.read_text("utf-8")
    ]
    assert offenders == []


@pytest.mark.django_db
def test_credential_signing_keys_are_encrypted_at_rest(settings):
    from kari.accounts.roles import OrgKind
    from kari.certification import issuing
    from kari.errors import RuleError
    from tests.conftest import make_org

    key = issuing.generate_key(make_org("cert-x", OrgKind.CERTIFIER))
    stored = bytes(key.private_pem)
    assert b"PRIVATE KEY" not in stored and stored.startswith(issuing.SEALED)
    assert b"PRIVATE KEY" in issuing.unseal(stored)
    settings.KARI_KEY_ENCRYPTION_KEY = "another key"
    with pytest.raises(RuleError):
        issuing.unseal(stored)
