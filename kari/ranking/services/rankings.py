"""A27.1-A27.4, A27.9, A27.10: the ranking built from the final lists, approved by NAEC.

The build reads the current final lists and NAEC's formula, builds the ``kari allocate``
instance (``kari.ranking.compute``), runs the engine and the independent checker, and stores
the outcome. A re-run before approval replaces the draft; after approval a new build is a
correction: a new version with its reason, the approved one kept until the correction is
approved (then superseded).
"""

import hashlib
import logging
import time
from collections.abc import Callable

import msgspec
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import JSONField, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from kari import notify, workdays
from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.catalogue.models import Programme, Stage
from kari.catalogue.services import record_next_intake_adjustments
from kari.errors import RuleError
from kari.outbox import delivery as outbox
from kari.outbox.models import Channel
from kari.ranking import compute
from kari.ranking.models import (
    Admission,
    BuildJob,
    Explanation,
    FinalLists,
    Formula,
    ProgrammeOutcome,
    Ranking,
    RankingStatus,
)
from kari.registration.models import Registration, ScoreRecord
from kari.registration.services import record_outcomes
from kari.rounds.models import Round
from kari.tasks.errors import connection_lost

from .lists import document_of

log = logging.getLogger(__name__)

PHASES = ["read", "instance", "allocate", "check", "store"]
Progress = Callable[[str, int, int], None]


def current_lists(round_) -> FinalLists | None:
    return FinalLists.objects.filter(round=round_, stage=Stage.PRIMARY, current=True).first()


def formula_of(round_) -> dict:
    """NAEC's formula for the round, or the default (test score; weights 1; no minimum)."""
    f = Formula.objects.filter(round=round_).first()
    return f.as_dict() if f else dict(compute.DEFAULT_FORMULA)


def inputs_checksum(lists: FinalLists, formula: dict) -> str:
    return hashlib.sha256(lists.checksum.encode() + compute.canonical(formula)).hexdigest()


def approval_due(lists: FinalLists):
    """A27.1: NAEC approves within 7 days of receiving the final lists."""
    return workdays.within_days(timezone.localtime(lists.frozen_at).date(), 7)


@transaction.atomic
def record_formula(actor, round_, data: dict) -> Formula:
    """NAEC's act setting the round's competitive-score formula (A27.2-A27.4)."""
    authorize(actor, "ranking.formula", NATIONAL)
    if Ranking.objects.filter(round=round_, status=RankingStatus.APPROVED).exists():
        raise RuleError(
            _("The ranking is approved; a new formula needs a correction."), citation="A27.1"
        )
    before = None
    f = Formula.objects.filter(round=round_).first()
    if f is not None:
        before = f.as_dict()
    else:
        f = Formula(round=round_)
    for key in ("act_number", "act_date", "test_weight", "competition_weight", "minimum"):
        if key in data:
            setattr(f, key, data[key])
    if not (f.act_number or "").strip():
        raise RuleError(_("Enter the act's number."), field="act_number")
    if f.act_date is None:
        raise RuleError(_("Enter the act's date."), field="act_date")
    f.recorded_at, f.recorded_by = timezone.now(), actor
    f.save()
    record(actor, "ranking.formula", f, before=before, after=f.as_dict())
    return f


def build_ranking(
    actor,
    round_,
    *,
    reason: str = "",
    progress: Progress | None = None,
    job_id: int | None = None,
) -> Ranking:
    """Build the ranking of the round's current final lists (A27.1); see the module docstring.

    The computation runs outside the transaction (so a progress callback can report it); the
    outcome is stored in one transaction, with the end of the job ``job_id`` when a job runs
    it."""
    authorize(actor, "ranking.build", NATIONAL)
    step = progress or (lambda phase, done, total: None)
    lists = current_lists(round_)
    if lists is None:
        raise RuleError(_("The final lists are not frozen yet."), citation="A26.3")
    approved = Ranking.objects.filter(
        round=round_, stage=Stage.PRIMARY, institution=None, status=RankingStatus.APPROVED
    ).first()
    if approved is not None and not reason.strip():
        raise RuleError(
            _("The ranking is approved: a correction needs its reason (an appeal, a court)."),
            field="reason",
            citation="A27.1",
        )
    timings: dict[str, float] = {}
    t = time.perf_counter()
    step("read", 0, len(PHASES))
    document = document_of(lists)
    formula = formula_of(round_)
    timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    step("instance", 1, len(PHASES))
    instance = compute.build_instance(document, formula)
    timings["instance"] = time.perf_counter() - t
    t = time.perf_counter()
    step("allocate", 2, len(PHASES))
    outcome = compute.allocate(document, instance)
    timings["allocate"] = time.perf_counter() - t
    timings.update({f"  {k}": v for k, v in outcome.timings.items()})
    step("check", 3, len(PHASES))
    if outcome.problems:
        raise RuleError(
            _("The independent check of the allocation failed: %(p)s")
            % {"p": "; ".join(outcome.problems[:5])},
            citation="A27.2",
        )
    t = time.perf_counter()
    step("store", 4, len(PHASES))
    ranking = _store(actor, round_, lists, formula, document, outcome, reason=reason, job_id=job_id)
    timings["store"] = time.perf_counter() - t
    step("done", len(PHASES), len(PHASES))
    ranking.timings = timings
    return ranking


def outcome_checksum(outcome: compute.Outcome) -> str:
    data = {
        "admitted": {
            k: [v[0], v[1], compute.number(v[2]), v[3]] for k, v in outcome.admitted.items()
        },
        "programmes": {
            k: [v["admitted"], None if v["cutoff"] is None else compute.number(v["cutoff"])]
            + [v["extra_places"], v["beyond_limit"]]
            for k, v in outcome.programmes.items()
        },
    }
    return hashlib.sha256(compute.canonical(data)).hexdigest()


@transaction.atomic
def _store(actor, round_, lists, formula, document, outcome, *, reason, job_id=None) -> Ranking:
    Round.objects.select_for_update().get(pk=round_.pk)
    if job_id is not None:
        job = BuildJob.objects.select_for_update().get(pk=job_id)
        if job.status == "done" and job.ranking_id:  # stored by an earlier run of the job
            return job.ranking
    mine = Ranking.objects.filter(round=round_, stage=Stage.PRIMARY, institution=None)
    drafts = list(mine.filter(status=RankingStatus.DRAFT))
    replaced = [d.version for d in drafts]
    for d in drafts:  # a re-run before approval replaces the draft
        d.delete()
    version = (mine.aggregate(v=Max("version"))["v"] or 0) + 1
    ranking = Ranking.objects.create(
        round=round_,
        stage=Stage.PRIMARY,
        version=version,
        final_lists=lists,
        inputs_checksum=inputs_checksum(lists, formula),
        outcome_checksum=outcome_checksum(outcome),
        formula=formula,
        built_at=timezone.now(),
        built_by=actor,
        reason=reason.strip(),
        applicants=len(document["applicants"]),
        admitted_count=len(outcome.admitted),
    )
    programme_pk = dict(
        Programme.objects.filter(code__in=list(outcome.programmes)).values_list("code", "pk")
    )
    limits = {p["code"]: p.get("annual_limit") for p in document["programmes"]}
    _insert(
        ProgrammeOutcome,
        [
            "ranking_id",
            "programme_id",
            "places",
            "annual_limit",
            "applicants",
            "admitted",
            "cutoff",
            "extra_places",
            "beyond_limit",
        ],
        (
            (
                ranking.pk,
                programme_pk[code],
                o["capacity"],
                limits.get(code),
                o["applicants"],
                o["admitted"],
                o["cutoff"],
                o["extra_places"],
                o["beyond_limit"],
            )
            for code, o in outcome.programmes.items()
        ),
    )
    registration_of = {a["id"]: a["registration"] for a in document["applicants"]}
    _insert(
        Admission,
        ["ranking_id", "registration_id", "programme_id", "score", "choice", "by_tie_rule"],
        (
            (ranking.pk, registration_of[app], programme_pk[code], score, choice, tie)
            for app, (code, choice, score, tie) in outcome.admitted.items()
        ),
    )
    _insert(
        Explanation,
        ["ranking_id", "registration_id", "choice", "items"],
        (
            (ranking.pk, registration_of[app], choice, _Json(items))
            for app, (choice, items) in outcome.explanations.items()
            if items or choice is None  # admitted to the first choice: nothing to explain
        ),
    )
    extra = sum(o["extra_places"] for o in outcome.programmes.values())
    record(
        actor,
        "ranking.build",
        ranking,
        before={"replaces_drafts": replaced} if replaced else None,
        after={
            "version": version,
            "final_lists": lists.number,
            "inputs_checksum": ranking.inputs_checksum,
            "outcome_checksum": ranking.outcome_checksum,
            "applicants": ranking.applicants,
            "admitted": ranking.admitted_count,
            "extra_places": extra,
            "formula": formula,
        },
        reason=reason.strip() or _("Ranking built (A27.1)"),
    )
    if job_id is not None:
        BuildJob.objects.filter(pk=job_id).update(
            status="done", ranking=ranking, finished_at=timezone.now(), done=len(PHASES)
        )
    return ranking


class _Json(list):
    """A JSON value for ``_insert`` (a list of explanation items)."""


def _insert(model, columns: list[str], rows) -> None:
    """Insert many rows in the open transaction: COPY on PostgreSQL (a national ranking stores
    about 200,000 rows), ``bulk_create`` elsewhere."""
    if connection.vendor == "postgresql":
        names = ", ".join(model._meta.get_field(c.removesuffix("_id")).column for c in columns)
        sql = f"COPY {model._meta.db_table} ({names}) FROM STDIN"
        json_at = [
            k
            for k, c in enumerate(columns)
            if isinstance(model._meta.get_field(c.removesuffix("_id")), JSONField)
        ]
        with connection.cursor() as c, c.cursor.copy(sql) as copy:
            write = copy.write_row
            if not json_at:
                for row in rows:
                    write(row)
                return
            encode = msgspec.json.encode
            for row in rows:
                row = list(row)
                for k in json_at:
                    row[k] = encode(row[k]).decode()
                write(row)
        return
    objs = (
        model(
            **{
                c: (list(v) if isinstance(v, _Json) else v)
                for c, v in zip(columns, row, strict=True)
            }
        )
        for row in rows
    )
    model.objects.bulk_create(objs, batch_size=5000)


# ---------------------------------------------------------------- the build, a task of the queue


@transaction.atomic
def start_build(actor, round_, *, reason: str = "") -> BuildJob:
    """Queue a build (A27.1): the job row and its task (run by ``kari worker``) commit
    together; the page follows the job's progress."""
    authorize(actor, "ranking.build", NATIONAL)
    Round.objects.select_for_update().get(pk=round_.pk)
    if BuildJob.objects.filter(round=round_, status__in=("queued", "running")).exists():
        raise RuleError(_("A build of this round is already running."))
    if current_lists(round_) is None:
        raise RuleError(_("The final lists are not frozen yet."), citation="A26.3")
    job = BuildJob.objects.create(
        round=round_,
        started_at=timezone.now(),
        started_by=actor,
        total=len(PHASES),
        reason=reason.strip(),
    )
    record(actor, "ranking.build_started", job, after={"round": str(round_)}, reason=reason)
    build_task.enqueue(job.pk)
    return job


@task()
def build_task(job_id: int) -> None:
    """The queue's task: run the build job (idempotent: a finished job is left alone)."""
    run_build_job(job_id)


def fail_job(job_id: int, exc: Exception) -> None:
    """Record a job's failure for its page; a lost database connection is no failure: the
    job stays running and the worker puts its task back in the queue."""
    if connection_lost(exc):
        log.warning("build job %s interrupted: the database connection is lost", job_id)
        return
    message = "; ".join(getattr(exc, "messages", None) or [str(exc)])
    BuildJob.objects.filter(pk=job_id).update(
        status="failed", error=message[:2000], finished_at=timezone.now()
    )


def run_build_job(job_id: int) -> BuildJob:
    """Run a queued build. Idempotent and resumable: the computation is deterministic and
    the outcome is stored together with the job's end in one transaction (``_store``), so a
    worker killed (or a connection cut) midway leaves nothing stored and the queue runs the job
    again from its inputs; a finished job is left as it is."""
    job = BuildJob.objects.select_related("round", "started_by").get(pk=job_id)
    if not job.is_active:
        return job
    BuildJob.objects.filter(pk=job_id).update(status="running")

    def progress(phase: str, done: int, total: int) -> None:
        BuildJob.objects.filter(pk=job_id).update(phase=phase, done=done, total=total)

    try:
        build_ranking(
            job.started_by, job.round, reason=job.reason, progress=progress, job_id=job_id
        )
    except ValidationError as exc:  # a rule refused it: the page says why
        fail_job(job_id, exc)
    except Exception as exc:
        fail_job(job_id, exc)
        raise
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------- approval (A27.1, A27.10)

OUTCOME_SUBJECT = gettext_lazy("Kari: your admission result (%(round)s)")
OUTCOME_BODY = gettext_lazy(
    "The ranking of %(round)s is approved. See your result and its explanation in your cabinet."
)
CHANGED_BODY = gettext_lazy(
    "The ranking of %(round)s was corrected (%(reason)s) and your result changed. "
    "See it in your cabinet."
)


@transaction.atomic
def approve_ranking(actor, ranking: Ranking, *, today=None) -> Ranking:
    """A27.1: NAEC approves the draft within 7 days of receiving the final lists. A correction
    supersedes the version in force; applicants whose outcome changes are told. A27.10: places
    the tie rule added beyond the annual limit go to the catalogue's next-intake adjustments."""
    authorize(actor, "ranking.approve", NATIONAL)
    ranking = (
        Ranking.objects.select_for_update(of=("self",))
        .select_related("final_lists")
        .get(pk=ranking.pk)
    )
    if ranking.status != RankingStatus.DRAFT:
        raise RuleError(_("Only a draft ranking can be approved."), field="status")
    lists = current_lists(ranking.round)
    if (
        lists is None
        or inputs_checksum(lists, formula_of(ranking.round)) != ranking.inputs_checksum
    ):
        raise RuleError(
            _("The final lists or the formula changed after this build: build it again."),
            citation="A26.3",
        )
    today = today or timezone.localdate()
    due = approval_due(ranking.final_lists)
    previous = (
        Ranking.objects.select_for_update()
        .filter(
            round=ranking.round,
            stage=ranking.stage,
            institution=ranking.institution,
            status=RankingStatus.APPROVED,
        )
        .first()
    )
    if previous is not None:
        previous.status = RankingStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    ranking.status = RankingStatus.APPROVED
    ranking.approved_at = timezone.now()
    ranking.approved_by = actor
    ranking.save(update_fields=["status", "approved_at", "approved_by"])
    reductions = {
        o.programme: o.beyond_limit
        for o in ranking.programmes.filter(beyond_limit__gt=0).select_related("programme")
    }
    if reductions or previous is not None:
        record_next_intake_adjustments(actor, ranking.round, reductions)
    _record_outcomes(actor, ranking)
    late = today > due
    record(
        actor,
        "ranking.approve",
        ranking,
        before={"supersedes": previous.version} if previous else None,
        after={
            "version": ranking.version,
            "deadline": due.isoformat(),
            "on_time": not late,
            "next_intake_reductions": {p.code: n for p, n in reductions.items()},
        },
        reason=ranking.reason or _("Ranking approved (A27.1)"),
    )
    _notify(ranking, previous)
    return ranking


def _record_outcomes(actor, ranking: Ranking) -> None:
    """A28.1: each ranked applicant's score record says whether this ranking gave a place, so
    that one left without a place may carry the scores into the next round."""
    if ranking.institution_id is not None or ranking.stage != Stage.PRIMARY:
        return
    admitted = set(ranking.admissions.values_list("registration_id", flat=True))
    ranked = {a["registration"] for a in document_of(ranking.final_lists)["applicants"]}
    with_records = ScoreRecord.objects.filter(
        registration__round=ranking.round, registration_id__in=list(ranked)
    ).values_list("registration_id", flat=True)
    outcome = {reg_id: reg_id in admitted for reg_id in with_records}
    if outcome:
        record_outcomes(actor, ranking.round, outcome)


def _outcomes(ranking: Ranking) -> dict[int, int | None]:
    return dict(ranking.admissions.values_list("registration_id", "programme_id"))


def _notify(ranking: Ranking, previous: Ranking | None) -> None:
    now = _outcomes(ranking)
    if previous is None:
        told = set(now) | set(ranking.explanations.values_list("registration_id", flat=True))
        body = OUTCOME_BODY
    else:
        before = _outcomes(previous)
        told = {
            r
            for r in set(now)
            | set(before)
            | set(ranking.explanations.values_list("registration_id", flat=True))
            if now.get(r) != before.get(r)
        }
        body = CHANGED_BODY
    values = {"round": ranking.round, "reason": ranking.reason}
    subject = notify.bilingual(OUTCOME_SUBJECT, sep=" / ", **values)
    text = notify.bilingual(body, **values)
    # One email and one SMS per applicant told, written in bulk (a national approval tells
    # about 100,000 applicants); the worker delivers them.
    people = Registration.objects.filter(pk__in=told).values_list(
        "applicant__email", "applicant__phone"
    )
    outbox.enqueue_many(
        message
        for email, phone in people.iterator(chunk_size=5000)
        for message in (
            (Channel.EMAIL, [email], text, subject),
            (Channel.SMS, phone, text, ""),
        )
    )


def instance_bytes(ranking: Ranking) -> bytes:
    """The ``kari allocate`` instance a ranking was built from (its final lists under its
    formula): running ``kari allocate`` on it gives the stored outcome."""
    document = document_of(ranking.final_lists)
    return compute.build_instance(document, ranking.formula).json_bytes()
