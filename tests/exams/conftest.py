import datetime as dt

import pytest
from django.utils import timezone

from kari.accounts.roles import OrgKind, Role
from tests.conftest import make_org, make_user


def _aware(day, hh, mm=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hh, mm)))


@pytest.fixture
def exam_world(world, settings, tmp_path):
    """The world's round after registration closed, on its first test day: three exam centres
    (two in Tbilisi, one adapted in Kutaisi), one session per test item today and ten
    registered applicants preferring Tbilisi (one needs an adapted environment)."""
    from kari.catalogue.models import Municipality
    from kari.exams import services
    from kari.registration.models import Applicant, Registration

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.FileOutboxBackend",
        "OPTIONS": {"path": str(tmp_path / "sms.jsonl")},
    }
    today = timezone.localdate()
    r = world["round"]
    r.registration_opens, r.registration_closes = (
        today - dt.timedelta(days=20),
        today - dt.timedelta(days=3),
    )
    r.announcement_deadline = today - dt.timedelta(days=30)
    r.test_starts, r.test_ends = today, today + dt.timedelta(days=2)
    r.save()
    users = world["users"]
    emis = users[Role.EMIS_OPERATOR]
    naec = users[Role.NAEC_OFFICER]
    tbilisi = Municipality.objects.get(code="tbilisi")
    kutaisi = Municipality.objects.get(code="kutaisi")
    host = world["orgs"][OrgKind.EXAM_HOST][0]
    host_2 = world["orgs"][OrgKind.EXAM_HOST][1]

    def centre(code, muni, seats, adapted=False, host_org=host):
        return services.save_centre(
            emis,
            {
                "code": code,
                "name_ka": f"ცენტრი {code}",
                "name_en": f"Centre {code}",
                "host": host_org,
                "municipality": muni,
                "address": f"მისამართი {code}",
                "seats": seats,
                "sessions_per_day": 4,
                "adapted": adapted,
                "active": True,
            },
        )

    centres = [
        centre("TB-1", tbilisi, 4),
        centre("TB-2", tbilisi, 3),
        centre("KU-1", kutaisi, 10, adapted=True, host_org=host_2),
    ]
    prog = world["progs_a"][0]
    items = [("skills_test", prog.skills_test)] + [
        ("subject", s) for s in prog.subject_group.subjects.order_by("code")
    ]
    sessions = []
    for n, (kind, test) in enumerate(items):
        start = dt.time(9 + 2 * n, 0)
        sessions.append(
            services.save_session(
                naec,
                r,
                {
                    "date": today,
                    "starts_at": start,
                    "check_in_opens": dt.time(7 + 2 * n, 30),
                    "check_in_closes": dt.time(8 + 2 * n, 45),
                    "duration_minutes": 90,
                    "skills_test": test if kind == "skills_test" else None,
                    "subject": test if kind == "subject" else None,
                },
            )
        )
    regs = []
    for i in range(10):
        a = Applicant.objects.create(
            personal_number=f"0100100{i:04d}",
            first_name_ka="ნინო",
            last_name_ka=f"გელაშვილი{i}",
            first_name_en="Nino",
            last_name_en=f"Gelashvili{i}",
            birth_date=dt.date(2008, 1, 1 + i),
            phone=f"+99559912{i:04d}",
            email=f"nino{i}@example.ge",
        )
        now = timezone.now()
        regs.append(
            Registration.objects.create(
                applicant=a,
                round=r,
                channel="online",
                exam_municipality=tbilisi,
                test_language="ka",
                foreign_language="en",
                skills_test=prog.skills_test,
                subject_group=prog.subject_group,
                adapted_environment="ეტლით გადაადგილება" if i == 0 else "",
                registered_at=now,
                updated_at=now,
            )
        )
    return {
        **world,
        "round": r,
        "centres": centres,
        "sessions": sessions,
        "regs": regs,
        "emis": emis,
        "naec": naec,
        "proctor": users[Role.PROCTOR],
        "today": today,
        "host": host,
        "host_manager": users[Role.EXAM_HOST_MANAGER],
        "aware": _aware,
        "make_user": make_user,
        "make_org": make_org,
    }


@pytest.fixture
def issued(exam_world):
    """The exam world distributed and its invitations issued and rendered."""
    from kari.exams import services
    from kari.exams.services import invitations

    d = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], d)  # A17.2
    job = services.start_invitations(exam_world["emis"], d)
    invitations.run_job(job.pk, workers=1)
    return {**exam_world, "distribution": d, "job": job}
