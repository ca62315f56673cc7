"""Issue 11: who reaches a registration, and nobody takes one over by a personal number."""

import pytest
from django.test import TestCase

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


# ---------------------------------------------------------------- point 2: no takeover


def _nino_on_record():
    """Nino registered in an earlier round: her contacts are on record."""
    import datetime as dt

    from kari.registration.models import Applicant

    return Applicant.objects.create(
        personal_number="01024012345",
        first_name_ka="ნინო",
        last_name_ka="ბერიძე",
        birth_date=dt.date(2008, 3, 1),
        phone="+995555123456",
        email="nino@example.ge",
    )


def test_a_personal_number_alone_does_not_start_an_online_registration(reg):
    from django.core import mail

    from kari.registration import services
    from kari.sms import get_backend
    from tests.registration.test_registration_services import errors_of

    wrong_doc = errors_of(
        lambda: services.start(
            None, primary(document_number="99ZZ00000"), reg["round"], channel="online"
        )
    )
    unknown = errors_of(
        lambda: services.start(
            None,
            primary("01024099999", document_number="12AB34567"),
            reg["round"],
            channel="online",
        )
    )
    assert wrong_doc == unknown  # the answer does not say which part was wrong
    assert set(wrong_doc) == {"personal_number", "document_number"}
    assert mail.outbox == [] and get_backend().messages() == []


def test_an_attacker_with_the_number_gets_no_code_the_contacts_on_record_do(client, reg):
    from django.core import mail

    from kari.sms import get_backend

    nino = _nino_on_record()
    attacker = primary(phone="+995 599 00 00 00", email="attacker@example.ge")
    response = post(client, "/en/register/", form(attacker, ["CAT-1"]))
    assert response.status_code == 302
    assert {m.to[0] for m in mail.outbox} == {"nino@example.ge"}
    assert {m["to"] for m in get_backend().messages()} == {"+995555123456"}
    nino.refresh_from_db()
    assert (nino.phone, nino.email) == ("+995555123456", "nino@example.ge")


def test_the_registration_form_answers_the_same_for_a_registered_number(client, reg):
    first = post(client, "/en/register/", form(primary("61001012345"), ["CAT-1"]))
    new_answer = client.get(first["Location"]).content.decode()
    client.cookies.clear()
    _nino_on_record()
    second = post(client, "/en/register/", form(primary(), ["CAT-1"]))
    known_answer = client.get(second["Location"]).content.decode()
    assert "•" not in new_answer and "•" not in known_answer  # no masked contacts shown
    assert "A one-time code is on its way" in new_answer and "A one-time code is on its way" in (
        known_answer
    )


def test_contacts_on_record_change_only_through_a_code_sent_to_them(reg):
    from kari.registration import services

    # Started while Nino had no record (code to the typed contacts); she registered meanwhile.
    with TestCase.captureOnCommitCallbacks(execute=True):
        pending = services.start(
            None,
            primary(phone="+995 599 00 00 00", email="attacker@example.ge"),
            reg["round"],
            channel="online",
        )
    nino = _nino_on_record()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.confirm_pending(pending.code_id, sent_code())
    nino.refresh_from_db()
    assert (nino.phone, nino.email) == ("+995555123456", "nino@example.ge")


def test_a_changed_contact_is_told_to_the_old_one(reg):
    from django.core import mail

    from kari.registration import services

    _nino_on_record()
    with TestCase.captureOnCommitCallbacks(execute=True):
        pending = services.start(
            None, primary(email="nino.new@example.ge"), reg["round"], channel="online"
        )
    assert mail.outbox[-1].to == ["nino@example.ge"]  # the code goes to the old email
    with TestCase.captureOnCommitCallbacks(execute=True):
        r = services.confirm_pending(pending.code_id, sent_code())
    assert r.applicant.email == "nino.new@example.ge"
    assert any(m.to == ["nino@example.ge"] and "was changed" in m.body for m in mail.outbox)


def test_a_clerk_holding_the_id_card_resets_the_contacts_and_the_old_ones_are_told(client, reg):
    from django.core import mail

    _nino_on_record()
    sign_in(client, reg["clerk"])
    data = {
        "personal_number": "01024012345",
        "document_number": "99ZZ00000",
        "phone": "+995 599 11 11 11",
        "email": "nino.new@example.ge",
        "reason": "ტელეფონი დაკარგა",
    }
    refused = post(client, "/en/centre/contacts/", data)
    assert refused.status_code == 200 and "do not match the civil registry" in (
        refused.content.decode()
    )
    response = post(client, "/en/centre/contacts/", data | {"document_number": "12ab 34567"})
    assert response.status_code == 302
    from kari.registration.models import Applicant

    nino = Applicant.objects.get()
    assert (nino.phone, nino.email) == ("+995599111111", "nino.new@example.ge")
    assert any(m.to == ["nino@example.ge"] and "was changed" in m.body for m in mail.outbox)
    entry = AuditEntry.objects.get(action="applicant.contacts_reset")
    assert entry.reason == "ტელეფონი დაკარგა" and "nino@" not in str(entry.before)


def test_guessing_the_id_card_number_is_slowed_down(reg):
    from kari.registration import services
    from tests.registration.test_registration_services import errors_of

    for _ in range(5):
        errors_of(
            lambda: services.start(
                None, primary(document_number="99ZZ00000"), reg["round"], channel="online"
            )
        )
    errs = errors_of(lambda: services.start(None, primary(), reg["round"], channel="online"))
    assert set(errs) == {"document_number"} and "30" in errs["document_number"][0]


def test_A36_a_record_without_contacts_gets_the_first_registrations_code_at_the_typed_ones(reg):
    """An SEN expert team assessed Nino before she registered: Kari made her record from the
    civil registry, with no phone or email. Her general registration's code goes to the
    contacts she types (there are none on record), and its confirmation records them."""
    from django.core import mail

    from kari.registration import services
    from kari.sen.services import applicant_from_registry

    nino = applicant_from_registry(primary()["personal_number"])
    assert (nino.phone, nino.email) == ("", "")
    with TestCase.captureOnCommitCallbacks(execute=True):
        pending = services.start(None, primary(), reg["round"], channel="online")
    assert mail.outbox[-1].to == [primary()["email"]]
    with TestCase.captureOnCommitCallbacks(execute=True):
        r = services.confirm_pending(pending.code_id, sent_code())
    assert r.applicant.pk == nino.pk and r.applicant.email == primary()["email"]
    assert not any("was changed" in m.body for m in mail.outbox)
