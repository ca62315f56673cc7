"""The shared test worlds, built once and reused by consecutive tests.

A test asks for a world by name (`reference`, `round_open`, `world`, `exam_world`, `issued`); each
world builds on the one before it. Building `issued` solves the distribution MILP and renders
every invitation card, and `world` creates twenty staff accounts: rebuilding them for each test
was most of the suite's time. Here each world is built once, inside a transaction of its own
(a savepoint) that stays open beneath the tests, and each test runs inside a further savepoint
that pytest-django rolls back, exactly as before. A test therefore sees the world it asked for,
in its built state, whatever earlier tests did; and it sees nothing of a world it did not ask for:
the levels above the one a test needs are rolled back before it starts. Model instances are
handed out as deep copies, so a test that changes one in memory changes nobody else's.

Worlds are rolled back completely before a test that needs a transactional database (the
browser tests' live server) and at the end of the session.
"""

import copy
import datetime as dt
import shutil
from pathlib import Path

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from kari.accounts.roles import ROLE_KINDS, OrgKind, Role
from tests.factories import (
    _emis_user,
    make_institution,
    make_org,
    make_user,
    programme_data,
    round_dates,
)

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _aware(day, hh, mm=0):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hh, mm)))


# ---- the builders: each takes the world below it and returns its own ----------------------


def build_reference(below, files: Path):
    from kari.catalogue.reference import load_reference

    return load_reference()


def build_round(below, files: Path):
    from kari.rounds.models import Round

    return Round.objects.create(**round_dates())


def build_world(below, files: Path):
    """Two institutions with programmes, the national bodies, and a user for every role."""
    from kari.catalogue.services import save_programme

    round_ = below["round_open"]
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
        OrgKind.EXPERT_TEAM: [
            make_org("experts-1", OrgKind.EXPERT_TEAM),
            make_org("experts-2", OrgKind.EXPERT_TEAM),
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
        "round": round_,
        "orgs": orgs,
        "users": users,
        "inst_a": inst_a,
        "inst_b": inst_b,
        "admin_b": admin_b,
        "progs_a": progs_a,
        "prog_b": prog_b,
        "emis": emis,
    }


def exam_settings(files: Path) -> dict:
    return {
        "MEDIA_ROOT": files / "media",
        "KARI_SMS": {
            "BACKEND": "kari.sms.FileOutboxBackend",
            "OPTIONS": {"path": str(files / "sms.jsonl")},
        },
    }


def build_exam_world(below, files: Path):
    """The world's round after registration closed, on its first test day: three exam centres
    (two in Tbilisi, one adapted in Kutaisi), one session per test item today and ten
    registered applicants preferring Tbilisi (one needs an adapted environment)."""
    from kari.catalogue.models import Municipality
    from kari.exams import services
    from kari.registration.models import Applicant, Registration
    from kari.rounds.models import Round

    world = below["world"]
    today = timezone.localdate()
    # A fresh copy: the world below keeps its own round, unchanged, when this level unwinds.
    r = Round.objects.get(pk=world["round"].pk)
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


def build_issued(below, files: Path):
    """The exam world distributed and its invitations issued and rendered."""
    from kari.exams import services
    from kari.exams.services import invitations

    exam_world = below["exam_world"]
    d = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], d)  # A17.2
    job = services.start_invitations(exam_world["emis"], d)
    invitations.run_job(job.pk, workers=1)
    return {**exam_world, "distribution": d, "job": job}


LEVELS = {
    "reference": (None, build_reference),
    "round_open": (None, build_round),
    "world": ("round_open", build_world),
    "exam_world": ("world", build_exam_world),
    "issued": ("exam_world", build_issued),
}
# The worlds that write files: media (invitation cards) and the SMS outbox, in their own folder.
FILE_LEVELS = {"exam_world", "issued"}
# `world` also needs the reference data: its chain starts with it.
CHAINS = {
    "reference": ["reference"],
    "round_open": ["round_open"],
    "world": ["reference", "round_open", "world"],
    "exam_world": ["reference", "round_open", "world", "exam_world"],
    "issued": ["reference", "round_open", "world", "exam_world", "issued"],
}
ORDER = ["reference", "round_open", "world", "exam_world", "issued"]


def chain_for(names) -> list[str]:
    """The levels a test needs, bottom first: the longest chain among the worlds it names."""
    wanted = [n for n in ORDER if n in names]
    chain: list[str] = []
    for name in wanted:
        for level in CHAINS[name]:
            if level not in chain:
                chain.append(level)
    return chain


class Worlds:
    """The stack of built worlds: one open savepoint per level."""

    def __init__(self, root: Path):
        self.root = root
        self.stack: list[tuple[str, transaction.Atomic, object, Path]] = []
        self.serial = 0
        # Worlds a test asked for only while running (request.getfixturevalue): built inside
        # the test's own transaction, for that test alone.
        self.loose: dict[str, tuple[object, Path]] = {}

    def names(self) -> list[str]:
        return [name for name, *_ in self.stack]

    def unwind_to(self, keep: int) -> None:
        while len(self.stack) > keep:
            _name, atomic, _data, files = self.stack.pop()
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            shutil.rmtree(files, ignore_errors=True)

    def prepare(self, chain: list[str]) -> None:
        self.loose = {}
        have = self.names()
        common = 0
        while common < min(len(have), len(chain)) and have[common] == chain[common]:
            common += 1
        self.unwind_to(common)
        for name in chain[common:]:
            files = self.root / f"{name}-{self.serial}"
            self.serial += 1
            files = self._folder(name)
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                data = self._build(name, files)
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
            self.stack.append((name, atomic, data, files))

    def _folder(self, name: str) -> Path:
        files = self.root / f"{name}-{self.serial}"
        self.serial += 1
        below_files = self.files()
        if below_files is not None:  # the issued world starts from the exam world's files
            shutil.copytree(below_files, files)
        files.mkdir(parents=True, exist_ok=True)
        return files

    def _below(self) -> dict:
        below = {n: d for n, _a, d, _f in self.stack}
        below.update({n: d for n, (d, _f) in self.loose.items()})
        return below

    def _build(self, name: str, files: Path):
        extra = exam_settings(files) if name in FILE_LEVELS else {}
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS, **extra):
            return LEVELS[name][1](self._below(), files)

    def files(self) -> Path | None:
        """The folder of the highest world that writes files (media, the SMS outbox)."""
        for name in reversed(ORDER):
            if name in FILE_LEVELS and name in self.loose:
                return self.loose[name][1]
        for name, _a, _d, files in reversed(self.stack):
            if name in FILE_LEVELS:
                return files
        return None

    def get(self, name: str):
        """A copy of the named world: kept, or (asked for while the test runs) built now."""
        for n, _a, data, _f in self.stack:
            if n == name:
                return copy.deepcopy(data)
        if name not in self.loose:
            for level in CHAINS[name]:
                if level not in self.names() and level not in self.loose:
                    files = self._folder(level)
                    self.loose[level] = (self._build(level, files), files)
        return copy.deepcopy(self.loose[name][0])
