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

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kari import allocation, notify, workdays
from kari.accounts.models import Organisation
from kari.accounts.permissions import NATIONAL, authorize
from kari.accounts.roles import OrgKind
from kari.accounts.signing import identity_for
from kari.audit.log import record
from kari.catalogue.models import (
    AnnouncementLine,
    AnnouncementStatus,
    Institution,
    Stage,
    SubsequentSchedule,
)
from kari.documents import signing as pades
from kari.documents import subsequent as docs
from kari.errors import RuleError
from kari.exams.cards import site_url
from kari.ranking.models import (
    Admission,
    Explanation,
    ProgrammeOutcome,
    Ranking,
    RankingStatus,
    SignedDocument,
    SubsequentScore,
)
from kari.registration.models import Choice, Registration
from kari.rounds.models import Round
from kari.sen import selectors as sen
from kari.tabular import ImportRejected, RowError, TableError, read_table, write_table
from kari.tasks import files

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


def stage_programmes(institution):
    """The institution's subsequent-stage programmes (a queryset, by code)."""
    return institution.programmes.filter(stage=Stage.SUBSEQUENT).order_by("code")


def registrants(institution, round_) -> list[dict]:
    """The stage's registrants per programme, for the scores page and the template file:
    ``{"programme": p, "rows": [{"registration", "personal_number", "name", "score"}]}`` with
    the score entered so far (or None), by last name."""
    scores = {
        (r, p): s
        for r, p, s in SubsequentScore.objects.filter(
            round=round_, programme__institution=institution
        ).values_list("registration_id", "programme_id", "score")
    }
    by_programme: dict[int, list[dict]] = {}
    for c in (
        Choice.objects.filter(
            registration__round=round_,
            registration__stage=Stage.SUBSEQUENT,
            programme__institution=institution,
            programme__stage=Stage.SUBSEQUENT,
        )
        .select_related("registration__applicant")
        .order_by("registration__applicant__last_name_ka", "registration__applicant__first_name_ka")
    ):
        person = c.registration.applicant
        by_programme.setdefault(c.programme_id, []).append(
            {
                "registration": c.registration_id,
                "personal_number": person.personal_number,
                "first_name": person.first_name_ka,
                "last_name": person.last_name_ka,
                "score": scores.get((c.registration_id, c.programme_id)),
            }
        )
    return [
        {"programme": p, "rows": by_programme.get(p.pk, [])} for p in stage_programmes(institution)
    ]


@transaction.atomic
def enter_scores(
    actor, institution: Institution, round_, rows: list[dict], *, programmes=()
) -> int:
    """The institution's subsequent-stage scores: rows of ``registration`` (id),
    ``programme`` (id) and ``score`` (and the file's ``line``, for an upload); all or nothing;
    only the stage's registrants for a programme they chose (A27.7). The earlier scores of the
    programmes in the rows, and of ``programmes`` (a page that cleared them all), are
    replaced."""
    authorize(actor, "ranking.subsequent", institution.organisation)
    if (
        Ranking.objects.filter(round=round_, institution=institution, stage=Stage.SUBSEQUENT)
        .exclude(status__in=OPEN)
        .exists()
    ):
        raise RuleError(_("The document is submitted: scores can no longer change."))
    chose = _choices(institution, round_)
    errors, clean, seen = [], [], set()
    for n, row in enumerate(rows, start=1):
        line = row.get("line", n)
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
    mine = set(stage_programmes(institution).values_list("pk", flat=True))
    programmes = {p for _r, p, _s in clean} | {p for p in programmes if p in mine}
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


COLUMNS = ["programme_code", "personal_number", "last_name", "first_name", "score"]
REQUIRED = ("programme_code", "personal_number", "score")


def template_csv(institution, round_) -> bytes:
    """The file to fill in: one row per registrant and programme, scores so far."""
    rows = [
        [
            group["programme"].code,
            r["personal_number"],
            r["last_name"],
            r["first_name"],
            "" if r["score"] is None else f"{r['score']:f}",
        ]
        for group in registrants(institution, round_)
        for r in group["rows"]
    ]
    return write_table(COLUMNS, rows, "csv")


@transaction.atomic
def import_scores(actor, institution: Institution, round_, data: bytes, fmt: str) -> int:
    """A27.7 by upload: columns ``programme_code``, ``personal_number``, ``score`` (the names
    may be there too; a blank score is a registrant not ranked); all or nothing, each refused
    row named with its line and column. The file replaces the scores of the programmes it
    lists."""
    authorize(actor, "ranking.subsequent", institution.organisation)
    try:
        headers, table = read_table(data, fmt)
    except TableError as exc:
        raise ImportRejected([RowError(0, "file", str(exc))]) from exc
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise ImportRejected(
            [RowError(1, c, _("The file has no column with this name.")) for c in missing]
        )
    if not table:
        raise ImportRejected([RowError(0, "file", _("The file has no rows."))])
    programmes = {p.code: p.pk for p in stage_programmes(institution)}
    regs = dict(
        Registration.objects.filter(round=round_, stage=Stage.SUBSEQUENT).values_list(
            "applicant__personal_number", "pk"
        )
    )
    errors, rows, mentioned = [], [], set()
    for line, row in table:
        code = (row.get("programme_code") or "").strip()
        pn = (row.get("personal_number") or "").strip()
        if pn.isdigit() and len(pn) < 11:
            pn = pn.zfill(11)
        if code not in programmes:
            errors.append(
                RowError(
                    line,
                    "programme_code",
                    _("“%(code)s” is not a subsequent-stage programme of this institution.")
                    % {"code": code},
                )
            )
        elif pn not in regs:
            errors.append(
                RowError(
                    line,
                    "personal_number",
                    _("No applicant with this number registered for the subsequent stage."),
                )
            )
        elif not (row.get("score") or "").strip():
            mentioned.add(programmes[code])  # a blank score: not ranked (did not sit)
        else:
            mentioned.add(programmes[code])
            rows.append(
                {
                    "line": line,
                    "registration": regs[pn],
                    "programme": programmes[code],
                    "score": row.get("score") or "",
                }
            )
    try:
        n = (
            enter_scores(actor, institution, round_, rows, programmes=mentioned)
            if not errors
            else 0
        )
    except ImportRejected as exc:
        errors += exc.errors
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line)[:200])
    return n


@transaction.atomic
def start_scores_import(actor, institution: Institution, round_, data: bytes, name: str, back=""):
    """The upload becomes a job of the queue (``kari worker``); its page shows the outcome:
    the scores taken in, or every refused row."""
    authorize(actor, "ranking.subsequent", institution.organisation)
    return files.start(
        actor,
        scores_import_job,
        params={"institution": institution.pk, "round": round_.pk},
        upload=data,
        name=name,
        back=back,
    )


@files.file_job
def scores_import_job(actor, job) -> files.Outcome:
    institution = Institution.objects.get(pk=job.params["institution"])
    round_ = Round.objects.get(pk=job.params["round"])
    fmt = "xlsx" if job.upload_name.lower().endswith(".xlsx") else "csv"
    try:
        n = import_scores(actor, institution, round_, bytes(job.upload), fmt)
    except ImportRejected as exc:
        return files.Outcome(errors=files.refused_rows(exc.errors))
    return files.Outcome(message=_("%(n)s scores taken in.") % {"n": n})


def _instance(institution, round_) -> tuple[dict, dict[int, int]]:
    """The allocation instance of the institution's subsequent stage: places per programme,
    each registrant's choices with their score there (a choice without a score is not ranked).

    The places are a confirmed announcement's (A13.5) net of the SEN enrolments of the
    minister's act for the subsequent stage (A13.2: the reserve is on both stages; A40.8), and
    an applicant the act placed is not ranked again (nobody is placed twice)."""
    sen_enrolled = sen.enrolled(round_, Stage.SUBSEQUENT)
    places = {
        programme: max(0, n - sen_enrolled.get(programme, 0))
        for programme, n in AnnouncementLine.objects.filter(
            announcement__round=round_,
            announcement__institution=institution,
            announcement__status=AnnouncementStatus.CONFIRMED,
            programme__stage=Stage.SUBSEQUENT,
        ).values_list("programme_id", "places")
    }
    placed = sen.placed_applicants(round_, Stage.SUBSEQUENT)
    skip = (
        set(
            Registration.objects.filter(
                round=round_, stage=Stage.SUBSEQUENT, applicant_id__in=placed
            ).values_list("pk", flat=True)
        )
        if placed
        else set()
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
        if reg in skip:
            continue
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
    doc, _places = _instance(ranking.institution, ranking.round)
    if hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest() != (
        ranking.inputs_checksum
    ):
        raise RuleError(
            _("The scores changed after the draft was made: make the draft again."),
            field="scores",
        )
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
    subject = _("Kari: a subsequent-stage ranking document to check")
    body = _(
        "%(institution)s submitted its subsequent-stage ranking document of %(round)s. Check it "
        "by %(due)s (A27.7) on the subsequent-stage ranking documents page."
    ) % {
        "institution": ranking.institution.organisation.name,
        "round": ranking.round,
        "due": review_due(ranking).strftime("%d.%m.%Y"),
    }
    for org in Organisation.objects.filter(kind=OrgKind.EMIS):
        notify.notify_organisation(org, subject, body)
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
    if agree:
        body = _(
            "The management system agreed to your subsequent-stage ranking document of "
            "%(round)s. Approve it by your act on the subsequent-stage ranking page."
        ) % {"round": ranking.round}
    else:
        body = _(
            "The management system returned your subsequent-stage ranking document of "
            "%(round)s. Its reasons: %(reasons)s"
        ) % {"round": ranking.round, "reasons": ranking.review_reasons}
    notify.notify_organisation(
        ranking.institution.organisation,
        _("Kari: the management system checked your ranking document"),
        body,
    )
    return ranking


@transaction.atomic
def approve_subsequent(actor, ranking: Ranking, *, act_number: str, act_date) -> Ranking:
    """A27.7: with EMIS's consent the head approves the document by an individual act;
    A27.8: each programme's part is signed with the institution's key (PAdES) and sent to the
    management system; the institution and EMIS download it."""
    authorize(actor, "ranking.subsequent", ranking.institution.organisation)
    ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
    if ranking.status != RankingStatus.AGREED:
        raise RuleError(
            _("The management system has not agreed to the document."), citation="A27.7"
        )
    if not act_number.strip():
        raise RuleError(_("Enter the act's number."), field="act_number")
    if act_date is None:
        raise RuleError(_("Enter the act's date."), field="act_date")
    agreed_on = timezone.localtime(ranking.reviewed_at).date()
    if act_date < agreed_on or act_date > timezone.localdate():
        raise RuleError(
            _("The act is dated between the management system's consent (%(d)s) and today.")
            % {"d": agreed_on.strftime("%d.%m.%Y")},
            field="act_date",
        )
    ranking.status = RankingStatus.APPROVED
    ranking.act_number, ranking.act_date = act_number.strip(), act_date
    ranking.approved_at, ranking.approved_by = timezone.now(), actor
    ranking.save(update_fields=["status", "act_number", "act_date", "approved_at", "approved_by"])
    signed = _sign(actor, ranking)
    record(
        actor,
        "ranking.subsequent_approve",
        ranking,
        after={
            "act": ranking.act_number,
            "act_date": act_date.isoformat(),
            "documents": dict(signed),
        },
        reason=_("Approved by the head's act (A27.7)"),
    )
    subject = _("Kari: a subsequent-stage ranking document is approved")
    body = _(
        "%(institution)s approved its subsequent-stage ranking document of %(round)s by act "
        "№ %(act)s. The signed lists are on the subsequent-stage ranking page."
    ) % {
        "institution": ranking.institution.organisation.name,
        "round": ranking.round,
        "act": ranking.act_number,
    }
    for org in Organisation.objects.filter(kind=OrgKind.EMIS):
        notify.notify_organisation(org, subject, body)
    return ranking


REASON = "A27.7-A27.8 რანჟირების დოკუმენტი / ranking document (subsequent stage)"
CHECK_SALT = "kari.ranking.subsequent"


def check_token(document: SignedDocument) -> str:
    """The token of a signed list's check page (its QR code): the ranking and the programme,
    signed with the site's key, so nobody can guess another's."""
    return signing.Signer(salt=CHECK_SALT).sign(f"{document.ranking_id}-{document.programme_id}")


def document_for_token(token: str) -> SignedDocument | None:
    try:
        ranking_id, programme_id = signing.Signer(salt=CHECK_SALT).unsign(token).split("-")
    except (signing.BadSignature, ValueError):
        return None
    return (
        SignedDocument.objects.filter(ranking_id=ranking_id, programme_id=programme_id)
        .select_related("ranking__institution__organisation", "ranking__round", "programme")
        .defer("content")
        .first()
    )


def _number(d: Decimal | None) -> str:
    return "—" if d is None else f"{d.normalize():f}"


def _sign(actor, ranking: Ranking) -> list[tuple[str, str]]:
    """Render and sign every programme's part (the institution's key); stored with the
    ranking, replacing none (an approved document is never rebuilt)."""
    organisation = ranking.institution.organisation
    schedule = _schedule(ranking.institution, ranking.round)
    identity = identity_for(organisation)
    # A27.8: the head's signature: the head recorded for the institution, not whoever clicked
    # (an institution admin acting for the head) unless no head is recorded.
    head = ranking.institution.head_name or getattr(actor, "display_name", "") or str(actor)
    admitted: dict[int, list] = {}
    for a in ranking.admissions.select_related("registration__applicant").order_by(
        "programme_id", "-score", "registration__applicant__last_name_ka"
    ):
        person = a.registration.applicant
        admitted.setdefault(a.programme_id, []).append(
            docs.RankedApplicant(
                personal_number=person.personal_number,
                name=f"{person.last_name_ka} {person.first_name_ka}",
                score=_number(a.score),
                choice=a.choice,
                by_tie_rule=a.by_tie_rule,
            )
        )
    now = timezone.now()
    out = []
    for o in ranking.programmes.select_related("programme"):
        doc = SignedDocument(
            ranking=ranking,
            kind=SignedDocument.Kind.PROGRAMME,
            programme=o.programme,
            content=b"",
            sha256="",
            signed_at=now,
        )
        sheet = docs.SubsequentSheet(
            round_label=str(ranking.round),
            institution=organisation.name_ka,
            head=head,
            programme_code=o.programme.code,
            programme_name=o.programme.name_ka,
            test_dates=f"{schedule.test_starts:%d.%m.%Y} – {schedule.test_ends:%d.%m.%Y}",
            places=o.places,
            applicants=o.applicants,
            cutoff=_number(o.cutoff),
            extra_places=o.extra_places,
            agreed_on=timezone.localtime(ranking.reviewed_at).date(),
            act_number=ranking.act_number,
            act_date=ranking.act_date,
            admitted=admitted.get(o.programme_id, []),
            verify_url=site_url(reverse("ranking:subsequent_check", args=[check_token(doc)])),
        )
        pdf = pades.sign_pdf(docs.render_subsequent(sheet), identity, reason=REASON)
        doc.content, doc.sha256 = pdf, hashlib.sha256(pdf).hexdigest()
        doc.save()
        out.append((o.programme.code, doc.sha256))
    ranking.documents_sent_at = now
    ranking.save(update_fields=["documents_sent_at"])
    return out


# ---------------------------------------------------------------- reads for the pages


def current(institution, round_) -> Ranking | None:
    """The institution's subsequent-stage document of the round (the one version kept)."""
    return (
        Ranking.objects.filter(round=round_, institution=institution, stage=Stage.SUBSEQUENT)
        .select_related("reviewed_by", "approved_by", "built_by")
        .first()
    )


def _card(what: str, due, citation: str = "A27.7") -> dict:
    today = timezone.localdate()
    return {
        "d": {"what": what, "citation": citation, "date": due},
        "past": due < today,
        "days_left": (due - today).days,
    }


def head_deadlines(institution, round_) -> list[dict]:
    """The head's card: the document is due at EMIS 10 days after the stage's test, until it
    is submitted; then EMIS's 5 days while it is checked."""
    if institution is None or round_ is None:
        return []
    if not SubsequentSchedule.objects.filter(institution=institution, round=round_).exists():
        return []
    ranking = current(institution, round_)
    if ranking is None or ranking.status in OPEN:
        return [
            _card(
                _("Submit the subsequent-stage ranking document to the management system"),
                submission_due(institution, round_),
            )
        ]
    if ranking.status == RankingStatus.SUBMITTED:
        return [_card(_("The management system checks the document"), review_due(ranking))]
    return []


def review_deadlines(limit: int = 5) -> list[dict]:
    """EMIS's card: the submitted documents waiting for the check, the earliest due first."""
    waiting = Ranking.objects.filter(
        stage=Stage.SUBSEQUENT, status=RankingStatus.SUBMITTED
    ).select_related("institution__organisation")
    cards = [
        _card(
            _("Check the subsequent-stage ranking document of %(institution)s")
            % {"institution": r.institution.organisation.name},
            review_due(r),
        )
        for r in waiting
    ]
    return sorted(cards, key=lambda c: c["d"]["date"])[:limit]
