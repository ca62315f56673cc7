"""C2 and issue 11, point 4: knowing someone's email does not let anyone stop them signing in.

Certification signs in by email code. An attacker who asks for the applicant's codes and
guesses at them from another network neither refuses the applicant's own request nor kills or
uses up the code the applicant holds (it is bound to the applicant's session).
"""

import re

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

EMAIL = "nino@example.ge"


def _last_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def test_an_attacker_cannot_kill_or_burn_the_applicants_sign_in_code(cert):
    victim, attacker = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.6.6.6")
    victim.post("/en/certification/sign-in/", {"email": EMAIL})
    code = _last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        attacker.post("/en/certification/sign-in/", {"email": EMAIL})
        for _ in range(3):
            attacker.post("/en/certification/sign-in/", {"code": wrong})
    response = victim.post("/en/certification/sign-in/", {"code": code})
    assert response.status_code == 302


def test_an_attacker_asking_for_codes_does_not_refuse_the_applicants_request(cert):
    victim, attacker = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.6.6.6")
    for _ in range(8):
        attacker.post("/en/certification/sign-in/", {"email": EMAIL})
    sent = len(mail.outbox)
    page = victim.post("/en/certification/sign-in/", {"email": EMAIL})
    assert page.status_code == 200 and len(mail.outbox) == sent + 1
    response = victim.post("/en/certification/sign-in/", {"code": _last_code()})
    assert response.status_code == 302
