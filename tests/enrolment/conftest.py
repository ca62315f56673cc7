import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from kari.accounts.roles import OrgKind, Role
from kari.catalogue.models import Announcement, AnnouncementLine, AnnouncementStatus
from kari.catalogue.services import save_programme
from kari.enrolment import services
from kari.registration.models import Applicant, Registration
from kari.rounds.models import Round
from tests.conftest import make_institution, make_org, make_user, programme_data, system_actor

TODAY = timezone.localdate()
ADULT_BIRTH = TODAY.replace(year=TODAY.year - 20)
MINOR_BIRTH = TODAY.replace(year=TODAY.year - 16)
# personal number, first, last, birth date
PEOPLE = [(f"0100000{i:04d}", "სტუდენტი", f"გვარი{i}", ADULT_BIRTH) for i in range(12)] + [
    ("01000009990", "ნინო", "ბერიძე", MINOR_BIRTH),  # a minor
    ("01000009991", "თამარ", "ბერიძე", TODAY.replace(year=TODAY.year - 45)),  # her mother
    ("01000009992", "ლუკა", "ბერიძე", TODAY.replace(year=TODAY.year - 15)),  # her brother
]


@dataclass
class Placement:
    """What the ranking document says of one applicant: kari.ranking's Admission in shape."""

    registration: Registration
    programme: object
    score: Decimal


def days(n):
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def people(tmp_path, settings, monkeypatch):
    import kari.notify

    # Notices (emails and SMS alike go through the outbox) are sent after commit; the tests
    # run inside one transaction, so send them at once.
    monkeypatch.setattr(kari.notify.transaction, "on_commit", lambda f, *a, **k: f())
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps(
            [
                {
                    "personal_number": n,
                    "first_name_ka": f,
                    "last_name_ka": la,
                    "birth_date": b.isoformat(),
                }
                for n, f, la, b in PEOPLE
            ]
        ),
        "utf-8",
    )
    settings.KARI_CIVIL_REGISTRY = {
        "BACKEND": "kari.identity.registry.LocalFileRegistry",
        "PATH": str(path),
    }
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.FileOutboxBackend",
        "OPTIONS": {"path": str(tmp_path / "sms.jsonl")},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.KARI_MANAGEMENT_SYSTEM = {
        "BACKEND": "kari.management_system.FileManagementSystem",
        "PATH": str(tmp_path / "management-system"),
    }
    return tmp_path


@pytest.fixture
def ew(reference, people):
    """A round before its test (terms can be fixed), two institutions, programmes announced."""
    r = Round.objects.create(
        year=days(20).year,
        season="autumn",
        announcement_deadline=days(-30),
        registration_opens=days(-20),
        registration_closes=days(-5),
        test_starts=days(5),
        test_ends=days(6),
        results_published=days(8),
        reranking_opens=days(9),
        reranking_closes=days(10),
        ranking_date=days(12),
        enrolment_starts=days(13),
        enrolment_ends=days(25),
    )
    emis = system_actor()
    a = make_institution("college-a")
    b = make_institution("college-b", "kutaisi")
    progs = {
        "COOK-A": save_programme(emis, a, programme_data("COOK-A", framework_based=True)),
        "COOK-A2": save_programme(emis, a, programme_data("COOK-A2")),
        "ICT-A": save_programme(emis, a, programme_data("ICT-A", field="0613")),
        "COOK-B": save_programme(emis, b, programme_data("COOK-B")),
        "ICT-B": save_programme(emis, b, programme_data("ICT-B", field="0613")),
    }
    for inst in (a, b):
        ann = Announcement.objects.create(
            institution=inst, round=r, status=AnnouncementStatus.CONFIRMED
        )
        for p in progs.values():
            if p.institution_id == inst.pk:
                AnnouncementLine.objects.create(
                    announcement=ann, programme=p, places=20, sen_places=2
                )
    admin_a = make_user("admin-a", a.organisation, [Role.INSTITUTION_ADMIN])
    admin_b = make_user("admin-b", b.organisation, [Role.INSTITUTION_ADMIN])
    ministry = make_user(
        "ministry-1", make_org("ministry", OrgKind.MINISTRY), [Role.MINISTRY_OFFICER]
    )
    for code in progs:
        services.fix_terms(
            admin_a if code.endswith(("-A", "-A2")) else admin_b,
            progs[code],
            r,
            documents=["პირადობის მოწმობის ასლი", "ფოტოსურათი"],
            submit_until=days(16),
            duration_months=12,
        )
    services.save_contract_template(
        admin_a, a, "1. დაწესებულება ასწავლის პროგრამას.\n2. სტუდენტი ესწრება მეცადინეობებს."
    )
    services.save_contract_template(admin_b, b, "1. სწავლება ხორციელდება პროგრამის მიხედვით.")
    return {
        "round": r,
        "a": a,
        "b": b,
        "progs": progs,
        "admin_a": admin_a,
        "admin_b": admin_b,
        "emis": emis,
        "ministry": ministry,
    }


def applicant(i: int, *, test_language="ka", round_=None):
    number, first, last, birth = PEOPLE[i]
    person = Applicant.objects.filter(personal_number=number).first() or Applicant.objects.create(
        personal_number=number,
        first_name_ka=first,
        last_name_ka=last,
        birth_date=birth,
        phone=f"+99555500{i:04d}",
        email=f"s{i}@example.ge",
    )
    from kari.catalogue.models import SkillsTest, SubjectGroup
    from kari.catalogue.reference import field_defaults

    d = field_defaults()["1013"]
    return Registration.objects.create(
        applicant=person,
        round=round_,
        channel="online",
        test_language=test_language,
        skills_test=SkillsTest.objects.get(code=d["skills_test"]),
        subject_group=SubjectGroup.objects.get(code=d["subject_group"]),
        registered_at=timezone.now(),
        updated_at=timezone.now(),
    )


def place(ew, regs_and_codes, score="70"):
    """Open enrolments for placements as the approved ranking document would list them."""
    placements = [Placement(reg, ew["progs"][code], Decimal(score)) for reg, code in regs_and_codes]
    services.open_enrolments(ew["emis"], ew["round"], placements, ranking_act=TODAY)
    from kari.enrolment.models import Enrolment

    return [Enrolment.objects.get(registration=reg, programme__code=c) for reg, c in regs_and_codes]


def receive_all(ew, e, admin=None):
    admin = admin or (ew["admin_a"] if e.programme.institution_id == ew["a"].pk else ew["admin_b"])
    for doc in e.programme.enrolment_terms.get(round=e.round).documents.all():
        services.mark_document(admin, e, doc, received=True)
    e.refresh_from_db()
    return e


def enrol(ew, e, funding="voucher", **contract):
    admin = ew["admin_a"] if e.programme.institution_id == ew["a"].pk else ew["admin_b"]
    receive_all(ew, e, admin)
    services.sign_contract(admin, e, funding=funding, **contract)
    services.issue_act(admin, e.programme.institution, e.round, [e])
    e.refresh_from_db()
    return e


@pytest.fixture(autouse=True)
def english_messages(default_language):
    """Service errors are matched in English here; the pages are Georgian (checked over HTTP)."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("ka")
