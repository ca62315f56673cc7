"""Run a simulated round: the world, the stages in order on the simulated clock, the checks.

``run()`` works on the current database, which must be fresh (migrated, empty); the
``kari simulate`` command prepares one. Stages that cannot run yet (an app not on main) are
reported as missing, never silently skipped.
"""

import datetime as dt
import random
import resource
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import override_settings

from . import checks, phones, sen, stages
from .clock import Clock
from .cpu import db_cpu
from .world import WorldBuilder, centres

# (name, title, function, takes a progress callback)
STAGES = [
    ("schedule", "1. The ministry sets the schedule", stages.stage_schedule, False),
    ("announcements", "1. Institutions announce programmes", stages.stage_announcements, False),
    ("earlier_scores", "2. Earlier scores to carry over (A28)", stages.stage_earlier_scores, False),
    ("sen_assessment", "2. SEN: expert conclusions, the SEN schedule", sen.stage_assessment, False),
    (
        "registration",
        "2. Applicants register (general and SEN), change lists",
        stages.stage_registration,
        True,
    ),
    ("preparation", "3. Sessions, commission, enrolment terms", stages.stage_preparation, False),
    ("sen_hosts", "3. SEN: hosts named, exam commissions (A39, A40.3)", sen.stage_hosts, False),
    ("distribution", "3. Distribution and invitations", stages.stage_distribution, False),
    (
        "sen",
        "3. SEN: trials, distribution, the minister's act (A40, A41.1)",
        sen.stage_trials_and_act,
        False,
    ),
    ("exams", "3. Test days: check-in, breaches, complaints", stages.stage_exams, True),
    ("appeals", "4. The commission decides the complaints", stages.stage_appeals, False),
    ("results", "4. NAEC's results imported and published", stages.stage_results, False),
    ("reranking", "4. Re-ranking window", stages.stage_reranking, True),
    ("ranking", "5. Final lists, ranking built, approved, signed", stages.stage_ranking, False),
    ("enrolment", "6. Enrolment, declines, voucher options", stages.stage_enrolment, True),
]
# Stages of the issue that no app on main provides yet (reported in every run).
NOT_BUILT = {
    "subsequent": "the subsequent stage (A16, A18.3) is not simulated yet",
}


@dataclass
class StageRecord:
    name: str
    title: str
    status: str = "pending"  # done | missing | failed
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time: the machine may be shared
    db_cpu_seconds: float = 0.0  # the PostgreSQL backend's CPU time (same machine), if known
    # child processes (the simulated people's workers, kari.simulation.parallel, and the PDF
    # workers) and the workers' PostgreSQL backends
    children_cpu_seconds: float = 0.0
    worker_db_cpu_seconds: float = 0.0
    counts: dict = field(default_factory=dict)
    error: str = ""
    sim_day: str = ""


@dataclass
class Outcome:
    applicants: int
    seed: int
    database: str
    started: str = ""
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    stages: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    missing: dict = field(default_factory=dict)
    schedule: dict = field(default_factory=dict)
    sen: dict = field(default_factory=dict)  # the SEN track's figures (kari.simulation.sen)
    sim: object = field(default=None, repr=False)  # the simulation itself (not reported)

    @property
    def passed(self) -> bool:
        return all(s.status in ("done", "missing") for s in self.stages) and all(
            c["ok"] for c in self.checks
        )

    def as_dict(self) -> dict:
        sim, self.sim = self.sim, None
        try:
            out = asdict(self)
        finally:
            self.sim = sim
        out.pop("sim")
        out["passed"] = self.passed
        return out


def simulation_settings(directory: Path, *, instance: bool = False) -> dict:
    """The settings a simulation runs under. ``instance``: the round stays in this Kari
    instance to be served afterwards (``kari demo --phase simulated``): its own civil registry,
    media, management system, audit anchor and password hashers; only the phones, the email,
    the one-time-code rate and the self-signed keys are the simulation's."""
    if instance:
        return {
            "KARI_SMS": {"BACKEND": "kari.simulation.phones.SimulatedPhones", "OPTIONS": {}},
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "KARI_DOCUMENT_SIGNING": {**settings.KARI_DOCUMENT_SIGNING, "SELF_SIGNED": True},
            "KARI_OTP": {**settings.KARI_OTP, "PER_IP_PER_HOUR": 10**9},
        }
    return {
        "KARI_CIVIL_REGISTRY": {
            "BACKEND": "kari.identity.registry.LocalFileRegistry",
            "PATH": str(directory / "civil-registry.json"),
        },
        "KARI_SMS": {"BACKEND": "kari.simulation.phones.SimulatedPhones", "OPTIONS": {}},
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "MEDIA_ROOT": directory / "media",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "KARI_DOCUMENT_SIGNING": {**settings.KARI_DOCUMENT_SIGNING, "SELF_SIGNED": True},
        "KARI_MANAGEMENT_SYSTEM": {
            **settings.KARI_MANAGEMENT_SYSTEM,
            "PATH": str(directory / "management-system"),
        },
        "KARI_AUDIT_ANCHOR": {
            **settings.KARI_AUDIT_ANCHOR,
            "WITNESS": str(directory / "audit-witness.jsonl"),
            "KEY_FILE": str(directory / "audit-anchor.key"),
        },
        # the simulated applicants' codes: each person asks for a few, one IP for the test
        "KARI_OTP": {**settings.KARI_OTP, "PER_IP_PER_HOUR": 10**9},
    }


def children_cpu() -> float:
    """CPU seconds of the child processes that have ended: the PDF workers and the simulated
    people's workers (kari.simulation.parallel)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def peak_memory_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # kilobytes on Linux


def run(
    applicants: int = 300,
    seed: int = 1,
    directory: Path | None = None,
    *,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    tamper: Callable | None = None,
    year: int = 2027,
    make_staff: Callable | None = None,
    instance: bool = False,
) -> Outcome:
    """Simulate one round on the current (fresh) database; return the outcome with checks.

    ``tamper`` (tests only) is called with the simulation after the last stage, before the
    checks, to prove that the checks catch a broken outcome. ``year``: the round's spring.
    ``make_staff(username, organisation, roles)`` makes the staff accounts and ``instance``
    keeps the instance's own paths (see :func:`simulation_settings`): the demo's round
    (``kari demo --phase simulated``)."""
    say = progress or (lambda line: None)
    directory = Path(directory or settings.BASE_DIR / "var" / "simulation")
    directory.mkdir(parents=True, exist_ok=True)
    out = Outcome(applicants, seed, connection.vendor, started=dt.datetime.now(dt.UTC).isoformat())
    began = time.perf_counter()
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # a throwaway database: no fsync on every commit
        with connection.cursor() as c:
            c.execute("PRAGMA synchronous=OFF")
    clock = Clock(dt.datetime(year, 1, 4, 9, 0))
    with override_settings(**simulation_settings(directory, instance=instance)), clock.installed():
        phones.reset()
        # a fresh database: the witness of another one's audit chain does not apply
        Path(settings.KARI_AUDIT_ANCHOR["WITNESS"]).unlink(missing_ok=True)
        rng = random.Random(seed)
        record = StageRecord("world", "0. Bodies, institutions, programmes, exam centres")
        out.stages.append(record)
        t, cpu = time.perf_counter(), time.process_time()
        world = WorldBuilder(rng, applicants, directory, make_staff).build()
        centres(world, rng, applicants)
        record.seconds, record.status = round(time.perf_counter() - t, 2), "done"
        record.cpu_seconds = round(time.process_time() - cpu, 2)
        record.counts = {
            "institutions": len(world.institutions),
            "programmes": len(world.programmes),
            "exam centres": len(world.centres),
            "people in the civil registry": 2 * applicants,
        }
        say(_line(record))
        sim = out.sim = stages.Sim(seed, applicants, world, clock, rng, workers=workers, year=year)
        for name, title, fn, takes_progress in STAGES:
            record = StageRecord(name, title)
            out.stages.append(record)
            if name == "earlier_scores":  # the people's choices, once the programmes are known
                stages.plan_people(sim)
            t, cpu, db = time.perf_counter(), time.process_time(), db_cpu()
            before = (children_cpu(), sim.worker_db_cpu_seconds, sim.db_cpu_closed)
            try:
                counts = fn(sim, _progress(say, title)) if takes_progress else fn(sim)
            except Exception as exc:  # reported, and the round stops here
                record.status, record.error = "failed", f"{type(exc).__name__}: {exc}{_where(exc)}"
                record.seconds = round(time.perf_counter() - t, 2)
                record.cpu_seconds = round(time.process_time() - cpu, 2)
                record.children_cpu_seconds = round(children_cpu() - before[0], 2)
                say(_line(record))
                break
            record.seconds = round(time.perf_counter() - t, 2)
            record.cpu_seconds = round(time.process_time() - cpu, 2)
            # the backend may have been replaced (closed before the workers were forked)
            closed = sim.db_cpu_closed - before[2]
            record.db_cpu_seconds = round(max(0.0, db_cpu() + closed - db), 2)
            record.children_cpu_seconds = round(children_cpu() - before[0], 2)
            record.worker_db_cpu_seconds = round(sim.worker_db_cpu_seconds - before[1], 2)
            record.counts = counts
            record.sim_day = clock.today().isoformat()
            record.status = "missing" if name in sim.missing else "done"
            say(_line(record))
        out.missing = {**sim.missing, **NOT_BUILT}
        if sim.round is not None:
            out.schedule = {k: v.isoformat() for k, v in sim.round.schedule().items() if v}
        if sim.sen is not None and all(s.status != "failed" for s in out.stages):
            out.sen = sen.summary(sim)
        if all(s.status != "failed" for s in out.stages):
            if tamper is not None:
                tamper(sim)
            t = time.perf_counter()
            out.checks = checks.run_all(sim)
            record = StageRecord("checks", "Checks", "done", round(time.perf_counter() - t, 2))
            record.counts = {"passed": sum(c["ok"] for c in out.checks), "of": len(out.checks)}
            out.stages.append(record)
            say(_line(record))
            for c in out.checks:
                say(f"  {'ok  ' if c['ok'] else 'FAIL'} {c['name']}: {c['detail']}")
    out.seconds = round(time.perf_counter() - began, 2)
    out.peak_memory_mb = peak_memory_mb()
    return out


def _where(exc: BaseException) -> str:
    """Where a stage failed: the simulation's last line in the traceback, and Kari's."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/kari/simulation/" in f.filename]
    kari = [f for f in frames if "/kari/" in f.filename]
    shown = {f"{Path(f.filename).name}:{f.lineno}" for f in (ours[-1:] + kari[-1:])}
    return f" (at {', '.join(sorted(shown))})" if shown else ""


def _line(r: StageRecord) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in r.counts.items())
    tail = f" — {r.error}" if r.error else ""
    day = f" [{r.sim_day}]" if r.sim_day else ""
    cpu = f", CPU {r.cpu_seconds:.1f} s" if r.cpu_seconds else ""
    cpu += f" + database {r.db_cpu_seconds:.1f} s" if r.db_cpu_seconds else ""
    cpu += f" + child processes {r.children_cpu_seconds:.1f} s" if r.children_cpu_seconds else ""
    cpu += f" + their database {r.worker_db_cpu_seconds:.1f} s" if r.worker_db_cpu_seconds else ""
    return f"{r.title}{day}: {r.status} in {r.seconds:.1f} s{cpu} ({counts}){tail}"


def _progress(say, title):
    state = {"last": time.perf_counter()}

    def step(done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - state["last"] > 5:
            state["last"] = now
            say(f"  {title}: {done}/{total}")

    return step
