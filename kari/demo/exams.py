"""Demo data of exam logistics: exam centres, the round's sessions and, for ``--phase exams``,
registered applicants distributed to centres with their invitations issued (A17-A19).

Autumn 2025's real round had 33 exam centres in 24 cities (docs/facts.md): so does the demo.
"""

import datetime as dt
import json
import random
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kari.accounts.models import Organisation
from kari.audit.log import record
from kari.catalogue.models import AnnouncementLine, Municipality, SkillsTest, Subject
from kari.exams import services
from kari.exams.models import ExamCentre
from kari.exams.services import invitations
from kari.registration.models import Applicant, Choice, Registration, Version

CITIES = 24
CENTRES = 33
STARTS = [dt.time(9, 0), dt.time(11, 30), dt.time(14, 0), dt.time(16, 30)]


def _by_weight(munis: list[Municipality], institutions) -> list[Municipality]:
    """The municipalities with the most institutions first (Tbilisi, Batumi, Kutaisi, …)."""
    count = {}
    for inst in institutions:
        m = inst.organisation.municipality_id
        count[m] = count.get(m, 0) + 1
    return sorted(munis, key=lambda m: (-count.get(m.pk, 0), m.code))


def centres(emis, institutions, host: Organisation, rng: random.Random) -> list:
    """33 centres in 24 municipalities, hosted by colleges there (the Rustavi host has its own)."""
    munis = _by_weight(list(Municipality.objects.exclude(lat=None)), institutions)[:CITIES]
    hosts_by_muni = {}
    for inst in institutions:
        hosts_by_muni.setdefault(inst.organisation.municipality_id, []).append(inst.organisation)
    plan = list(munis) + [munis[i % 4] for i in range(CENTRES - len(munis))]  # more in big cities
    out, seen = [], {}
    for muni in plan:
        n = seen[muni.pk] = seen.get(muni.pk, 0) + 1
        hosts = hosts_by_muni.get(muni.pk) or [host]
        org = host if muni.code == "rustavi" else hosts[(n - 1) % len(hosts)]
        code = f"EC-{muni.code}-{n}"
        out.append(
            services.save_centre(
                emis,
                {
                    "code": code,
                    "name_ka": f"{muni.name_ka} — საგამოცდო ცენტრი №{n}",
                    "name_en": f"{muni.name_en} exam centre No. {n}",
                    "host": org,
                    "municipality": muni,
                    "address": org.address or muni.name_ka,
                    "seats": rng.choice([24, 30, 36, 40, 48, 60]),
                    "sessions_per_day": 4,
                    "adapted": len(out) % 3 == 0,
                    "active": True,
                },
            )
        )
    return out


def _plan(round_, items, first: dt.datetime | None) -> list[tuple[dt.date, dt.time]]:
    """Four sessions a day from the first test day; or, from ``first`` on, one every 150 minutes
    (the exams phase: the first session's check-in is open when the demo is built)."""
    if first is not None:
        out, at = [], first
        for _item in items:
            if (at - dt.timedelta(minutes=75)).date() != at.date():  # check-in before midnight
                at = dt.datetime.combine(at.date(), STARTS[0])
            full = sum(1 for day, _t in out if day == at.date()) >= len(STARTS)  # sessions per day
            if full or (at + dt.timedelta(minutes=90)).date() != at.date():  # or past midnight
                at = dt.datetime.combine(at.date() + dt.timedelta(days=1), STARTS[0])
            out.append((at.date(), at.time()))
            at += dt.timedelta(minutes=150)
        return out
    return [
        (round_.test_starts + dt.timedelta(days=n // len(STARTS)), STARTS[n % len(STARTS)])
        for n in range(len(items))
    ]


def sessions(naec, round_, first: dt.datetime | None = None) -> list:
    """Every skills test and subject once (A18, A19.4); check-in opens 75 minutes before the
    start and closes 15 minutes before it."""
    items = [("skills_test", t) for t in SkillsTest.objects.order_by("code")]
    items += [("subject", s) for s in Subject.objects.order_by("code")]
    out = []
    for (kind, test), (date, start) in zip(items, _plan(round_, items, first), strict=True):
        at = dt.datetime.combine(date, start)
        out.append(
            services.save_session(
                naec,
                round_,
                {
                    "date": date,
                    "starts_at": start,
                    "check_in_opens": (at - dt.timedelta(minutes=75)).time(),
                    "check_in_closes": (at - dt.timedelta(minutes=15)).time(),
                    "duration_minutes": 90,
                    "skills_test": test if kind == "skills_test" else None,
                    "subject": test if kind == "subject" else None,
                },
            )
        )
    return out


@transaction.atomic
def registrations(round_, count: int, rng: random.Random) -> int:
    """`count` people of the civil registry, registered for the round as if online (demo data)."""
    people = json.loads(Path(settings.KARI_CIVIL_REGISTRY["PATH"]).read_text("utf-8"))[:count]
    lines = list(
        AnnouncementLine.objects.filter(
            announcement__round=round_, announcement__status="confirmed"
        )
        .select_related("programme__institution__organisation")
        .order_by("programme__code")
    )
    by_test = {}
    for line in lines:
        p = line.programme
        by_test.setdefault((p.skills_test_id, p.subject_group_id), []).append(p)
    groups = sorted(by_test.values(), key=lambda g: g[0].code)
    centre_munis = list(
        Municipality.objects.filter(pk__in=ExamCentre.objects.values("municipality")).order_by(
            "code"
        )
    )
    now = timezone.now()
    for n, person in enumerate(people):
        group = rng.choice(groups)
        chosen = rng.sample(group, k=min(len(group), rng.randint(1, 4)))
        language = next((p.foreign_language for p in chosen if p.foreign_language != "any"), "en")
        chosen = [p for p in chosen if p.foreign_language in ("any", language)] or chosen[:1]
        home = chosen[0].institution.organisation.municipality
        muni = home if rng.random() < 0.7 else rng.choice(centre_munis)
        applicant = Applicant.objects.create(
            personal_number=person["personal_number"],
            first_name_ka=person["first_name_ka"],
            last_name_ka=person["last_name_ka"],
            first_name_en=person["first_name_en"],
            last_name_en=person["last_name_en"],
            birth_date=dt.date.fromisoformat(person["birth_date"]),
            phone=f"+99559{n:07d}",
            email=f"applicant{n}@demo.kari.ge",
        )
        at = now - dt.timedelta(days=20, seconds=n * 37)
        reg = Registration.objects.create(
            applicant=applicant,
            round=round_,
            channel="online",
            exam_municipality=muni,
            test_language="ka",
            foreign_language=language,
            adapted_environment="ეტლით გადაადგილება" if n % 40 == 7 else "",
            skills_test_id=chosen[0].skills_test_id,
            subject_group_id=chosen[0].subject_group_id,
            registered_at=at,
            updated_at=at,
        )
        Choice.objects.bulk_create(
            [Choice(registration=reg, rank=i, programme=p) for i, p in enumerate(chosen, start=1)]
        )
        Version.objects.create(
            registration=reg,
            number=1,
            at=at,
            actor_label=applicant.audit_label,
            channel="online",
            data={"programmes": [p.code for p in chosen]},
        )
        record(
            None,
            "registration.create",
            reg,
            after={"programmes": [p.code for p in chosen]},
            reason="demo data",
        )
    return len(people)


def exam_day(
    emis, round_, count: int, rng: random.Random, *, issue: bool = True, naec=None
) -> dict:
    """The round registered and distributed; with ``issue``, NAEC agrees (A17.2) and the
    invitations are issued too."""
    n = registrations(round_, count, rng)
    d = services.distribute(emis, round_)
    out = {"registrations": n, "in preferred municipality": d.stats.get("preferred")}
    if issue:
        services.agree_distribution(naec, d)
        job = services.start_invitations(emis, d, queue=False)
        invitations.run_job(job.pk, workers=1)
        out["invitations"] = job.total
    return out
