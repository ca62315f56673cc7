"""One-time codes cannot be turned against the person they are for (issue 11, point 4).

Knowing someone's personal number (or email) lets anyone ask for their codes; it must not let
them use up the person's budget, kill the code the person holds, or burn its attempts. Guessing
is slowed per network instead, without any per-person lock.
"""

import datetime as dt

import pytest
from django.utils import translation

from kari.accounts.models import Throttle
from kari.codes import services as codes
from kari.codes.models import OneTimeCode

pytestmark = pytest.mark.django_db

VICTIM = "01024012345"
HOME, ATTACKER = "10.0.0.1", "10.6.6.6"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _wrong(plain: str) -> str:
    return "000000" if plain != "000000" else "111111"


def _age_codes(seconds):
    for c in OneTimeCode.objects.all():
        OneTimeCode.objects.filter(pk=c.pk).update(
            created_at=c.created_at - dt.timedelta(seconds=seconds)
        )


def test_codes_asked_from_another_network_do_not_use_up_the_persons_budget(settings):
    for _ in range(5):
        codes.issue("sign_in", VICTIM, ip=ATTACKER)
    with pytest.raises(codes.CodeRefused, match="30"):  # the asking network is slowed down
        codes.issue("sign_in", VICTIM, ip=ATTACKER)
    # The person's own network is not.
    code, _plain = codes.issue("sign_in", VICTIM, ip=HOME)
    assert code.ip == HOME
    assert 0 < codes.backoff_wait(codes.keyed_hash(VICTIM), ip=ATTACKER) <= 30
    # Requests without an address are a bucket of their own.
    assert codes.backoff_wait(codes.keyed_hash(VICTIM)) == 0


def test_a_persons_ceiling_across_networks_slows_each_network_from_its_own_last_code(settings):
    settings.KARI_OTP = settings.KARI_OTP | {"PER_PERSON_ALL_NETWORKS_PER_HOUR": 8}
    for i in range(8):
        codes.issue("sign_in", VICTIM, ip=f"10.6.0.{i}")
    # Over the ceiling a network that already asked waits (flooding needs many networks) ...
    with pytest.raises(codes.CodeRefused):
        codes.issue("sign_in", VICTIM, ip="10.6.0.1")
    # ... while a network's first code always goes: the person is never held back by others.
    codes.issue("sign_in", VICTIM, ip=HOME)
    wait = codes.backoff_wait(codes.keyed_hash(VICTIM), ip=HOME)
    assert 0 < wait <= settings.KARI_OTP["BACKOFF_MAX_SECONDS"]
    _age_codes(settings.KARI_OTP["BACKOFF_MAX_SECONDS"] + 1)
    codes.issue("sign_in", VICTIM, ip=HOME)  # the wait ends by itself


def test_ipv6_addresses_of_one_subscriber_share_a_budget():
    for i in range(5):
        codes.issue("sign_in", VICTIM, ip=f"2001:db8:1:2::{i + 1}")
    with pytest.raises(codes.CodeRefused):  # another address of the same /64
        codes.issue("sign_in", VICTIM, ip="2001:db8:1:2::99")
    codes.issue("sign_in", VICTIM, ip="2001:db8:1:3::1")  # another subscriber


def test_the_code_a_person_holds_survives_codes_others_ask_for_them():
    mine, plain = codes.issue("sign_in", VICTIM, ip=HOME)
    for _ in range(3):
        codes.issue("sign_in", VICTIM, ip=ATTACKER)
    code, refused = codes.verify("sign_in", plain, code_id=mine.pk)
    assert refused is None and code.pk == mine.pk


def test_send_a_new_code_retires_the_earlier_code_and_its_data():
    first, first_plain = codes.issue(
        "register", VICTIM, ip=HOME, payload={"data": {"phone": "+995"}}
    )
    second, second_plain = codes.reissue("register", first.pk, ip=HOME)
    assert second.payload == {"data": {"phone": "+995"}}
    retired = OneTimeCode.objects.get(pk=first.pk)
    assert retired.used_at is not None and retired.payload == {}
    code, refused = codes.verify("register", first_plain, code_id=first.pk, ip=HOME)
    assert code is None and refused
    with pytest.raises(codes.CodeRefused):  # and cannot be renewed again
        codes.reissue("register", first.pk, ip=HOME)
    code, refused = codes.verify("register", second_plain, code_id=second.pk, ip=HOME)
    assert refused is None and code.payload == {"data": {"phone": "+995"}}


def test_guesses_by_person_from_another_network_cannot_burn_the_persons_code():
    """`check()` (by personal number or email, as certification's sign-in does)."""
    _mine, plain = codes.issue("cert_sign_in", "nino@example.ge", ip=HOME)
    codes.issue("cert_sign_in", "nino@example.ge", ip=ATTACKER)  # a newer code, elsewhere
    for _ in range(8):
        with pytest.raises(codes.CodeRefused):
            codes.check("cert_sign_in", "nino@example.ge", _wrong(plain), ip=ATTACKER)
    code = codes.check("cert_sign_in", "nino@example.ge", plain, ip=HOME)
    assert code.pk == _mine.pk and code.attempts == 1


def test_failed_code_checks_back_off_per_network_without_locking_anyone(settings):
    settings.KARI_OTP = settings.KARI_OTP | {"FAILED_PER_IP_PER_HOUR": 3}
    numbers = [f"0100109999{i}" for i in range(4)]
    issued = [codes.issue("sign_in", n, ip=ATTACKER) for n in numbers]
    for number, (_code, plain) in zip(numbers[:3], issued[:3], strict=True):
        with pytest.raises(codes.CodeRefused, match="wrong or has expired"):
            codes.check("sign_in", number, _wrong(plain), ip=ATTACKER)  # one guess at each
    code, plain = issued[3]
    # The network now waits, even with the right code, and the code's attempts are untouched.
    with pytest.raises(codes.CodeRefused, match="from this network"):
        codes.check("sign_in", numbers[3], plain, ip=ATTACKER)
    assert OneTimeCode.objects.get(pk=code.pk).attempts == 0
    refused = codes.verify("sign_in", plain, code_id=code.pk, ip=ATTACKER)[1]
    assert "from this network" in str(refused)
    # Other networks are not slowed, and the person's own code still works for them.
    mine, my_plain = codes.issue("sign_in", numbers[3], ip=HOME)
    assert codes.verify("sign_in", my_plain, code_id=mine.pk, ip=HOME)[1] is None
    # The wait ends by itself.
    key = f"otp.fail.ip:{ATTACKER}"
    Throttle.objects.filter(key=key).update(
        last_at=Throttle.objects.get(key=key).last_at - dt.timedelta(seconds=31)
    )
    assert codes.verify("sign_in", plain, code_id=code.pk, ip=ATTACKER)[1] is None
