"""The distribution of the round's applicants to exam centres and sessions (A17.2), and
EMIS's moves (A15.8). The solver is ``kari.distribution`` (pure); this module feeds it the
round's data, stores its plan and keeps the figures current after a move."""

import hashlib
import json
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from kari import distribution as solver
from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.errors import RuleError, ValidationError, field_error
from kari.tasks.errors import connection_lost

from .. import selectors
from ..models import (
    Assignment,
    CentreQuota,
    Distribution,
    DistributionJob,
    DistributionStatus,
    ExamCentre,
    JobStatus,
    Sitting,
)
from ..reasons import NO_MUNICIPALITY, NO_TESTS
from .common import STALE_JOB, lock_round, refuse_if_final

SOLVER_SECONDS = 600  # a plan is returned (not proven optimal) if HiGHS needs longer


class SolverInputs(NamedTuple):
    """The round's data as the solver takes it, what is left out of it, and their hash."""

    candidates: list[solver.Candidate]
    centres: list[solver.Centre]
    sessions: list[solver.Session]
    coords: dict[str, tuple[float, float]]
    left_out: dict[int, dict]  # registration id -> its reason, as stored (kari.exams.reasons)
    digest: str


def _has_coords(muni) -> bool:
    return muni is not None and muni.lat is not None and muni.lon is not None


def solver_inputs(round_) -> SolverInputs:
    """The solver's candidates, centres and sessions for the round, and their hash.

    A registration the solver cannot place (no preferred municipality with coordinates, no
    test) is left out and listed with its reason; a centre without coordinates is refused.
    """
    sessions = selectors.round_sessions(round_)
    quotas = dict(CentreQuota.objects.filter(round=round_).values_list("centre_id", "applicants"))
    centres = selectors.active_centres()
    bad = [c.code for c in centres if not _has_coords(c.municipality)]
    if bad:
        raise RuleError(
            _(
                "These exam centres' municipalities have no coordinates, so distances "
                "cannot be computed: %(codes)s."
            )
            % {"codes": ", ".join(bad)},
            citation="A17.2",
        )
    coords = {c.municipality.code: (c.municipality.lat, c.municipality.lon) for c in centres}
    candidates, left_out = [], {}
    for reg in selectors.registrations_to_distribute(round_):
        muni, items = reg.exam_municipality, tuple(selectors.items_of(reg))
        if not _has_coords(muni):
            left_out[reg.pk] = {"code": NO_MUNICIPALITY, "items": []}
            continue
        if not items:
            left_out[reg.pk] = {"code": NO_TESTS, "items": []}
            continue
        coords[muni.code] = (muni.lat, muni.lon)
        candidates.append(
            solver.Candidate(
                key=reg.pk,
                municipality=muni.code,
                adapted=bool(reg.adapted_environment.strip()),
                items=items,
            )
        )
    s_items = [solver.Session(key=s.pk, item=s.item) for s in sessions]
    s_centres = [
        solver.Centre(
            key=c.pk,
            municipality=c.municipality.code,
            seats=c.seats,
            adapted=c.adapted,
            sessions=tuple(s.pk for s in selectors.hosted_sessions(c, sessions)),
            quota=quotas.get(c.pk),
        )
        for c in centres
    ]
    blob = json.dumps(
        [
            [repr(c) for c in candidates],
            [repr(c) for c in s_centres],
            [repr(s) for s in s_items],
            sorted(left_out),
        ],
        sort_keys=True,
    ).encode()
    return SolverInputs(
        candidates, s_centres, s_items, coords, left_out, hashlib.sha256(blob).hexdigest()
    )


def _check_can_distribute(round_, today) -> None:
    if today <= round_.registration_closes:
        raise RuleError(
            _("Registration is open until %(d)s: applicants are distributed after it closes.")
            % {"d": f"{round_.registration_closes:%d.%m.%Y}"},
            citation="A17.2",
        )
    refuse_if_final(round_)


@transaction.atomic
def start_distribution(actor, round_, *, today=None) -> DistributionJob:
    """Queue a distribution run: the job row and its task (run by ``kari worker``) commit
    together; the web shows a progress page meanwhile.

    A run that has not finished after ``STALE_JOB`` no longer blocks a new one (a worker that
    dies is replaced through the task's lease, so this is a last resort).
    """
    authorize(actor, "exams.distribute", NATIONAL)
    lock_round(round_)
    _check_can_distribute(round_, today or timezone.localdate())
    if (
        DistributionJob.objects.active()
        .filter(round=round_, started_at__gte=timezone.now() - STALE_JOB)
        .exists()
    ):
        raise RuleError(_("A distribution of this round is already running."), citation="A17.2")
    job = DistributionJob.objects.create(round=round_, started_at=timezone.now(), started_by=actor)
    distribution_task.enqueue(job.pk)
    return job


@task()
def distribution_task(job_id: int) -> None:
    """The queue's task: run the distribution job (idempotent: a finished job is left alone)."""
    run_distribution_job(job_id)


def run_distribution_job(job_id: int) -> DistributionJob:
    """Run a queued distribution job: ``distribute`` and the job's outcome in one transaction
    (the distribution, or the error shown to EMIS), so a worker killed midway leaves the job
    to be run again whole, and a job already finished is not run twice."""
    job = DistributionJob.objects.select_related("round", "started_by").get(pk=job_id)
    if not job.is_active:
        return job
    DistributionJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    try:
        with transaction.atomic():
            d = distribute(job.started_by, job.round)
            DistributionJob.objects.filter(pk=job.pk).update(
                status=JobStatus.DONE, result=d, finished_at=timezone.now()
            )
    except ValidationError as exc:
        DistributionJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=" ".join(exc.messages)[:2000], finished_at=timezone.now()
        )
    except Exception as exc:
        if not connection_lost(exc):  # a lost connection: the worker runs the task again
            DistributionJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
            )
        raise
    job.refresh_from_db()
    return job


@transaction.atomic
def distribute(actor, round_, *, today=None) -> Distribution:
    """A17.2: after registration closes, assign every applicant to a centre and sessions.

    Minimises the total distance travelled (0 within the preferred municipality), never exceeds
    a session's seats or NAEC's per-centre number (A17.2(b)), and sends applicants needing an
    adapted environment only to centres that have one. Re-runnable until invitations are issued.
    """
    authorize(actor, "exams.distribute", NATIONAL)
    lock_round(round_)
    _check_can_distribute(round_, today or timezone.localdate())
    inputs = solver_inputs(round_)
    if not inputs.candidates and not inputs.left_out:
        raise RuleError(_("No applicant is registered for this round."), citation="A17.2")
    try:
        plan = solver.distribute(
            inputs.candidates,
            inputs.centres,
            inputs.sessions,
            inputs.coords,
            time_limit=SOLVER_SECONDS,
        )
    except (solver.DistributionError, solver.SolverError) as exc:
        raise RuleError(
            _("The distribution could not be computed: %(why)s") % {"why": exc}, citation="A17.2"
        ) from exc
    unplaced = {k: r.as_dict() for k, r in plan.unplaced.items()} | inputs.left_out
    stats = plan.stats.as_dict() | {"unplaced": len(unplaced)}
    earlier = Distribution.objects.filter(round=round_)
    number = (earlier.aggregate(n=Max("number"))["n"] or 0) + 1
    earlier.filter(status=DistributionStatus.DRAFT).delete()  # a re-run replaces the draft
    d = Distribution.objects.create(
        round=round_,
        number=number,
        run_at=timezone.now(),
        run_by=actor,
        inputs_hash=inputs.digest,
        stats=stats,
        unplaced={str(k): v for k, v in sorted(unplaced.items())},
    )
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(
                distribution=d,
                registration_id=key,
                centre_id=p.centre,
                distance_km=round(p.distance_km, 1),
                preferred=p.preferred,
            )
            for key, p in sorted(plan.placements.items())
        ],
        batch_size=2000,
    )
    Sitting.objects.bulk_create(
        [
            Sitting(assignment=a, session_id=session_key)
            for a in assignments
            for _item, session_key in sorted(plan.placements[a.registration_id].sittings.items())
        ],
        batch_size=5000,
    )
    record(
        actor,
        "distribution.run",
        d,
        after={"stats": d.stats, "inputs": inputs.digest, "unplaced": len(unplaced)},
        reason=_("Distribution to exam centres (A17.2)"),
    )
    return d


@transaction.atomic
def agree_distribution(actor, distribution: Distribution) -> Distribution:
    """A17.2: NAEC agrees to a distribution on its page ("ცენტრთან შეთანხმებით").

    With NAEC's numbers per exam centre taken in (A17.2(b)) the distribution follows them; this
    is NAEC's agreement when it gives none. Only the latest draft can be agreed to.
    """
    authorize(actor, "exams.numbers", NATIONAL)
    lock_round(distribution.round)
    d = Distribution.objects.select_for_update().get(pk=distribution.pk)
    if d.is_final or selectors.current_distribution(d.round).pk != d.pk:
        raise RuleError(
            _("Only the latest distribution, before its invitations, can be agreed to."),
            citation="A17.2",
        )
    if d.naec_agreed_at is None:
        d.naec_agreed_at, d.naec_agreed_by = timezone.now(), actor
        d.save(update_fields=["naec_agreed_at", "naec_agreed_by"])
        record(actor, "distribution.agree", d, after={"number": d.number}, reason="A17.2")
    return d


@transaction.atomic
def move_applicant(
    actor, d: Distribution, registration, centre: ExamCentre, *, reason: str
) -> Assignment:
    """A15.8: EMIS moves an applicant, or places an unplaced one, at another exam centre.

    The centre must have a free seat in a session of each of the applicant's tests, room under
    NAEC's number (A17.2(b)) and, where needed, an adapted environment.
    """
    authorize(actor, "exams.distribute", NATIONAL)
    lock_round(d.round)
    d = Distribution.objects.select_for_update().get(pk=d.pk)
    refuse_if_final(d.round)
    if selectors.current_distribution(d.round).pk != d.pk:
        raise RuleError(_("Only the latest distribution can be changed."), citation="A15.8")
    if not reason.strip():
        raise field_error("reason", _("Say why the applicant is moved."), "A15.8")
    reg = registration
    assignment = Assignment.objects.filter(distribution=d, registration=reg).first()
    if assignment is None and str(reg.pk) not in d.unplaced:
        raise field_error("registration", _("This registration is not in the distribution."))
    if reg.adapted_environment.strip() and not centre.adapted:
        raise field_error(
            "centre",
            _("The applicant needs an adapted environment, which this centre cannot provide."),
            "A17.2",
        )
    quota = CentreQuota.objects.filter(round=d.round, centre=centre).first()
    others = Assignment.objects.filter(distribution=d, centre=centre).exclude(registration=reg)
    if quota is not None and others.count() >= quota.applicants:
        raise field_error(
            "centre",
            _("NAEC's number for this centre, %(n)s, is reached.") % {"n": quota.applicants},
            "A17.2(b)",
        )
    sessions = selectors.round_sessions(d.round)
    hosted = {s.item: [] for s in sessions}
    for s in selectors.hosted_sessions(centre, sessions):
        hosted[s.item].append(s)
    load = dict(
        Sitting.objects.filter(assignment__in=others)
        .values("session")
        .annotate(n=Count("pk"))
        .values_list("session", "n")
    )
    new_sittings = []
    for item in selectors.items_of(reg):
        free = [s for s in hosted.get(item, []) if load.get(s.pk, 0) < centre.seats]
        if not free:
            raise field_error(
                "centre", _("The centre has no free seat for %(item)s.") % {"item": item}, "A17.2"
            )
        new_sittings.append(min(free, key=lambda s: (load.get(s.pk, 0), s.date, s.starts_at)))
    here = reg.exam_municipality
    preferred = here is not None and here.pk == centre.municipality_id
    km = 0.0
    if not preferred and _has_coords(here):
        _names, matrix = solver.distance_matrix(
            {"a": (here.lat, here.lon), "b": (centre.municipality.lat, centre.municipality.lon)}
        )
        km = round(float(matrix[0, 1]), 1)
    if assignment is None:
        before = {"unplaced": d.unplaced.pop(str(reg.pk))}
        assignment = Assignment(distribution=d, registration=reg)
    else:
        before = {"centre": assignment.centre.code, "distance_km": assignment.distance_km}
        assignment.sittings.all().delete()
    assignment.centre, assignment.preferred, assignment.distance_km = centre, preferred, km
    assignment.moved_by = actor
    assignment.save()
    Sitting.objects.bulk_create([Sitting(assignment=assignment, session=s) for s in new_sittings])
    d.stats = {**d.stats, **current_figures(d), "unplaced": len(d.unplaced)}
    d.save(update_fields=["stats", "unplaced"])
    record(
        actor,
        "distribution.move",
        reg,
        before=before,
        after={"centre": centre.code, "distance_km": km},
        reason=reason,
    )
    return assignment


def current_figures(d: Distribution) -> dict:
    """The distribution's figures from its rows as they stand (after a move, A15.8), computed
    as the solver computes them (``kari.distribution.figures``)."""
    rows = d.assignments.order_by("registration_id").values_list(
        "distance_km", "preferred", "centre_id"
    )
    return solver.figures(rows).as_dict()
