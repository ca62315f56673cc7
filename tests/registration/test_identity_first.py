"""Issue 11, point 2, online: the ID card's number is proven before anything of the person is
said, and wrong numbers slow down the network that types them, never the applicant's own.

1. Lock-out: an attacker who posts a victim's personal number with made-up ID card numbers from
   their network cannot hold up the victim's registration from the victim's network; one
   network guessing many people's cards is slowed; guessing one person's card needs many
   networks.
2. Leak: with a missing or wrong ID card number an anonymous request gets the answer a person
   without records gets (re-ranking window, carried-over scores, a programme's minimum age),
   and still the problems of the fields that do not depend on the person.
"""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase

from kari.registration import services
from kari.registration.models import Registration
from tests.registration.conftest import primary, set_window
from tests.registration.test_carried_scores import earlier
from tests.registration.test_registration_services import (
    RERANKING,
    errors_of,
    publish,
    register,
    sent_code,
)

pytestmark = pytest.mark.django_db

NINO = "01024012345"  # in the civil registry (document 12AB34567), born 01.03.2008
NOBODY = "01001011111"  # eleven digits, in no registry and with no records in Kari
WRONG = "99ZZ00000"
MISSING = ""
NETWORKS = (f"192.0.2.{i}" for i in itertools.count(1))  # a fresh network per comparison


def start(data, reg, ip):
    return services.start(None, data, reg["round"], channel="online", ip=ip)


def guess(reg, personal_number, ip, document=WRONG):
    """One wrong ID card number: the errors Kari answers with."""
    return errors_of(lambda: start(primary(personal_number, document_number=document), reg, ip))


def too_many(errs) -> bool:
    text = " ".join(errs.get("document_number", []))
    return any(ch.isdigit() for ch in text) and "personal_number" not in errs


# ---------------------------------------------------------------- 1. no lock-out


def test_an_attackers_wrong_numbers_from_another_network_do_not_hold_up_the_applicant(reg):
    for _ in range(12):
        guess(reg, NINO, "203.0.113.66")
    # The attacker's own network is slowed down ...
    assert too_many(guess(reg, NINO, "203.0.113.66"))
    # ... and Nino, from her own network with her own ID card, registers at once.
    with TestCase.captureOnCommitCallbacks(execute=True):
        pending = start(primary(NINO), reg, "198.51.100.7")
    with TestCase.captureOnCommitCallbacks(execute=True):
        r = services.confirm_pending(pending.code_id, sent_code(), ip="198.51.100.7")
    assert r.applicant.personal_number == NINO and Registration.objects.count() == 1


def test_the_applicants_own_mistakes_slow_only_their_own_network_and_end_by_themselves(reg):
    for _ in range(5):
        guess(reg, NINO, "198.51.100.7")
    assert too_many(guess(reg, NINO, "198.51.100.7", document="12AB34567"))
    assert services.identity_wait(NINO, "198.51.100.7") <= 30
    assert services.identity_wait(NINO, "198.51.100.8") == 0  # another network: no wait


def test_guessing_one_persons_card_past_the_ceiling_needs_a_new_network_each_time(reg, settings):
    settings.KARI_IDENTITY_THROTTLE = {"PER_PERSON": 10}
    for net in range(2):
        for _ in range(5):
            guess(reg, NINO, f"203.0.113.{net}")
    # past the person's ceiling an attacking network has one free wrong number, not five
    guess(reg, NINO, "203.0.113.50")
    assert too_many(guess(reg, NINO, "203.0.113.50"))
    # Nino's own network has made no mistake: she is not held up
    assert services.identity_wait(NINO, "198.51.100.7") == 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert start(primary(NINO), reg, "198.51.100.7").code_id


def test_one_network_guessing_many_peoples_cards_is_slowed(reg, settings):
    settings.KARI_IDENTITY_THROTTLE = {"PER_ADDRESS": 6}
    people = [f"0100101{i:04d}" for i in range(6)]
    for number in people:  # one wrong number each: no person's own limit is near
        errs = guess(reg, number, "203.0.113.9")
        assert not too_many(errs) and "personal_number" in errs
    # the network is slowed, for anyone's number, even Nino's right one ...
    assert too_many(guess(reg, NINO, "203.0.113.9", document="12AB34567"))
    assert too_many(guess(reg, "01001019999", "203.0.113.9"))
    # ... and no one else's network is
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert start(primary(NINO), reg, "198.51.100.7").code_id


def test_the_sen_and_centre_callers_pass_the_address(reg):
    """kari.sen calls check_second_fact with the client's address as well."""
    for _ in range(5):
        with pytest.raises(ValidationError):
            services.check_second_fact(NINO, WRONG, ip="203.0.113.66")
    assert services.identity_wait(NINO, "203.0.113.66") > 0
    services.check_second_fact(NINO, "12AB 34567", ip="198.51.100.7")  # proves, no wait


# ---------------------------------------------------------------- 2. nothing said before proof


def _same_answer(reg, data_for):
    """Nino's answer (she has records) and a person's without any, for a missing and a wrong
    ID card number: the same error dicts."""
    ip = next(NETWORKS)
    for document in (MISSING, WRONG):
        nino = errors_of(lambda: start(data_for(NINO) | {"document_number": document}, reg, ip))
        nobody = errors_of(lambda: start(data_for(NOBODY) | {"document_number": document}, reg, ip))
        assert nino == nobody, document
    return nino


def test_the_reranking_window_says_nothing_of_a_registration_before_the_card_is_proven(reg):
    r = register(primary(programmes=["CAT-1"]), reg)
    set_window(reg["round"], **RERANKING)

    def data(number):
        return primary(number, programmes=["CAT-2", "CAT-1"])

    # registered, results not yet published
    errs = _same_answer(reg, data)
    assert set(errs) == {"personal_number", "document_number"}  # the wrong number's answer
    publish(reg, r, scores={})  # absent: no scores
    _same_answer(reg, data)
    publish(reg, r)  # results published
    _same_answer(reg, data)
    # a programme the round does not offer is said at once, whoever the person is
    errs = _same_answer(reg, lambda n: primary(n, programmes=["CAT-2", "NOPE-9"]))
    assert "NOPE-9" in errs["programmes"][0]
    # with her card proven Nino is told about her own registration
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert start(data(NINO), reg, "192.0.2.2").code_id


def test_carried_over_scores_are_not_described_before_the_card_is_proven(reg):
    from kari.registration.models import ScoreRecord

    earlier(reg, admitted=True)  # Nino got a place last round: nothing to carry

    def data(number):
        return primary(number, carried_over=True)

    errs = _same_answer(reg, data)
    assert "carried_over" not in errs and "document_number" in errs
    # a person-independent field's problem is said at once, carried over or not
    errs = _same_answer(reg, lambda n: data(n) | {"phone": "12"})
    assert "phone" in errs and "carried_over" not in errs
    # the previous round's test and languages are not described either
    ScoreRecord.objects.update(admitted=False, test_language="ru", foreign_language="de")
    errs = _same_answer(reg, data)
    assert not {"carried_over", "test_language", "foreign_language"} & set(errs)
    # proven, Nino learns why her scores cannot be carried
    proven = data(NINO) | {"document_number": "12AB34567"}
    errs = errors_of(lambda: start(proven, reg, "198.51.100.7"))
    assert "test_language" in errs and "foreign_language" in errs


def test_a_programmes_minimum_age_does_not_reveal_the_age_before_the_card_is_proven(reg):
    cat = reg["progs"]["CAT-1"]
    cat.min_age, cat.min_age_on = 18, dt.date(2026, 1, 1)  # Nino is 17 then
    cat.save()

    def data(number):
        return primary(number, programmes=["CAT-1"], email="not-an-email")

    errs = _same_answer(reg, data)
    assert "programmes" not in errs and "email" in errs
    # proven online, or at a centre (the clerk holds the ID card), the rule is said
    proven = data(NINO) | {"document_number": "12AB34567"}
    errs = errors_of(lambda: start(proven, reg, "198.51.100.7"))
    assert "01.01.2026" in errs["programmes"][0] and "email" in errs
    centre = primary(NINO, programmes=["CAT-1"])
    centre.pop("document_number")
    errs = errors_of(
        lambda: services.start(reg["clerk"], centre, reg["round"], channel="centre", ip="10.1.1.1")
    )
    assert "01.01.2026" in errs["programmes"][0]
