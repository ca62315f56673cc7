import datetime as dt
import json

import pytest
from django.utils import timezone

from kari.accounts.roles import OrgKind, Role
from kari.catalogue.models import Announcement, AnnouncementLine, AnnouncementStatus, Programme
from kari.catalogue.services import save_programme
from kari.rounds.models import Round
from tests.conftest import make_institution, make_org, make_user, programme_data, system_actor

PEOPLE = [
    ("01024012345", "ნინო", "ბერიძე", "Nino", "Beridze", "2008-03-01", "12AB34567"),
    ("61001012345", "გიორგი", "მაისურაძე", "Giorgi", "Maisuradze", "2007-11-20", "13CD45678"),
    ("01001099999", "ანა", "კაპანაძე", "Ana", "Kapanadze", "2009-05-17", "14EF56789"),
]


def dates(**shift):
    today = timezone.localdate()
    d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
    base = dict(
        announcement_deadline=-20,
        registration_opens=-5,
        registration_closes=10,
        test_starts=25,
        test_ends=27,
        results_published=35,
        reranking_opens=36,
        reranking_closes=40,
        ranking_date=48,
        enrolment_starts=50,
        enrolment_ends=60,
        subsequent_registration_opens=-5,
        subsequent_registration_closes=10,
    )
    base.update(shift)
    return {k: d(v) for k, v in base.items()}


def set_window(round_, **shift):
    for k, v in dates(**shift).items():
        setattr(round_, k, v)
    round_.save()


@pytest.fixture
def registry(tmp_path, settings):
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps(
            [
                {
                    "personal_number": n,
                    "first_name_ka": f,
                    "last_name_ka": la,
                    "first_name_en": fe,
                    "last_name_en": le,
                    "birth_date": b,
                    "document_number": doc,
                }
                for n, f, la, fe, le, b, doc in PEOPLE
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
    return path


@pytest.fixture
def reg(reference, registry):
    """A round in its registration window with confirmed programmes of several kinds."""
    today = timezone.localdate()
    r = Round.objects.create(year=(today + dt.timedelta(days=25)).year, season="autumn", **dates())
    emis = system_actor()
    inst = make_institution("college-r")
    inst2 = make_institution("college-s", "kutaisi")
    specs = {
        # code: (institution, field, overrides)
        "CAT-1": (inst, "1013", {}),
        "CAT-2": (inst, "1013", {"framework_based": True}),
        "CAT-FW": (inst2, "1013", {"framework_based": True}),
        "CAT-EN": (inst2, "1013", {"foreign_language": "en", "framework_based": True}),
        "ICT-1": (inst, "0613", {}),
        "SUB-1": (inst, "1013", {"stage": "subsequent", "skills_test": "", "subject_group": ""}),
        "SUB-2": (inst, "1013", {"stage": "subsequent", "skills_test": "", "subject_group": ""}),
        "SUB-3": (inst2, "1013", {"stage": "subsequent", "skills_test": "", "subject_group": ""}),
        "DRAFT-1": (inst2, "1013", {}),
    }
    progs = {
        code: save_programme(emis, i, programme_data(code, field=f, **o))
        for code, (i, f, o) in specs.items()
    }
    for i in (inst, inst2):
        ann = Announcement.objects.create(
            institution=i, round=r, status=AnnouncementStatus.CONFIRMED
        )
        AnnouncementLine.objects.bulk_create(
            [
                AnnouncementLine(announcement=ann, programme=p, places=20, sen_places=2)
                for code, p in progs.items()
                if p.institution_id == i.pk and code != "DRAFT-1"
            ]
        )
    rc = make_org("rc-reg", OrgKind.RESOURCE_CENTRE)
    clerk = make_user("clerk-r", rc, [Role.REGISTRATION_CLERK])
    clerk.full_name_ka = "ლევან ჯაფარიძე"
    clerk.save()
    return {
        "round": r,
        "progs": progs,
        "inst": inst,
        "inst2": inst2,
        "clerk": clerk,
        "rc": rc,
        "registry": registry,
        "programme": Programme,
    }


def document_of(personal_number: str) -> str:
    return next((p[6] for p in PEOPLE if p[0] == personal_number), "")


def primary(personal_number="01024012345", **over):
    data = {
        "personal_number": personal_number,
        "document_number": document_of(personal_number),
        "phone": "+995 555 12 34 56",
        "email": "nino@example.ge",
        "exam_municipality": "tbilisi",
        "test_language": "ka",
        "foreign_language": "en",
        "adapted_environment": "",
        "programmes": ["CAT-1", "CAT-2"],
    }
    data.update(over)
    return data
