"""A27.7-A27.8: the subsequent-stage ranking document of an institution.

Georgian A27.7: within 10 days after the subsequent-stage test, the institution head, to
distribute applicants to the subsequent stages, makes the ranking document taking into account
the applicant's score(s) and submits it to the management system (EMIS) for agreement in the
form EMIS sets; EMIS checks its correctness within 5 days of the submission; with EMIS's
consent the head approves the document by an individual administrative act. A27.8: the
document bears the head's seal and signature. A27.9 (ties) applies to the subsequent stage too.

Kari: the institution enters (or uploads) its registrants' scores per programme; Kari orders
them by score with ``kari.allocation`` (places, preferences, the tie rule) and runs its checker;
EMIS's check is automatic (only the stage's registrants, the order by score, the places, ties:
the stored outcome must equal a fresh allocation of the current scores and pass the checker)
plus a reviewer's consent or return with reasons; the head then records the act.
"""

import hashlib
import json
import math
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kari import allocation, workdays
from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.catalogue.models import AnnouncementLine, Institution, Stage, SubsequentSchedule
from kari.errors import RuleError
from kari.ranking.models import (
    Admission,
    Explanation,
    ProgrammeOutcome,
    Ranking,
    RankingStatus,
    SubsequentScore,
)
from kari.registration.models import Choice
from kari.tabular import ImportRejected, RowError

OPEN = (RankingStatus.DRAFT, RankingStatus.RETURNED)


def _schedule(institution, round_) -> SubsequentSchedule:
    s = SubsequentSchedule.objects.filter(institution=institution, round=round_).first()
    if s is None:
        raise RuleError(
            _("The head's act scheduling the subsequent-stage test is not recorded (A18.3)."),
            citation="A27.7",
        )
    return s


def submission_due(institution, round_):
    """A27.7: within 10 days after the subsequent-stage test."""
    return workdays.within_days(_schedule(institution, round_).test_ends, 10)


def review_due(ranking: Ranking):
    """A27.7: EMIS checks the document within 5 days of its submission."""
    return workdays.within_days(timezone.localtime(ranking.submitted_at).date(), 5)


def _choices(institution, round_) -> dict[int, list[int]]:
    """Registration id -> the institution's subsequent-stage programme ids it chose, in order."""
    out: dict[int, list[int]] = {}
    for reg_id, prog_id in (
        Choice.objects.filter(
            registration__round=round_,
            registration__stage=Stage.SUBSEQUENT,
            programme__institution=institution,
            programme__stage=Stage.SUBSEQUENT,
        )
        .order_by("registration_id", "rank")
        .values_list("registration_id", "programme_id")
    ):
        out.setdefault(reg_id, []).append(prog_id)
    return out


@transaction.atomic
def enter_scores(actor, institution: Institution, round_, rows: list[dict]) -> int:
    """The institution's subsequent-stage scores: rows of ``registration`` (id),
    ``programme`` (id) and ``score``; all or nothing; only the stage's registrants for a
    programme they chose (A27.7). A programme's earlier scores are replaced."""
    authorize(actor, "ranking.subsequent", institution.organisation)
    if (
        Ranking.objects.filter(round=round_, institution=institution, stage=Stage.SUBSEQUENT)
        .exclude(status__in=OPEN)
        .exists()
    ):
        raise RuleError(_("The document is submitted: scores can no longer change."))
    chose = _choices(institution, round_)
    errors, clean, seen = [], [], set()
    for line, row in enumerate(rows, start=1):
        reg, prog = row.get("registration"), row.get("programme")
        if prog not in chose.get(reg, []):
            errors.append(
                RowError(
                    line,
                    "registration",
                    _("Not a registrant of this institution's subsequent stage for it."),
                )
            )
            continue
        try:
            score = Decimal(str(row.get("score", "")).strip().replace(",", "."))
        except InvalidOperation:
            errors.append(RowError(line, "score", _("Enter a number.")))
            continue
        if score < 0 or score != score.quantize(Decimal("0.01")):
            errors.append(
                RowError(line, "score", _("A score is a number from 0 with at most 2 decimals."))
            )
            continue
        if (reg, prog) in seen:
            errors.append(RowError(line, "registration", _("This applicant is listed twice.")))
            continue
        seen.add((reg, prog))
        clean.append((reg, prog, score))
    if errors:
        raise ImportRejected(errors)
    now = timezone.now()
    programmes = {p for _r, p, _s in clean}
    SubsequentScore.objects.filter(round=round_, programme_id__in=programmes).delete()
    SubsequentScore.objects.bulk_create(
        SubsequentScore(
            round=round_,
            programme_id=p,
            registration_id=r,
            score=s,
            entered_at=now,
            entered_by=actor,
        )
        for r, p, s in clean
    )
    record(
        actor,
        "ranking.subsequent_scores",
        institution,
        after={"rows": len(clean), "programmes": len(programmes)},
        reason=_("Subsequent-stage scores (A27.7)"),
    )
    return len(clean)


def _instance(institution, round_) -> tuple[dict, dict[int, int]]:
    """The allocation instance of the institution's subsequent stage: places per programme,
    each registrant's choices with their score there (a choice without a score is not ranked)."""
    places = dict(
        AnnouncementLine.objects.filter(
            announcement__round=round_,
            announcement__institution=institution,
            programme__stage=Stage.SUBSEQUENT,
        ).values_list("programme_id", "places")
    )
    scores = {
        (r, p): s
        for r, p, s in SubsequentScore.objects.filter(
            round=round_, programme__institution=institution
        ).values_list("registration_id", "programme_id", "score")
    }
    chose = _choices(institution, round_)
    applicants = []
    for reg, progs in sorted(chose.items()):
        scored = [p for p in progs if (reg, p) in scores]
        if not scored:
            continue
        applicants.append(
            {
                "id": f"R-{reg:06d}",
                "score": 0,
                "preferences": [f"P-{p:06d}" for p in scored],
                "programme_scores": {f"P-{p:06d}": float(scores[reg, p]) for p in scored},
            }
        )
    ids = set(places) | {p for progs in chose.values() for p in progs}
    programmes = [{"id": f"P-{p:06d}", "capacity": places.get(p, 0)} for p in sorted(ids)]
    return {"programmes": programmes, "applicants": applicants}, places


def _solve(doc: dict):
    inst = allocation.parse(doc)
    result = allocation.solve(inst)
    return inst, result


def _pk(ident: str) -> int:
    return int(ident.split("-", 1)[1])


@transaction.atomic
def build_subsequent(actor, institution: Institution, round_) -> Ranking:
    """A27.7: the head's document, ordered by score with the tie rule (A27.9); a draft (or a
    returned one) is replaced."""
    authorize(actor, "ranking.subsequent", institution.organisation)
    _schedule(institution, round_)
    versions = Ranking.objects.select_for_update().filter(
        round=round_, institution=institution, stage=Stage.SUBSEQUENT
    )
    if versions.exclude(status__in=OPEN).exists():
        raise RuleError(_("The document is submitted: it can no longer be rebuilt."))
    versions.delete()
    doc, places = _instance(institution, round_)
    if not doc["applicants"]:
        raise RuleError(_("Enter the registrants' scores first."), field="scores")
    inst, result = _solve(doc)
    problems = allocation.check(inst, result)
    if problems:  # the engine and the checker disagree: never store it
        raise RuntimeError("allocation check failed: " + "; ".join(problems[:5]))
    raw = json.dumps(doc, sort_keys=True).encode()
    ranking = Ranking.objects.create(
        round=round_,
        stage=Stage.SUBSEQUENT,
        institution=institution,
        version=1,
        status=RankingStatus.DRAFT,
        inputs_checksum=hashlib.sha256(raw).hexdigest(),
        built_at=timezone.now(),
        built_by=actor,
        applicants=inst.n_applicants,
    )
    _store(ranking, inst, result, doc, places)
    record(
        actor,
        "ranking.subsequent_build",
        ranking,
        after={"applicants": ranking.applicants, "admitted": ranking.admitted_count},
        reason=_("Subsequent-stage ranking document (A27.7)"),
    )
    return ranking


def _store(ranking, inst, result, doc, places) -> None:
    counts: dict[int, int] = {}
    for a in doc["applicants"]:
        for p in a["preferences"]:
            counts[_pk(p)] = counts.get(_pk(p), 0) + 1
    outcomes = []
    for j, pid in enumerate(inst.programme_ids):
        cutoff = result.cutoff[j]
        outcomes.append(
            ProgrammeOutcome(
                ranking=ranking,
                programme_id=_pk(pid),
                places=places.get(_pk(pid), 0),
                applicants=counts.get(_pk(pid), 0),
                admitted=int(result.admitted[j]),
                cutoff=None if math.isnan(cutoff) else Decimal(repr(float(cutoff))),
                extra_places=int(result.extra_places[j]),
            )
        )
    ProgrammeOutcome.objects.bulk_create(outcomes)
    admissions, explanations = [], []
    for i, aid in enumerate(inst.applicant_ids):
        lo, hi = int(inst.offsets[i]), int(inst.offsets[i + 1])
        j = int(result.assignment[i])
        items = []
        for k in range(int(result.expl_offsets[i]), int(result.expl_offsets[i + 1])):
            p = int(result.expl_programme[k])
            item = {"programme": inst.programme_ids[p]}
            if result.expl_no_places[k]:
                item["reason"] = "no_places"
            else:
                item.update(
                    reason="below_cutoff",
                    cutoff=repr(float(result.expl_cutoff[k])),
                    score=repr(float(result.expl_score[k])),
                )
            items.append(item)
        choice = None
        if j >= 0:
            k = next(k for k in range(lo, hi) if int(inst.prefs[k]) == j)
            choice = k - lo + 1
            score = float(inst.scores[k])
            admissions.append(
                Admission(
                    ranking=ranking,
                    registration_id=_pk(aid),
                    programme_id=_pk(inst.programme_ids[j]),
                    score=Decimal(repr(score)),
                    choice=choice,
                    by_tie_rule=bool(result.extra_places[j]) and score == result.cutoff[j],
                )
            )
        if items:
            explanations.append(
                Explanation(ranking=ranking, registration_id=_pk(aid), choice=choice, items=items)
            )
    Admission.objects.bulk_create(admissions)
    Explanation.objects.bulk_create(explanations)
    ranking.admitted_count = len(admissions)
    ranking.save(update_fields=["admitted_count"])


def check_document(ranking: Ranking) -> list[str]:
    """EMIS's automatic check (A27.7): only the stage's registrants, each for a programme they
    chose; the order by score, the places and the ties: the stored outcome equals a fresh
    allocation of the current scores and passes the independent checker."""
    problems = []
    institution, round_ = ranking.institution, ranking.round
    chose = _choices(institution, round_)
    for reg, prog in ranking.admissions.values_list("registration_id", "programme_id"):
        if prog not in chose.get(reg, []):
            problems.append(
                _("Registration %(r)s is not a registrant of this stage for the programme.")
                % {"r": reg}
            )
    doc, _places = _instance(institution, round_)
    raw = json.dumps(doc, sort_keys=True).encode()
    if hashlib.sha256(raw).hexdigest() != ranking.inputs_checksum:
        problems.append(_("The scores changed after the document was made."))
    inst, result = _solve(doc)
    problems += allocation.check(inst, result)
    fresh = {
        _pk(aid): _pk(inst.programme_ids[j])
        for aid, j in zip(inst.applicant_ids, result.assignment.tolist(), strict=True)
        if j >= 0
    }
    stored = dict(ranking.admissions.values_list("registration_id", "programme_id"))
    if fresh != stored:
        problems.append(_("Those placed are not those the scores, places and ties give."))
    return problems


@transaction.atomic
def submit_subsequent(actor, ranking: Ranking, *, today=None) -> Ranking:
    """A27.7: the head submits the document to EMIS (within 10 days after the test)."""
    authorize(actor, "ranking.subsequent", ranking.institution.organisation)
    ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
    if ranking.status not in OPEN:
        raise RuleError(_("Only a draft or returned document can be submitted."))
    today = today or timezone.localdate()
    due = submission_due(ranking.institution, ranking.round)
    ranking.status, ranking.submitted_at = RankingStatus.SUBMITTED, timezone.now()
    ranking.save(update_fields=["status", "submitted_at"])
    record(
        actor,
        "ranking.subsequent_submit",
        ranking,
        after={"deadline": due.isoformat(), "on_time": today <= due},
        reason=_("Submitted to the management system (A27.7)"),
    )
    return ranking


@transaction.atomic
def review_subsequent(actor, ranking: Ranking, *, agree: bool, reasons: str = "", today=None):
    """A27.7: EMIS checks the submitted document within 5 days: consent (refused while the
    automatic check finds a problem) or return with reasons."""
    authorize(actor, "ranking.subsequent_review", NATIONAL)
    ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
    if ranking.status != RankingStatus.SUBMITTED:
        raise RuleError(_("Only a submitted document is checked."))
    problems = check_document(ranking)
    reasons = reasons.strip()
    if agree and problems:
        raise RuleError(" ".join(problems), citation="A27.7")
    if not agree and not reasons:
        raise RuleError(_("Give the reasons for returning it."), field="reasons")
    today = today or timezone.localdate()
    due = review_due(ranking)
    ranking.status = RankingStatus.AGREED if agree else RankingStatus.RETURNED
    ranking.reviewed_at, ranking.reviewed_by = timezone.now(), actor
    ranking.review_reasons = "" if agree else reasons
    ranking.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_reasons"])
    record(
        actor,
        "ranking.subsequent_review",
        ranking,
        after={
            "agreed": agree,
            "reasons": ranking.review_reasons,
            "deadline": due.isoformat(),
            "on_time": today <= due,
        },
        reason=_("The management system's check (A27.7)"),
    )
    return ranking


@transaction.atomic
def approve_subsequent(actor, ranking: Ranking, *, act_number: str, act_date) -> Ranking:
    """A27.7: with EMIS's consent the head approves the document by an individual act."""
    authorize(actor, "ranking.subsequent", ranking.institution.organisation)
    ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
    if ranking.status != RankingStatus.AGREED:
        raise RuleError(
            _("The management system has not agreed to the document."), citation="A27.7"
        )
    if not act_number.strip() or act_date is None:
        raise RuleError(_("Enter the act's number and date."), field="act_number")
    ranking.status = RankingStatus.APPROVED
    ranking.act_number, ranking.act_date = act_number.strip(), act_date
    ranking.approved_at, ranking.approved_by = timezone.now(), actor
    ranking.save(update_fields=["status", "act_number", "act_date", "approved_at", "approved_by"])
    record(
        actor,
        "ranking.subsequent_approve",
        ranking,
        after={"act": ranking.act_number, "act_date": act_date.isoformat()},
        reason=_("Approved by the head's act (A27.7)"),
    )
    return ranking
