"""The exam stage end to end through Kari's services on PostgreSQL (used by benchmarks/exams.py).

Builds a database (``--db``, dropped first) with ``kari demo``, turns its round into one whose
registration closed yesterday, gives it 60 exam centres and four sessions per test item, adds
N registered applicants in bulk, then times:

1. ``exams.services.distribute`` (A17.2): reading the registrations, the solver, writing every
   assignment and sitting, the audit entry; one transaction.
2. ``exams.services.start_invitations`` and ``exams.services.invitations.run_job`` (A17.3):
   every card built from the database and rendered by a process pool, the notices queued on
   commit.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KARI = Path(sys.executable).parent / "kari"


def _env(pg: str, db: str, var: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KARI_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "kari.settings",
            "DATABASE_URL": f"{pg.rstrip('/')}/{db}",
            "KARI_VAR_DIR": str(var),
            "KARI_LOG_LEVEL": "WARNING",
            "KARI_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
    )
    return env


def build(pg: str, db: str) -> dict:
    import psycopg

    with psycopg.connect(f"{pg.rstrip('/')}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{db}"')
    var = Path(tempfile.mkdtemp(prefix="kari-bench-exams-"))
    env = _env(pg, db, var)
    subprocess.run([str(KARI), "migrate", "--verbosity", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run(
        [str(KARI), "demo", "--keep", "--people", "500"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return env


def prepare(applicants: int, centres: int, seed: int = 3):
    """The demo round after registration, with `centres` centres and `applicants` registrations."""
    from django.utils import timezone

    from kari.accounts.models import Organisation, User
    from kari.catalogue.models import AnnouncementLine, Municipality, SkillsTest, Subject
    from kari.exams import services
    from kari.exams.models import ExamCentre, ExamSession
    from kari.registration.models import Applicant, Choice, Registration
    from kari.rounds.services import current_round

    rng = random.Random(seed)
    today = timezone.localdate()
    r = current_round()
    type(r).objects.filter(pk=r.pk).update(
        registration_closes=today - dt.timedelta(days=1),
        test_starts=today + dt.timedelta(days=14),
        test_ends=today + dt.timedelta(days=40),
    )
    r.refresh_from_db()
    emis, naec = User.objects.get(username="emis"), User.objects.get(username="naec")
    ExamSession.objects.filter(round=r).delete()
    items = [("skills_test", t) for t in SkillsTest.objects.order_by("code")]
    items += [("subject", s) for s in Subject.objects.order_by("code")]
    slots = [dt.time(9, 0), dt.time(11, 30), dt.time(14, 0), dt.time(16, 30)]
    n = 0
    for _round in range(4):
        for kind, test in items:
            day, start = r.test_starts + dt.timedelta(days=n // 4), slots[n % 4]
            at = dt.datetime.combine(day, start)
            services.save_session(
                naec,
                r,
                {
                    "date": day,
                    "starts_at": start,
                    "duration_minutes": 90,
                    "check_in_opens": (at - dt.timedelta(minutes=75)).time(),
                    "check_in_closes": (at - dt.timedelta(minutes=15)).time(),
                    "skills_test": test if kind == "skills_test" else None,
                    "subject": test if kind == "subject" else None,
                },
            )
            n += 1
    munis = list(Municipality.objects.exclude(lat=None).order_by("code"))
    weights = {"tbilisi": 30, "batumi": 8, "kutaisi": 7, "rustavi": 5}
    hosts = list(Organisation.objects.filter(kind="institution").order_by("code"))
    existing = list(ExamCentre.objects.order_by("code"))
    for c in existing:
        ExamCentre.objects.filter(pk=c.pk).update(seats=rng.choice([80, 100, 120, 150]))
    for i in range(len(existing), centres):
        muni = rng.choices(munis, weights=[weights.get(m.code, 1) for m in munis])[0]
        services.save_centre(
            emis,
            {
                "code": f"BENCH-{i:03d}",
                "name_ka": f"საგამოცდო ცენტრი {i}",
                "name_en": f"Centre {i}",
                "host": rng.choice(hosts),
                "municipality": muni,
                "address": f"მისამართი {i}",
                "seats": rng.choice([80, 100, 120, 150]),
                "sessions_per_day": 4,
                "adapted": i % 3 == 0,
                "active": True,
            },
        )
    groups = {}
    for line in AnnouncementLine.objects.filter(
        announcement__round=r, announcement__status="confirmed"
    ).select_related("programme"):
        p = line.programme
        groups.setdefault((p.skills_test_id, p.subject_group_id), []).append(p)
    groups = [g for _k, g in sorted(groups.items())]
    now = timezone.now()
    people = [
        Applicant(
            personal_number=f"{90000000000 + i}",
            first_name_ka="ნინო",
            last_name_ka=f"ბერიძე{i}",
            first_name_en="Nino",
            last_name_en=f"Beridze{i}",
            birth_date=dt.date(2008, 1, 1),
            phone=f"+9955{i:08d}",
            email=f"a{i}@bench.kari.ge",
        )
        for i in range(applicants)
    ]
    Applicant.objects.bulk_create(people, batch_size=5000)
    people = list(Applicant.objects.filter(personal_number__startswith="9").order_by("pk"))
    regs, picks = [], []
    for a in people:
        g = rng.choice(groups)
        muni = rng.choices(munis, weights=[weights.get(m.code, 1) for m in munis])[0]
        regs.append(
            Registration(
                applicant=a,
                round=r,
                channel="online",
                exam_municipality=muni,
                test_language="ka",
                foreign_language="en",
                skills_test_id=g[0].skills_test_id,
                subject_group_id=g[0].subject_group_id,
                registered_at=now,
                updated_at=now,
                adapted_environment="ეტლი" if rng.random() < 0.05 else "",
            )
        )
        picks.append(g[0])
    Registration.objects.bulk_create(regs, batch_size=5000)
    Choice.objects.bulk_create(
        [Choice(registration=reg, rank=1, programme=p) for reg, p in zip(regs, picks, strict=True)],
        batch_size=5000,
    )
    return r, emis


def run(args) -> bool:
    env = build(args.pg, args.db)
    os.environ.update(env)
    import django

    django.setup()
    from kari.exams import services
    from kari.exams.services import invitations

    t = time.perf_counter()
    r, emis = prepare(args.service_applicants, args.centres)
    print(
        f"prepared {args.service_applicants:,} registrations and {args.centres} centres in "
        f"{time.perf_counter() - t:.1f} s (database {args.db})"
    )
    t = time.perf_counter()
    d = services.distribute(emis, r)
    wall = time.perf_counter() - t
    s = d.stats
    print(
        f"services.distribute(): {wall:.2f} s end to end (solver {s.get('model', {})}); "
        f"{s['placed']:,} placed, {s['unplaced']:,} unplaced, {s['preferred']:,} in the "
        f"preferred municipality, mean {s['mean_distance_km']:.2f} km"
    )
    ok = wall <= 30.0 and s["unplaced"] == 0
    print(f"target <= 30 s end to end: {'met' if wall <= 30.0 else 'MISSED'}")
    if args.service_invitations:
        t = time.perf_counter()
        job = services.start_invitations(emis, d)
        started = time.perf_counter() - t
        t = time.perf_counter()
        invitations.run_job(job.pk, workers=args.workers)
        wall = time.perf_counter() - t
        print(
            f"start_invitations(): {started:.2f} s; run_job(): {job.total:,} cards in {wall:.1f} s "
            f"= {job.total / wall:.0f} cards/s (10,000 cards in {10_000 * wall / job.total:.1f} s)"
        )
        ok = ok and 10_000 * wall / job.total <= 60.0
    return ok
