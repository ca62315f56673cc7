"""Nobody can keep a clerk out by failing with the clerk's username from elsewhere: failed
passwords slow down the (account, address) pair that failed; the address budget stays, and a
generous per-account ceiling across addresses spares the addresses the account signed in from."""

import datetime as dt

import pytest

from kari.accounts.models import Throttle
from kari.accounts.roles import OrgKind, Role
from tests.conftest import make_org, make_user

PASSWORD = "Long-enough-pass-1"


def _login(client, username, password, ip):
    return client.post(
        "/en/staff/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def _signed_in(response):
    return response.status_code == 302


def _refused_for_waiting(response):
    return response.status_code == 200 and "Too many wrong attempts" in response.content.decode()


def _age_failures(seconds):
    """The last failure is `seconds` older (the counting window goes on)."""
    for t in Throttle.objects.exclude(key__startswith="login:known:"):
        Throttle.objects.filter(pk=t.pk).update(last_at=t.last_at - dt.timedelta(seconds=seconds))


@pytest.fixture
def clerk(db):
    org = make_org("rc-lock", OrgKind.RESOURCE_CENTRE)
    return make_user("clerk-lock", org, [Role.REGISTRATION_CLERK])


@pytest.mark.django_db
def test_an_attacker_failing_elsewhere_does_not_keep_the_clerk_out(client, clerk, settings):
    # The attacker fails over and over, each time the back-off ends, until the cap is reached.
    for _ in range(5):
        assert not _signed_in(_login(client, "CLERK-lock ", "guess", ip="198.51.100.9"))
    assert _refused_for_waiting(_login(client, "clerk-lock", "guess", ip="198.51.100.9"))
    for _ in range(8):
        _age_failures(settings.KARI_LOGIN_THROTTLE["BACKOFF_MAX_SECONDS"] + 1)
        _login(client, "clerk-lock", "guess", ip="198.51.100.9")
    # The attacker himself waits...
    assert _refused_for_waiting(_login(client, "clerk-lock", PASSWORD, ip="198.51.100.9"))
    # ...but the clerk's right password from the clerk's own network works at once.
    assert _signed_in(_login(client, "clerk-lock", PASSWORD, ip="203.0.113.5"))


@pytest.mark.django_db
def test_wrong_passwords_from_one_address_still_slow_that_address(client, clerk):
    for _ in range(5):
        assert not _signed_in(_login(client, "clerk-lock", "guess", ip="203.0.113.5"))
    # Even the right password waits there (a guesser cannot tell when he hit it)...
    assert _refused_for_waiting(_login(client, "clerk-lock", PASSWORD, ip="203.0.113.5"))
    # ...and the wait ends by itself.
    _age_failures(31)
    assert _signed_in(_login(client, "clerk-lock", PASSWORD, ip="203.0.113.5"))


@pytest.mark.django_db
def test_the_address_budget_still_holds_across_accounts(client, clerk, settings):
    settings.KARI_LOGIN_THROTTLE = settings.KARI_LOGIN_THROTTLE | {"PER_ADDRESS": 3}
    for i in range(3):
        _login(client, f"nobody-{i}", "guess", ip="198.51.100.9")
    assert _refused_for_waiting(_login(client, "clerk-lock", PASSWORD, ip="198.51.100.9"))
    assert _signed_in(_login(client, "clerk-lock", PASSWORD, ip="203.0.113.5"))


@pytest.mark.django_db
def test_a_guessing_attack_spread_over_many_addresses_meets_a_ceiling(client, clerk, settings):
    settings.KARI_LOGIN_THROTTLE = settings.KARI_LOGIN_THROTTLE | {"PER_ACCOUNT_ALL_ADDRESSES": 6}
    # The clerk has signed in from the office before.
    assert _signed_in(_login(client, "clerk-lock", PASSWORD, ip="203.0.113.5"))
    client.logout()
    for i in range(6):  # one try from each of many addresses: no pair budget is reached
        _login(client, "clerk-lock", "guess", ip=f"198.51.100.{i + 1}")
    # A new address now waits for this account (the ceiling across addresses)...
    assert _refused_for_waiting(_login(client, "clerk-lock", "guess", ip="198.51.100.77"))
    assert _refused_for_waiting(_login(client, "clerk-lock", PASSWORD, ip="192.0.2.1"))
    # ...but not the address the clerk signed in from before, and not other accounts.
    assert _signed_in(_login(client, "clerk-lock", PASSWORD, ip="203.0.113.5"))
    client.logout()
    make_user("other-lock", clerk.organisation, [Role.REGISTRATION_CLERK])
    assert _signed_in(_login(client, "other-lock", PASSWORD, ip="198.51.100.77"))
