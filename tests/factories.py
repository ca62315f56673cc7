"""Building blocks for tests: organisations, institutions, staff, programme data, sign-in,
and a local SMTP inbox. Plain functions (fixtures live in conftest.py and tests/worlds.py)."""

import datetime as dt
import email

from django.utils import timezone

from kari.accounts import services as accounts
from kari.accounts.roles import OrgKind, Role


def make_org(code, kind, **extra):
    from kari.accounts.models import Organisation

    return Organisation.objects.create(
        code=code, kind=kind, name_ka=f"ორგ {code}", name_en=f"Org {code}", **extra
    )


def make_institution(code, municipality_code="tbilisi"):
    from kari.catalogue.models import Municipality
    from kari.catalogue.services import save_institution

    return save_institution(
        system_actor(),
        {
            "code": code,
            "name_ka": f"კოლეჯი {code}",
            "name_en": f"College {code}",
            "legal_form": "სსიპ",
            "municipality": Municipality.objects.get(code=municipality_code).code,
            "address": "რუსთაველის გამზირი 1",
            "phone": "+995 555 12 34 56",
            "email": f"{code}@example.ge",
            "heads": "ნინო ბერიძე: +995 599 11 22 33",
        },
    )


def system_actor():
    """An EMIS operator, for fixtures that need reference-data rights."""
    return _emis_user()


def _emis_user():
    from kari.accounts.models import Organisation, User

    user = User.objects.filter(username="emis-fixture").first()
    if user:
        return user
    org = Organisation.objects.filter(code="emis").first() or make_org("emis", OrgKind.EMIS)
    return accounts.create_staff(
        None,
        username="emis-fixture",
        password="x-Secret-123",
        organisation=org,
        roles=[Role.EMIS_OPERATOR],
    )


def make_user(username, org, roles):
    return accounts.create_staff(
        None,
        username=username,
        password="Long-enough-pass-1",
        organisation=org,
        roles=roles,
        email=f"{username}@example.ge",
        totp_key="3132333435363738393031323334353637383930",
    )


def programme_data(code, field="1013", **over):
    """Raw programme input as a form or import row gives it (field 1013: catering)."""
    from kari.catalogue.reference import field_defaults

    d = field_defaults()[field]
    data = {
        "code": code,
        "name_ka": "მზარეული",
        "name_en": "Cook",
        "field": field,
        "stage": "primary",
        "skills_test": d["skills_test"],
        "subject_group": d["subject_group"],
        "foreign_language": "any",
    }
    data.update(over)
    return data


def round_dates(today=None) -> dict:
    """The dates of a round whose announcement deadline is ten days away."""
    today = today or timezone.localdate()
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    return dict(
        year=d(60).year,
        season="autumn" if d(60).month > 6 else "spring",
        announcement_deadline=d(10),
        registration_opens=d(15),
        registration_closes=d(35),
        test_starts=d(60),
        test_ends=d(62),
        results_published=d(70),
        reranking_opens=d(71),
        reranking_closes=d(75),
        ranking_date=d(85),
        enrolment_starts=d(88),
        enrolment_ends=d(98),
    )


def sign_in(client, user):
    """Password, then the current TOTP code: a staff session over HTTP."""
    from django_otp.oath import totp

    from kari.accounts.services import confirmed_device

    response = client.post(
        "/staff/login/", {"username": user.username, "password": "Long-enough-pass-1"}
    )
    assert response.status_code == 302 and "/staff/login/code/" in response["Location"]
    device = confirmed_device(user)
    code = f"{totp(device.bin_key):06d}"
    response = client.post("/staff/login/code/", {"token": code})
    assert response.status_code == 302, response.content[:500]
    return response


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"
