"""Issue 11: who reaches a registration, and nobody takes one over by a personal number."""

import pytest

from kari.accounts.roles import OrgKind, Role
from kari.audit.models import AuditEntry
from kari.registration.models import Registration
from tests.conftest import make_org, make_user, sign_in
from tests.registration.conftest import primary
from tests.registration.test_registration_http import form, post
from tests.registration.test_registration_services import sent_code

pytestmark = pytest.mark.django_db


def _online(client, reg, **over):
    post(client, "/register/", form(primary(**over), ["CAT-1"]))
    client.post("/register/confirm/", {"code": sent_code()})
    client.post("/cabinet/sign-out/")
    client.cookies.clear()
    return Registration.objects.get(applicant__personal_number=primary(**over)["personal_number"])


def test_an_online_registration_is_closed_to_clerks_without_the_applicants_code(client, reg):
    r = _online(client, reg)
    sign_in(client, reg["clerk"])
    assert client.get(f"/centre/registrations/{r.pk}/").status_code == 403
    assert client.get(f"/centre/registrations/{r.pk}/printout/").status_code == 403


def test_the_applicant_at_the_counter_opens_their_registration_with_a_code(client, reg):
    r = _online(client, reg)
    sign_in(client, reg["clerk"])
    response = post(client, "/en/centre/counter/", {"personal_number": "01024012345"})
    assert response.status_code == 302 and response["Location"].endswith("/centre/counter/code/")
    assert client.post("/en/centre/counter/code/", {"code": "000000"}).status_code == 200
    response = client.post("/en/centre/counter/code/", {"code": sent_code()})
    assert response.status_code == 302 and response["Location"].endswith(
        f"/centre/registrations/{r.pk}/"
    )
    assert client.get(f"/centre/registrations/{r.pk}/").status_code == 200
    assert client.get(f"/centre/registrations/{r.pk}/printout/")["Content-Type"] == (
        "application/pdf"
    )
    assert AuditEntry.objects.filter(action="registration.counter_access").count() == 1
    # Another clerk's session has no such grant.
    client.post("/staff/logout/")
    other = make_user(
        "clerk-other", make_org("rc-other", OrgKind.RESOURCE_CENTRE), [Role.REGISTRATION_CLERK]
    )
    sign_in(client, other)
    assert client.get(f"/centre/registrations/{r.pk}/").status_code == 403


def test_a_counter_code_answers_the_same_for_an_unknown_number(client, reg):
    sign_in(client, reg["clerk"])
    response = post(client, "/en/centre/counter/", {"personal_number": "01001099999"})
    assert response.status_code == 302
    assert client.post("/en/centre/counter/code/", {"code": "123456"}).status_code == 200


def test_an_institution_sees_a_registration_only_through_its_own_programmes(client, reg):
    r = _online(client, reg)  # CAT-1 is college-r's programme
    own = make_user("admin-r", reg["inst"].organisation, [Role.INSTITUTION_ADMIN])
    other = make_user("admin-s", reg["inst2"].organisation, [Role.INSTITUTION_ADMIN])
    sign_in(client, other)
    assert client.get(f"/centre/registrations/{r.pk}/").status_code == 403
    client.post("/staff/logout/")
    sign_in(client, own)
    assert client.get(f"/centre/registrations/{r.pk}/").status_code == 200
    assert client.get(f"/centre/registrations/{r.pk}/printout/").status_code == 403
