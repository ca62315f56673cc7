"""Write operations of exam logistics (A12.3, A15.8, A17-A22).

Each function runs in one transaction, checks permissions, enforces the rules, writes the audit
log and notifies on commit. Results intake (A26.1) and the EMIS-NAEC hand-overs live in
``results.py`` and ``handovers.py`` and follow the same pattern.
"""

import datetime as dt
import hashlib
import json
import secrets

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kari import distribution as solver
from kari.accounts.permissions import authorize, authorize_any, can
from kari.accounts.roles import OrgKind
from kari.audit.log import record
from kari.errors import RuleError, ValidationError, field_error

from . import selectors
from .models import (
    Assignment,
    CentreQuota,
    Distribution,
    DistributionJob,
    DistributionStatus,
    ExamCentre,
    ExamSession,
    Incident,
    IncidentKind,
    Invitation,
    InvitationJob,
    JobStatus,
    Presence,
    Sitting,
    SittingStatus,
)

SOLVER_SECONDS = 600  # a plan is returned (not proven optimal) if HiGHS needs longer
CENTRE_FIELDS = [
    "code",
    "name_ka",
    "name_en",
    "host",
    "municipality",
    "address",
    "seats",
    "sessions_per_day",
    "adapted",
    "active",
]
HOST_KINDS = {OrgKind.EXAM_HOST, OrgKind.INSTITUTION}


def _snapshot(obj, fields) -> dict:
    out = {}
    for f in fields:
        v = getattr(obj, f)
        out[f] = getattr(v, "code", v) if hasattr(v, "_meta") else v
    return out


# ---------------------------------------------------------------- exam centres (A12.3(e), A12.7)


@transaction.atomic
def save_centre(
    actor, data: dict, centre: ExamCentre | None = None, *, reason: str = ""
) -> ExamCentre:
    """EMIS selects the centres (A12.3(e)).

    The host's manager keeps its own centre's data (A12.7).
    """
    if centre is None:
        authorize(actor, "exams.centres")
        centre = ExamCentre()
        before = None
    else:
        # A fresh copy: a bound ModelForm has already written the posted values onto `centre`.
        centre = ExamCentre.objects.select_for_update().get(pk=centre.pk)
        authorize_any(actor, ("exams.centres", None), ("exam_centre.edit", centre.host))
        before = _snapshot(centre, CENTRE_FIELDS)
        if not can(
            actor, "exams.centres"
        ):  # a host manager may not hand the centre to another host
            data = {**data, "host": centre.host, "code": centre.code}
    errors = _in_use_errors(centre, data) if centre.pk else {}
    host = data.get("host")
    if host is None or host.kind not in HOST_KINDS:
        errors["host"] = [_("The host must be a VET institution or an exam-centre host (A12.7).")]
    muni = data.get("municipality")
    if muni is None or getattr(muni, "occupied", False):
        errors["municipality"] = [_("Choose a municipality.")]
    if not str(data.get("address") or "").strip():
        errors["address"] = [_("Enter the address applicants will travel to.")]
    if not str(data.get("code") or "").strip():
        errors["code"] = [_("Enter a code.")]
    elif ExamCentre.objects.filter(code=data["code"]).exclude(pk=centre.pk).exists():
        errors["code"] = [_("Another exam centre has this code.")]
    if not str(data.get("name_ka") or "").strip():
        errors["name_ka"] = [_("Enter the name in Georgian.")]
    if int(data.get("seats") or 0) < 1:
        errors["seats"] = [_("A centre needs at least one seat (computer).")]
    if not 1 <= int(data.get("sessions_per_day") or 0) <= 6:
        errors["sessions_per_day"] = [_("Between 1 and 6 sessions per test day.")]
    if errors:
        raise ValidationError(errors)
    for f in CENTRE_FIELDS:
        if f in data:
            setattr(centre, f, data[f])
    centre.save()
    record(
        actor,
        "exam_centre.save",
        centre,
        before=before,
        after=_snapshot(centre, CENTRE_FIELDS),
        reason=reason,
    )
    return centre


def _in_use_errors(centre: ExamCentre, data: dict) -> dict:
    """Once invitations name this centre (A17.3) and the test is not over, its place may not
    change under the applicants, and its seats may not drop below a session's load."""
    today = timezone.localdate()
    live = Sitting.objects.filter(
        assignment__centre=centre,
        assignment__distribution__status=DistributionStatus.FINAL,
        session__date__gte=today,
    )
    if not live.exists():
        return {}
    errors = {}
    message = _("Invitations name this exam centre for a test still to come: this cannot change.")
    muni = data.get("municipality")
    if muni is not None and muni.pk != centre.municipality_id:
        errors["municipality"] = [message]
    if str(data.get("address", centre.address)).strip() != centre.address:
        errors["address"] = [message]
    if "active" in data and not data["active"]:
        errors["active"] = [message]
    load = max(
        live.values("session").annotate(n=Count("pk")).values_list("n", flat=True), default=0
    )
    if int(data.get("seats") or 0) < load:
        errors["seats"] = [_("A session here already has %(n)s applicants.") % {"n": load}]
    return errors


# ---------------------------------------------------------------- sessions (A18, A19.4)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


@transaction.atomic
def save_session(actor, round_, data: dict, session: ExamSession | None = None) -> ExamSession:
    """NAEC schedules one sitting of one test within the round's test days (A18.1, A19.4)."""
    authorize(actor, "exams.sessions")
    _lock_round(round_)
    _refuse_if_final(round_)
    errors = {}
    day, starts = data.get("date"), data.get("starts_at")
    opens, closes = data.get("check_in_opens"), data.get("check_in_closes")
    duration = int(data.get("duration_minutes") or 90)
    if day is None or not round_.test_starts <= day <= round_.test_ends:
        errors["date"] = [
            RuleError(
                _("The test day must be within the round's test days, %(a)s–%(b)s.")
                % {"a": f"{round_.test_starts:%d.%m.%Y}", "b": f"{round_.test_ends:%d.%m.%Y}"},
                citation="A18.1",
            ).messages[0]
        ]
    if bool(data.get("skills_test")) == bool(data.get("subject")):
        errors["skills_test"] = [_("Choose either a skills test or a subject (A7.1).")]
    errors.update(
        _timing_errors(
            round_, day, starts, opens, closes, duration, session, check_overlap=not errors
        )
    )
    if errors:
        raise ValidationError(errors)
    before = None if session is None else {"session": str(session)}
    session = session or ExamSession(round=round_)
    for f in ("date", "starts_at", "check_in_opens", "check_in_closes", "skills_test", "subject"):
        setattr(session, f, data.get(f))
    session.duration_minutes = duration
    session.save()
    record(actor, "exam_session.save", session, before=before, after={"session": str(session)})
    return session


def _timing_errors(round_, day, starts, opens, closes, duration, session, *, check_overlap=True):
    """Check-in opens, then closes, no later than the start; no overlap with another session."""
    errors = {}
    if starts and opens and closes and not (opens < closes <= starts):
        errors["check_in_closes"] = [
            _("Check-in opens, then closes, no later than the start (A19.4, A20.2).")
        ]
    if day and starts and check_overlap and not errors:
        begin = _minutes(starts)
        for other in ExamSession.objects.filter(round=round_, date=day).exclude(
            pk=getattr(session, "pk", None)
        ):
            o = _minutes(other.starts_at)
            if begin < o + other.duration_minutes and o < begin + duration:
                errors["starts_at"] = [
                    _(
                        "It overlaps the session at %(t)s (%(test)s); sessions "
                        "of a round never overlap, so no applicant's tests clash."
                    )
                    % {"t": f"{other.starts_at:%H:%M}", "test": other.test_label}
                ]
                break
    return errors


@transaction.atomic
def reschedule_session(
    actor, session: ExamSession, data: dict, *, reason: str, today=None
) -> ExamSession:
    """A18.2: after force majeure or a fault of EMIS or NAEC, NAEC sets a new date and time.

    Allowed after the invitations are issued: the affected applicants' cards are rendered again
    and they are told by email and SMS after commit.
    """
    from kari import notify
    from kari.sms import sms_on_commit

    from .invitations import rerender, site_url

    authorize(actor, "exams.sessions")
    _lock_round(session.round)
    if not reason.strip():
        raise field_error(
            "reason", _("Say what happened (force majeure, or a fault of EMIS or NAEC)."), "A18.2"
        )
    if InvitationJob.objects.filter(
        distribution__round=session.round, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).exists():
        raise RuleError(
            _(
                "The invitation cards are being rendered: move the session when the "
                "job has finished."
            ),
            citation="A18.2",
        )
    today = today or timezone.localdate()
    day, starts = data.get("date"), data.get("starts_at")
    errors = {}
    if day is None or day < today:
        errors["date"] = [_("Choose a new test day, today or later.")]
    errors.update(
        _timing_errors(
            session.round,
            day,
            starts,
            data.get("check_in_opens"),
            data.get("check_in_closes"),
            session.duration_minutes,
            session,
            check_overlap=not errors,
        )
    )
    if errors:
        raise ValidationError(errors)
    before = {
        "session": str(session),
        "check_in": f"{session.check_in_opens:%H:%M}–{session.check_in_closes:%H:%M}",
    }
    for f in ("date", "starts_at", "check_in_opens", "check_in_closes"):
        setattr(session, f, data[f])
    session.save()
    invs = list(
        Invitation.objects.filter(
            assignment__sittings__session=session,
            assignment__distribution__status=DistributionStatus.FINAL,
        ).select_related("registration__applicant")
    )
    transaction.on_commit(lambda: rerender([inv.pk for inv in invs]))
    record(
        actor,
        "exam_session.reschedule",
        session,
        before=before,
        after={"session": str(session), "invitations": len(invs)},
        reason=reason,
    )
    message = _lazy_reschedule_notice()
    when = f"{session.date:%d.%m.%Y} {session.starts_at:%H:%M}"
    for inv in invs:
        person = inv.registration.applicant
        values = {"test": session.test_label, "when": when, "url": site_url("/cabinet/")}
        notify.email_on_commit(
            [person.email], f"Kari: {inv.number}", notify.bilingual(message, **values)
        )
        sms_on_commit(person.phone, notify.bilingual(message, sep=" / ", **values))
    return session


@transaction.atomic
def delete_session(actor, session: ExamSession) -> None:
    authorize(actor, "exams.sessions")
    _lock_round(session.round)
    _refuse_if_final(session.round)
    if session.sittings.exists():
        raise RuleError(
            _(
                "Applicants are distributed to this session: re-run the distribution "
                "without it first."
            )
        )
    record(actor, "exam_session.delete", session, before={"session": str(session)})
    session.delete()


def _lock_round(round_) -> None:
    """Serialise the round's exam-stage writes (distribution, moves, issuing, the schedule)."""
    from kari.rounds.models import Round

    Round.objects.select_for_update().get(pk=round_.pk)


def _refuse_if_final(round_) -> None:
    if Distribution.objects.filter(round=round_, status=DistributionStatus.FINAL).exists():
        raise RuleError(
            _(
                "Invitations have been issued for this round: the distribution and "
                "the schedule are final."
            ),
            citation="A17.3",
        )


# ---------------------------------------------------------------- distribution (A17.2, A15.8)


def _has_coords(muni) -> bool:
    return muni is not None and muni.lat is not None and muni.lon is not None


def solver_inputs(round_):
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
            left_out[reg.pk] = str(_("no preferred exam municipality with coordinates (A15.3(c))"))
            continue
        if not items:
            left_out[reg.pk] = str(_("no skills test or subject group (A15.3(d))"))
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
    return candidates, s_centres, s_items, coords, left_out, hashlib.sha256(blob).hexdigest()


def _check_can_distribute(round_, today) -> None:
    if today <= round_.registration_closes:
        raise RuleError(
            _("Registration is open until %(d)s: applicants are distributed after it closes.")
            % {"d": f"{round_.registration_closes:%d.%m.%Y}"},
            citation="A17.2",
        )
    _refuse_if_final(round_)


@transaction.atomic
def start_distribution(actor, round_, *, today=None) -> DistributionJob:
    """Queue a distribution run (the web runs it in the background with a progress page).

    A run that has not finished after ``STALE_JOB`` (its process died) no longer blocks a new one.
    """
    authorize(actor, "exams.distribute")
    _lock_round(round_)
    _check_can_distribute(round_, today or timezone.localdate())
    if DistributionJob.objects.filter(
        round=round_,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        started_at__gte=timezone.now() - STALE_JOB,
    ).exists():
        raise RuleError(_("A distribution of this round is already running."), citation="A17.2")
    return DistributionJob.objects.create(round=round_, started_at=timezone.now(), started_by=actor)


def run_distribution_job(job_id: int) -> DistributionJob:
    """Run a queued distribution job: ``distribute`` in its own transaction; the outcome
    (the distribution, or the error shown to EMIS) is recorded on the job."""
    job = DistributionJob.objects.select_related("round", "started_by").get(pk=job_id)
    DistributionJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
    try:
        d = distribute(job.started_by, job.round)
    except ValidationError as exc:
        DistributionJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=" ".join(exc.messages)[:2000], finished_at=timezone.now()
        )
    except Exception as exc:
        DistributionJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    else:
        DistributionJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE, result=d, finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job


@transaction.atomic
def distribute(actor, round_, *, today=None) -> Distribution:
    """A17.2: after registration closes, assign every applicant to a centre and sessions.

    Minimises the total distance travelled (0 within the preferred municipality), never exceeds
    a session's seats or NAEC's per-centre number (A17.2(b)), and sends applicants needing an
    adapted environment only to centres that have one. Re-runnable until invitations are issued.
    """
    authorize(actor, "exams.distribute")
    _lock_round(round_)
    _check_can_distribute(round_, today or timezone.localdate())
    candidates, centres, sessions, coords, left_out, digest = solver_inputs(round_)
    if not candidates and not left_out:
        raise RuleError(_("No applicant is registered for this round."), citation="A17.2")
    try:
        plan = solver.distribute(candidates, centres, sessions, coords, time_limit=SOLVER_SECONDS)
    except (solver.DistributionError, solver.SolverError) as exc:
        raise RuleError(
            _("The distribution could not be computed: %(why)s") % {"why": exc}, citation="A17.2"
        ) from exc
    unplaced = {**plan.unplaced, **left_out}
    stats = plan.stats.as_dict() | {"unplaced": len(unplaced)}
    earlier = Distribution.objects.filter(round=round_)
    number = (earlier.aggregate(n=Max("number"))["n"] or 0) + 1
    earlier.filter(status=DistributionStatus.DRAFT).delete()  # a re-run replaces the draft
    d = Distribution.objects.create(
        round=round_,
        number=number,
        run_at=timezone.now(),
        run_by=actor,
        inputs_hash=digest,
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
        after={"stats": d.stats, "inputs": digest, "unplaced": len(unplaced)},
        reason=_("Distribution to exam centres (A17.2)"),
    )
    return d


@transaction.atomic
def move_applicant(
    actor, d: Distribution, registration, centre: ExamCentre, *, reason: str
) -> Assignment:
    """A15.8: EMIS moves an applicant, or places an unplaced one, at another exam centre.

    The centre must have a free seat in a session of each of the applicant's tests, room under
    NAEC's number (A17.2(b)) and, where needed, an adapted environment.
    """
    authorize(actor, "exams.distribute")
    _lock_round(d.round)
    d = Distribution.objects.select_for_update().get(pk=d.pk)
    _refuse_if_final(d.round)
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
    d.stats = {**d.stats, **_current_stats(d)}
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


def _current_stats(d: Distribution) -> dict:
    """The distribution's figures recomputed from its rows (after a move, A15.8)."""
    rows = list(d.assignments.values_list("distance_km", "preferred", "centre_id"))
    total = sum(km for km, _p, _c in rows)
    histogram = {label: 0 for label, _upper in solver.HISTOGRAM_BUCKETS}
    for km, _p, _c in rows:
        histogram[solver.bucket(km)] += 1
    load = {}
    for _km, _p, c in rows:
        load[str(c)] = load.get(str(c), 0) + 1
    return {
        "placed": len(rows),
        "unplaced": len(d.unplaced),
        "preferred": sum(1 for _km, p, _c in rows if p),
        "total_distance_km": round(total, 3),
        "mean_distance_km": round(total / len(rows), 3) if rows else 0.0,
        "histogram": histogram,
        "centre_load": dict(sorted(load.items())),
    }


# ---------------------------------------------------------------- check-in (A19, A20)


def _at(session: ExamSession, t: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(session.date, t))


def find_sitting(
    actor, session: ExamSession, centre: ExamCentre, *, personal_number: str = "", token: str = ""
) -> Sitting:
    """The applicant's sitting in this session at this centre.

    Found by personal number or the QR token.
    """
    authorize(actor, "exam.check_in")
    qs = Sitting.objects.select_related(
        "assignment__registration__applicant", "assignment__centre", "session"
    ).filter(
        session=session,
        assignment__centre=centre,
        assignment__distribution__status=DistributionStatus.FINAL,
    )
    if token:
        qs = qs.filter(assignment__registration__invitation__token=token)
    else:
        qs = qs.filter(assignment__registration__applicant__personal_number=personal_number.strip())
    sitting = qs.first()
    if sitting is None:
        raise field_error(
            "personal_number",
            _("No applicant with this invitation sits this session at this centre (A19.1)."),
        )
    return sitting


def _final_sitting(sitting: Sitting) -> Sitting:
    """The sitting, locked; only sittings of issued invitations exist on test day (A17.3, A19.1)."""
    sitting = (
        Sitting.objects.select_for_update()
        .select_related("assignment__distribution", "session")
        .get(pk=sitting.pk)
    )
    if sitting.assignment.distribution.status != DistributionStatus.FINAL:
        raise RuleError(_("This applicant has no invitation for this session."), citation="A19.1")
    return sitting


@transaction.atomic
def admit(
    actor, sitting: Sitting, *, documents_shown: bool = True, verified_by: str = "", now=None
) -> Sitting:
    """A19.1-2: admit an applicant who shows an ID document and the invitation.

    A20.2: nobody is admitted after check-in closes. A20.3: without documents, only after the
    data are verified by NAEC, EMIS or the institution; who verified is recorded. Admitting an
    applicant who is already in is a no-op (scanning twice is idempotent).
    """
    authorize(actor, "exam.check_in")
    sitting = _final_sitting(sitting)
    if sitting.status == SittingStatus.CHECKED_IN:
        return sitting
    now = now or timezone.now()
    s = sitting.session
    if sitting.status != SittingStatus.EXPECTED:
        raise RuleError(
            _("This applicant is already recorded as “%(status)s”.")
            % {"status": sitting.get_status_display()}
        )
    if now < _at(s, s.check_in_opens):
        raise RuleError(
            _("Check-in opens at %(t)s.") % {"t": f"{s.check_in_opens:%H:%M}"}, citation="A20.1"
        )
    if now > _at(s, s.check_in_closes):
        raise RuleError(
            _("Check-in closed at %(t)s: nobody is admitted after that.")
            % {"t": f"{s.check_in_closes:%H:%M}"},
            citation="A20.2",
        )
    if not documents_shown and not verified_by.strip():
        raise field_error(
            "verified_by",
            _(
                "Without an ID document the applicant is admitted only "
                "after NAEC, EMIS or the institution verifies the data: "
                "name who verified."
            ),
            "A20.3",
        )
    sitting.status = SittingStatus.CHECKED_IN
    sitting.checked_in_at, sitting.checked_in_by = now, actor
    sitting.verified_by = "" if documents_shown else verified_by.strip()
    sitting.save()
    record(
        actor,
        "exam.check_in",
        sitting,
        after={"session": str(s), "documents": documents_shown, "verified_by": sitting.verified_by},
        reason="A20.3" if not documents_shown else "A19.1",
    )
    return sitting


@transaction.atomic
def refuse_entry(actor, sitting: Sitting, *, reason: str, now=None) -> Sitting:
    """A20.2: refuse entry to an applicant who arrives after check-in closes (or other grounds)."""
    authorize(actor, "exam.check_in")
    sitting = _final_sitting(sitting)
    if sitting.status != SittingStatus.EXPECTED:
        raise RuleError(_("Only an applicant who has not checked in can be refused entry."))
    if not reason.strip():
        raise field_error("reason", _("Say why entry is refused."), "A20.2")
    sitting.status = SittingStatus.REFUSED
    sitting.save(update_fields=["status"])
    record(actor, "exam.refuse", sitting, after={"session": str(sitting.session)}, reason=reason)
    return sitting


@transaction.atomic
def mark_no_shows(actor, session: ExamSession, centre: ExamCentre, *, now=None) -> int:
    """A20.4: when the session starts, everyone not checked in is absent, with no extra test."""
    authorize(actor, "exam.check_in")
    now = now or timezone.now()
    if now < _at(session, session.starts_at):
        raise RuleError(
            _("No-shows are marked when the session starts, at %(t)s.")
            % {"t": f"{session.starts_at:%H:%M}"},
            citation="A20.4",
        )
    qs = Sitting.objects.filter(
        session=session,
        assignment__centre=centre,
        status=SittingStatus.EXPECTED,
        assignment__distribution__status=DistributionStatus.FINAL,
    )
    n = qs.update(status=SittingStatus.ABSENT)
    record(
        actor,
        "exam.no_shows",
        session,
        after={"centre": centre.code, "absent": n},
        reason=_("No-show: no right to an extra test (A20.4)"),
        organisation=centre.host,
    )
    return n


# ---------------------------------------------------------------- incidents (A21, A22)


@transaction.atomic
def report_breach(actor, sitting: Sitting, *, category: str, note: str = "", now=None) -> Incident:
    """A21: a breach of A20.6 earns a warning; a repeated breach removes the applicant."""
    authorize(actor, "exam.check_in")
    sitting = _final_sitting(sitting)
    if sitting.status != SittingStatus.CHECKED_IN:
        raise RuleError(
            _("Only an applicant sitting the test can be warned or removed."), citation="A21"
        )
    from .models import BreachCategory

    if category not in BreachCategory.values:
        raise field_error("category", _("Choose the breach from the list (A20.6)."), "A20.6")
    warned = sitting.incidents.filter(kind=IncidentKind.WARNING).exists()
    kind = IncidentKind.REMOVAL if warned else IncidentKind.WARNING
    incident = Incident.objects.create(
        sitting=sitting,
        kind=kind,
        category=category,
        note=note.strip(),
        at=now or timezone.now(),
        by=actor,
    )
    if kind == IncidentKind.REMOVAL:
        sitting.status = SittingStatus.REMOVED
        sitting.save(update_fields=["status"])
    record(
        actor,
        f"exam.{kind}",
        sitting,
        after={"category": category, "note": note.strip()},
        reason="A21",
    )
    return incident


@transaction.atomic
def record_presence(
    actor,
    session: ExamSession,
    centre: ExamCentre,
    *,
    kind: str,
    full_name: str,
    document: str,
    now=None,
) -> Presence:
    """A22: record an observer or pass holder present in the room."""
    authorize(actor, "exam.check_in")
    from .models import PresenceKind

    errors = {}
    if kind not in PresenceKind.values:
        errors["kind"] = [
            _(
                "Only NAEC staff, authorised ministry observers and NAEC pass holders "
                "may be present (A22)."
            )
        ]
    if not full_name.strip():
        errors["full_name"] = [_("Enter the full name.")]
    if not document.strip():
        errors["document"] = [_("Enter the pass or authorisation number (A22).")]
    if session.pk not in {
        s.pk for s in selectors.hosted_sessions(centre, selectors.round_sessions(session.round))
    }:
        errors["__all__"] = [_("This exam centre does not host this session.")]
    if errors:
        raise ValidationError(errors)
    p = Presence.objects.create(
        session=session,
        centre=centre,
        kind=kind,
        full_name=full_name.strip(),
        document=document.strip(),
        at=now or timezone.now(),
        recorded_by=actor,
    )
    record(actor, "exam.presence", p, after={"kind": kind, "name": p.full_name}, reason="A22")
    return p


def new_token() -> str:
    return secrets.token_urlsafe(18)


# ---------------------------------------------------------------- invitations (A17.3)


@transaction.atomic
def start_invitations(actor, distribution: Distribution) -> InvitationJob:
    """A17.3: make the distribution final and create every applicant's invitation.

    Every registered applicant gets an invitation, so a distribution that left anyone unplaced
    cannot be issued. The cards are rendered by the job (``invitations.run_job``).
    """
    authorize(actor, "exams.invitations")
    _lock_round(distribution.round)
    d = Distribution.objects.select_for_update().get(pk=distribution.pk)
    latest = selectors.current_distribution(d.round)
    if latest.pk != d.pk:
        raise RuleError(_("Only the latest distribution can be issued."), citation="A17.3")
    if d.status == DistributionStatus.FINAL:
        raise RuleError(
            _("The invitations of this distribution have already been issued."), citation="A17.3"
        )
    if d.unplaced:
        raise RuleError(
            _(
                "%(n)s applicants have no exam centre: every registered applicant gets "
                "an invitation, so add capacity and re-run the distribution first."
            )
            % {"n": len(d.unplaced)},
            citation="A17.3",
        )
    if solver_inputs(d.round)[-1] != d.inputs_hash:
        raise RuleError(
            _(
                "Registrations, exam centres, sessions or NAEC's numbers changed after "
                "this distribution was run: run it again first."
            ),
            citation="A17.3",
        )
    d.status = DistributionStatus.FINAL
    d.save(update_fields=["status"])
    now = timezone.now()
    r = d.round
    Invitation.objects.bulk_create(
        [
            Invitation(
                registration_id=a.registration_id,
                assignment=a,
                issued_at=now,
                token=new_token(),
                number=f"INV-{r.year}-{r.season[:1].upper()}-{a.registration_id:06d}",
            )
            for a in d.assignments.order_by("registration_id")
        ],
        batch_size=2000,
    )
    job = InvitationJob.objects.create(
        distribution=d, total=d.assignments.count(), started_by=actor
    )
    record(
        actor,
        "invitations.issue",
        d,
        after={"invitations": job.total},
        reason=_("Invitations (A17.3)"),
    )
    return job


STALE_JOB = dt.timedelta(minutes=30)


@transaction.atomic
def resume_invitations(actor, job: InvitationJob) -> InvitationJob:
    """Run a failed (or stalled) invitation job again: the cards are rendered anew and the
    applicants told when it finishes (A17.3). Nothing else about the distribution changes."""
    authorize(actor, "exams.invitations")
    job = InvitationJob.objects.select_for_update().get(pk=job.pk)
    stalled = (
        job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        and (job.started_at or job.distribution.run_at) < timezone.now() - STALE_JOB
    )
    if job.status != JobStatus.FAILED and not stalled:
        raise RuleError(
            _("This job has not failed: it is %(status)s.") % {"status": job.get_status_display()},
            citation="A17.3",
        )
    before = {"status": job.status, "done": job.done, "error": job.error[:200]}
    job.status, job.done, job.error, job.started_by = JobStatus.QUEUED, 0, "", actor
    job.save(update_fields=["status", "done", "error", "started_by"])
    record(
        actor,
        "invitations.resume",
        job.distribution,
        before=before,
        after={"job": job.pk},
        reason=_("Invitations (A17.3)"),
    )
    return job


@transaction.atomic
def finish_invitations(job_id: int) -> InvitationJob:
    """Record the rendered cards and tell every applicant, by email and SMS, on commit."""
    from kari import notify
    from kari.sms import sms_on_commit

    from .invitations import invitations_of, relative_path, site_url

    job = InvitationJob.objects.select_for_update().select_related("distribution").get(pk=job_id)
    invs = list(invitations_of(job).select_related(None).select_related("registration__applicant"))
    for inv in invs:
        inv.pdf.name = relative_path(job, inv.number)
    Invitation.objects.bulk_update(invs, ["pdf"], batch_size=2000)
    job.status, job.done, job.finished_at = JobStatus.DONE, job.total, timezone.now()
    job.save(update_fields=["status", "done", "finished_at"])
    record(
        job.started_by,
        "invitations.rendered",
        job.distribution,
        after={"cards": len(invs)},
        reason=_("Invitations (A17.3)"),
    )
    cabinet = site_url("/cabinet/")
    message = _lazy_invitation_notice()
    for inv in invs:
        person = inv.registration.applicant
        text = notify.bilingual(message, number=inv.number, url=cabinet)
        notify.email_on_commit([person.email], f"Kari: {inv.number}", text)
        sms_on_commit(
            person.phone, notify.bilingual(message, sep=" / ", number=inv.number, url=cabinet)
        )
    return job


def _lazy_reschedule_notice():
    from django.utils.translation import gettext_lazy

    return gettext_lazy(
        "Your test %(test)s is moved to %(when)s (A18.2). Your invitation is updated: %(url)s"
    )


def _lazy_invitation_notice():
    from django.utils.translation import gettext_lazy

    return gettext_lazy(
        "Your exam invitation %(number)s is ready: download it in your cabinet, "
        "%(url)s, and bring it with your ID document (A17.3, A19.1)."
    )
