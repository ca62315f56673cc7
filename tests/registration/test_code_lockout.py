"""Issue 11, point 4: someone who knows a personal number cannot stop its owner signing in.

The attacker asks for the victim's sign-in codes from another network, again and again: the
victim still gets a code at once, and the code the victim holds keeps working.
"""

import pytest
from django.test import Client

from kari.codes.models import OneTimeCode
from tests.registration.conftest import primary
from tests.registration.test_registration_http import form, post
from tests.registration.test_registration_services import sent_code

pytestmark = pytest.mark.django_db

NUMBER = "01024012345"


def _registered(reg):
    victim = Client(REMOTE_ADDR="10.0.0.1")
    post(victim, "/register/", form(primary(), ["CAT-1"]))
    assert victim.post("/register/confirm/", {"code": sent_code()}).status_code == 302
    victim.post("/cabinet/sign-out/")
    return victim


def test_codes_asked_for_the_victim_elsewhere_do_not_refuse_the_victims_own(reg):
    victim = _registered(reg)
    attacker = Client(REMOTE_ADDR="10.6.6.6")
    for _ in range(8):
        post(attacker, "/en/cabinet/sign-in/", {"personal_number": NUMBER})
    page = post(attacker, "/en/cabinet/sign-in/", {"personal_number": NUMBER})
    assert "A code was sent a moment ago" in page.content.decode()  # the attacker is slowed
    response = post(victim, "/en/cabinet/sign-in/", {"personal_number": NUMBER})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = victim.post("/en/cabinet/sign-in/code/", {"code": sent_code()})
    assert response.status_code == 302 and response["Location"].endswith("/cabinet/")


def test_the_victims_pending_code_survives_the_attackers_requests_and_guesses(reg):
    victim = _registered(reg)
    post(victim, "/en/cabinet/sign-in/", {"personal_number": NUMBER})
    code = sent_code()
    attacker = Client(REMOTE_ADDR="10.6.6.6")
    for _ in range(4):
        post(attacker, "/en/cabinet/sign-in/", {"personal_number": NUMBER})
        attacker.post(
            "/en/cabinet/sign-in/code/", {"code": "000000" if code != "000000" else "111111"}
        )
    response = victim.post("/en/cabinet/sign-in/code/", {"code": code})
    assert response.status_code == 302 and response["Location"].endswith("/cabinet/")


def test_send_a_new_code_still_retires_the_earlier_one(reg):
    victim = _registered(reg)
    post(victim, "/en/cabinet/sign-in/", {"personal_number": NUMBER})
    first = sent_code()
    first_id = victim.session["kari_pending_registration"]["code"]
    post(victim, "/en/cabinet/sign-in/code/", {"action": "resend"})
    assert OneTimeCode.objects.get(pk=first_id).used_at is not None
    if first != sent_code():
        page = victim.post("/en/cabinet/sign-in/code/", {"code": first})
        assert page.status_code == 200
    response = victim.post("/en/cabinet/sign-in/code/", {"code": sent_code()})
    assert response.status_code == 302 and response["Location"].endswith("/cabinet/")
