import datetime as dt
import email
import socket

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from kari.accounts import services as accounts
from kari.accounts.roles import ROLE_KINDS, OrgKind, Role


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (Georgian), whatever an earlier test activated."""
    from django.utils import translation

    translation.activate("ka")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many staff accounts; production keeps Django's strong default hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def outbox_channels_up():
    """A failed send makes this process leave the channel to the worker for a while; each test
    starts with every channel up."""
    from kari.outbox import delivery

    delivery._down_until.clear()
    yield
    delivery._down_until.clear()


@pytest.fixture
def reference(db):
    from kari.catalogue.reference import load_reference

    return load_reference()


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


@pytest.fixture
def round_open(db):
    """A round whose announcement deadline is ten days away."""
    from kari.rounds.models import Round

    today = timezone.localdate()
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    return Round.objects.create(
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


@pytest.fixture
def world(reference, round_open):
    """Two institutions with programmes, the national bodies, and a user for every role."""
    from kari.catalogue.services import save_programme

    emis = _emis_user()
    orgs = {
        OrgKind.MINISTRY: [
            make_org("ministry", OrgKind.MINISTRY),
            make_org("ministry-2", OrgKind.MINISTRY),
        ],
        OrgKind.EMIS: [emis.organisation, make_org("emis-2", OrgKind.EMIS)],
        OrgKind.NAEC: [make_org("naec", OrgKind.NAEC), make_org("naec-2", OrgKind.NAEC)],
        OrgKind.QUALITY_CENTRE: [
            make_org("nceqe", OrgKind.QUALITY_CENTRE),
            make_org("nceqe-2", OrgKind.QUALITY_CENTRE),
        ],
        OrgKind.RESOURCE_CENTRE: [
            make_org("rc-1", OrgKind.RESOURCE_CENTRE),
            make_org("rc-2", OrgKind.RESOURCE_CENTRE),
        ],
        OrgKind.EXAM_HOST: [
            make_org("host-1", OrgKind.EXAM_HOST),
            make_org("host-2", OrgKind.EXAM_HOST),
        ],
        OrgKind.CERTIFIER: [
            make_org("solidarity-fund", OrgKind.CERTIFIER),
            make_org("certifier-2", OrgKind.CERTIFIER),
        ],
    }
    inst_a = make_institution("college-a")
    inst_b = make_institution("college-b", "kutaisi")
    orgs[OrgKind.INSTITUTION] = [inst_a.organisation, inst_b.organisation]
    users = {}
    for role in Role.values:
        kind = sorted(ROLE_KINDS[role])[0]
        users[role] = make_user(f"u-{role}", orgs[kind][0], [role])
    admin_b = make_user("admin-b", inst_b.organisation, [Role.INSTITUTION_ADMIN])
    progs_a = [
        save_programme(users[Role.INSTITUTION_ADMIN], inst_a, programme_data(f"A-{i}"))
        for i in range(3)
    ]
    prog_b = save_programme(admin_b, inst_b, programme_data("B-1"))
    return {
        "round": round_open,
        "orgs": orgs,
        "users": users,
        "inst_a": inst_a,
        "inst_b": inst_b,
        "admin_b": admin_b,
        "progs_a": progs_a,
        "prog_b": prog_b,
        "emis": emis,
    }


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


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield inbox
    controller.stop()
