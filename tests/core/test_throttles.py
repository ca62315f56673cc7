"""Issue 11, point 4: rate limits that hold behind a proxy and cannot be turned against anyone."""

import datetime as dt

import pytest
from django.test import RequestFactory

from kari.accounts.models import Throttle
from kari.accounts.roles import OrgKind, Role
from kari.clientip import client_ip
from kari.codes import services as codes
from kari.codes.models import OneTimeCode
from tests.conftest import make_org, make_user


def test_the_client_address_comes_from_the_configured_trusted_proxies_only(settings):
    rf = RequestFactory()
    spoofed = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.KARI_TRUSTED_PROXIES = 0
    assert client_ip(spoofed) == "10.0.0.1"  # no proxies configured: the header is ignored
    settings.KARI_TRUSTED_PROXIES = 1
    assert client_ip(spoofed) == "203.0.113.7"  # what our proxy saw, not what the client wrote
    settings.KARI_TRUSTED_PROXIES = 2
    assert client_ip(spoofed) == "6.6.6.6"
    settings.KARI_TRUSTED_PROXIES = 3
    assert client_ip(spoofed) == "10.0.0.1"  # fewer entries than proxies: not trusted
    bad = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")
    settings.KARI_TRUSTED_PROXIES = 1
    assert client_ip(bad) == "10.0.0.1"


def test_the_network_budget_is_sized_for_a_national_registration_day(settings):
    assert settings.KARI_OTP["PER_IP_PER_HOUR"] >= 3000


def _age_codes(seconds):
    for c in OneTimeCode.objects.all():
        OneTimeCode.objects.filter(pk=c.pk).update(
            created_at=c.created_at - dt.timedelta(seconds=seconds)
        )


@pytest.mark.django_db
def test_asking_for_someones_codes_slows_delivery_but_never_blocks_them_for_long(settings):
    for i in range(5):
        codes.issue("sign_in", "01024012345", ip="10.6.6.6")
    with pytest.raises(codes.CodeRefused, match="30"):  # the asking network is slowed
        codes.issue("sign_in", "01024012345", ip="10.6.6.6")
    assert 0 < codes.backoff_wait(codes.keyed_hash("01024012345"), ip="10.6.6.6") <= 30
    # The real applicant, on another network, is not slowed at all.
    assert codes.backoff_wait(codes.keyed_hash("01024012345"), ip="10.9.9.9") == 0
    codes.issue("sign_in", "01024012345", ip="10.9.9.9")
    _age_codes(31)
    codes.issue("sign_in", "01024012345", ip="10.6.6.6")  # the back-off ends by itself
    # However many codes a network asked for, its wait is at most BACKOFF_MAX_SECONDS.
    for _ in range(20):
        _age_codes(settings.KARI_OTP["BACKOFF_MAX_SECONDS"] + 1)
        codes.issue("sign_in", "01024012345", ip="10.6.6.6")
    wait = codes.backoff_wait(codes.keyed_hash("01024012345"), ip="10.6.6.6")
    assert 0 < wait <= settings.KARI_OTP["BACKOFF_MAX_SECONDS"]
    # Another person is not slowed at all.
    assert codes.backoff_wait(codes.keyed_hash("61001012345"), ip="10.6.6.6") == 0


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/en/staff/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.mark.django_db
def test_the_staff_password_step_is_throttled_per_account_and_per_address(client, settings):
    org = make_org("rc-t", OrgKind.RESOURCE_CENTRE)
    make_user("clerk-t", org, [Role.REGISTRATION_CLERK])
    for _ in range(5):
        assert "wrong" in _login(client, "clerk-t", "guess").content.decode()
    # The sixth try from that address waits, even with the right password...
    page = _login(client, "clerk-t", "Long-enough-pass-1").content.decode()
    assert "Too many wrong attempts" in page
    # ...but not from another address: failures elsewhere never lock the clerk out
    # (tests/accounts/test_login_lockout.py).
    assert _login(client, "clerk-t", "Long-enough-pass-1", ip="10.0.0.2").status_code == 302
    # The back-off ends by itself: nobody is locked out for long.
    Throttle.objects.update(
        last_at=Throttle.objects.get(key="login:pair:10.0.0.1:clerk-t").last_at
        - dt.timedelta(seconds=31)
    )
    assert _login(client, "clerk-t", "Long-enough-pass-1").status_code == 302
    # Per address: many accounts tried from one address.
    settings.KARI_LOGIN_THROTTLE = settings.KARI_LOGIN_THROTTLE | {"PER_ADDRESS": 3}
    for i in range(3):
        _login(client, f"nobody-{i}", "guess", ip="10.6.6.6")
    page = _login(client, "clerk-t", "Long-enough-pass-1", ip="10.6.6.6")
    assert page.status_code == 200
