"""The checks at the end of a simulated round (issue 20): each looks at what Kari stored, not at
what the simulation meant to do, and names every problem it finds.

- conservation: every applicant accounted for at every stage, no one lost or counted twice;
- the law: the stored ranking recomputed from its stored inputs by the independent allocation
  checker (stable, applicant-optimal under the tie rule, A27.2, A27.9, A27.10);
- extra places only from ties; SEN placements within the reserve;
- deadlines: every lateness injected on purpose is stamped late, and nothing else is;
- the audit: the hash chain verifies, and every applicant's state changes are in it.
"""

from collections import Counter

import numpy as np

from kari import allocation
from kari.allocation.explain import explanation_arrays
from kari.allocation.solver import Result
from kari.audit.log import verify
from kari.audit.models import AuditEntry
from kari.enrolment.models import Enrolment
from kari.enrolment.models import Status as EnrolmentStatus
from kari.exams.models import (
    Handover,
    Incident,
    Invitation,
    ResultImport,
    Sitting,
    SittingStatus,
)
from kari.exams.models import (
    Result as TestResult,
)
from kari.ranking.models import Admission, FinalLists, ProgrammeOutcome
from kari.ranking.services import document_of
from kari.ranking.services.lists import reg_id
from kari.ranking.services.rankings import instance_bytes
from kari.registration.models import Registration

MAX = 10


def _check(name: str, problems: list[str], detail: str) -> dict:
    return {
        "name": name,
        "ok": not problems,
        "detail": detail
        if not problems
        else f"{len(problems)} problem(s): " + "; ".join(problems[:MAX]),
        "problems": problems[:100],
    }


def run_all(sim) -> list[dict]:
    return [
        conservation(sim),
        law(sim),
        extra_places_from_ties(sim),
        sen_within_reserve(sim),
        placed_once(sim),
        deadlines(sim),
        audit_chain(),
        audit_coverage(sim),
    ]


# ---------------------------------------------------------------- conservation


def conservation(sim) -> dict:
    r = sim.round
    problems: list[str] = []
    registered = set(
        Registration.objects.filter(round=r, stage="primary").values_list("pk", flat=True)
    )
    meant = {p.registration_id for p in sim.people}
    if len(meant) != sim.applicants or None in meant:
        problems.append(
            f"{sim.applicants - len(meant - {None})} simulated applicants have no registration"
        )
    if registered != meant - {None}:
        problems.append(
            f"registrations stored {len(registered)}, registered by the simulation {len(meant)}"
        )
    invited_list = list(
        Invitation.objects.filter(registration__round=r).values_list("registration_id", flat=True)
    )
    invited = set(invited_list)
    if len(invited_list) != len(invited):
        problems.append("an applicant has two invitations")
    carriers = {p.registration_id for p in sim.people if p.carried}
    if registered - invited != carriers:
        problems.append(
            f"not invited {len(registered - invited)}, but {len(carriers)} carry scores without "
            "sitting the test (A28.1)"
        )
    imp = ResultImport.objects.filter(round=r, current=True).first()
    results = dict(
        TestResult.objects.filter(result_import=imp).values_list("registration_id", "status")
    )
    if set(results) != invited:
        problems.append(
            f"results for {len(results)} applicants, {len(invited)} invited: "
            f"{len(invited - set(results))} without a result, {len(set(results) - invited)} "
            "with a result but no invitation"
        )
    by_status = Counter(results.values())
    sen_regs, sen_flow = _sen_conservation(sim, problems)
    lists = FinalLists.objects.filter(round=r, current=True).first()
    doc = document_of(lists) if lists else {"applicants": [], "excluded": {}}
    ranked = {a["registration"] for a in doc["applicants"]}
    sat = {k for k, v in results.items() if v == "completed"}
    rankable = (sat | carriers) - sen_regs  # placed by the SEN act: not ranked again
    if ranked != rankable:
        problems.append(
            f"ranked {len(ranked)}, but {len(sat)} completed the test and {len(carriers)} carry "
            f"scores, {len((sat | carriers) & sen_regs)} of them placed by the SEN act: "
            f"{len(rankable - ranked)} lost, {len(ranked - rankable)} extra"
        )
    excluded = doc.get("excluded", {})
    # those the SEN act placed are left out before the statuses are counted (A26.3)
    unplaced = Counter(v for k, v in results.items() if k not in sen_regs)
    for status in ("absent", "removed", "not_finished"):
        if excluded.get(status, 0) != unplaced.get(status, 0):
            problems.append(
                f"final lists exclude {excluded.get(status, 0)} {status}, results say "
                f"{unplaced.get(status, 0)} (besides those placed by the SEN act)"
            )
    ranking = sim.ranking
    admitted_list = (
        list(Admission.objects.filter(ranking=ranking).values_list("registration_id", flat=True))
        if ranking
        else []
    )
    admitted = set(admitted_list)
    if len(admitted_list) != len(admitted):
        problems.append("an applicant is admitted twice")
    for reg in sorted(admitted - ranked)[:MAX]:
        problems.append(f"registration {reg} admitted but not in the final lists")
    placements = _enrolment_rows(r)
    enrolled_regs = Counter(reg for reg, _s, _p in placements)
    placed = admitted | sen_regs
    if set(enrolled_regs) != placed or any(n > 1 for n in enrolled_regs.values()):
        problems.append(
            f"{len(placements)} enrolment placements for {len(admitted)} admitted applicants and "
            f"{len(sen_regs)} placed by the SEN act"
        )
    from_act = {reg for reg, _s, p in placements if p}
    if from_act != sen_regs:
        problems.append(
            f"{len(from_act)} enrolment placements opened from the SEN act, "
            f"{len(sen_regs)} applicants placed by it (A41)"
        )
    status = {reg: st for reg, st, _p in placements}
    expect = {
        EnrolmentStatus.DECLINED: {p.registration_id for p in sim.people if p.declines},
        EnrolmentStatus.LAPSED: {p.registration_id for p in sim.people if p.lapses},
    }
    for s, meant_regs in expect.items():
        got = {reg for reg, st in status.items() if st == s}
        if got != meant_regs & placed:
            problems.append(f"{len(got)} {s}, the simulation meant {len(meant_regs & placed)}")
    others = Counter(
        st for reg, st in status.items() if st not in (EnrolmentStatus.ENROLLED, *expect)
    )
    if others:
        problems.append(f"placements left open: {dict(others)}")
    flow = {
        "registered": len(registered),
        "invited": len(invited),
        "carried, not invited": len(registered - invited),
        **{f"result {k}": v for k, v in sorted(by_status.items())},
        **sen_flow,
        "ranked": len(ranked),
        "admitted": len(admitted),
        "not admitted": len(ranked - admitted),
        **{f"placement {k}": v for k, v in sorted(Counter(status.values()).items())},
    }
    sim.flow = flow
    return _check(
        "conservation",
        problems,
        " → ".join(f"{k} {v}" for k, v in flow.items()),
    )


def _sen_regs(round_) -> set[int]:
    """The general registrations of the applicants the minister's published act placed."""
    from kari.sen.selectors import placed_applicants

    return set(
        Registration.objects.filter(
            round=round_, stage="primary", applicant_id__in=placed_applicants(round_)
        ).values_list("pk", flat=True)
    )


def _enrolment_rows(round_) -> list[tuple[int | None, str, int | None]]:
    """(general registration, status, SEN placement) per enrolment placement. A placement of
    the minister's SEN act hangs on the act's placement, not on a general registration (A41):
    it is counted under the applicant's general registration in the round, if any."""
    general = dict(
        Registration.objects.filter(round=round_, stage="primary").values_list("applicant_id", "pk")
    )
    return [
        (reg if reg is not None else general.get(applicant), st, placement)
        for reg, applicant, st, placement in Enrolment.objects.filter(round=round_).values_list(
            "registration_id", "applicant_id", "status", "sen_placement"
        )
    ]


def _sen_conservation(sim, problems: list[str]) -> tuple[set[int], dict]:
    """The SEN track's own flow: SEN applicants → registered → hosted → trialled → placed /
    not; each placed applicant's general registration (the enrolment hangs on it)."""
    from kari.sen.models import Placement, SenRegistration, Trial

    r = sim.round
    meant = {sp.registration_id for sp in sim.sen.people} if sim.sen else set()
    regs = dict(
        SenRegistration.objects.filter(round=r, stage="primary").values_list("pk", "host_id")
    )
    if set(regs) != meant:
        problems.append(
            f"SEN registrations stored {len(regs)}, registered by the simulation {len(meant)}"
        )
    unhosted = [pk for pk, host in regs.items() if host is None]
    if unhosted:
        problems.append(f"{len(unhosted)} SEN applicants without a host (A39.1)")
    trialled = set(
        Trial.objects.filter(registration__round=r).values_list("registration_id", flat=True)
    )
    if trialled != set(regs):
        problems.append(f"{len(set(regs) - trialled)} SEN applicants without a trial (A40.2)")
    placed_list = list(
        Placement.objects.filter(act__round=r, act__published_at__isnull=False).values_list(
            "registration_id", flat=True
        )
    )
    if len(placed_list) != len(set(placed_list)):
        problems.append("a SEN applicant is placed twice by the minister's acts")
    sen_regs = _sen_regs(r)
    if len(sen_regs) != len(set(placed_list)):
        problems.append(
            f"{len(set(placed_list))} placed by the SEN act, {len(sen_regs)} of them with a "
            "general registration to enrol on"
        )
    flow = {
        "SEN registered": len(regs),
        "SEN trialled": len(trialled),
        "SEN placed by the act": len(set(placed_list)),
        "SEN not placed": len(set(regs) - set(placed_list)),
    }
    return sen_regs, flow


# ---------------------------------------------------------------- the law


def stored_result(ranking, instance) -> tuple[Result, list[str]]:
    """The allocation result as stored (admissions, per-programme figures), in the engine's
    arrays, with the explanations recomputed from it."""
    problems = []
    apps = {a: i for i, a in enumerate(instance.applicant_ids)}
    progs = {p: j for j, p in enumerate(instance.programme_ids)}
    assignment = np.full(len(apps), -1, dtype=np.int32)
    for reg, code in Admission.objects.filter(ranking=ranking).values_list(
        "registration_id", "programme__code"
    ):
        i, j = apps.get(reg_id(reg)), progs.get(code)
        if i is None or j is None:
            problems.append(f"admission of {reg_id(reg)} to {code} is not in the stored inputs")
            continue
        assignment[i] = j
    admitted = np.zeros(len(progs), dtype=np.int64)
    cutoff = np.full(len(progs), np.nan)
    extra = np.zeros(len(progs), dtype=np.int64)
    for code, n, c, e in ProgrammeOutcome.objects.filter(ranking=ranking).values_list(
        "programme__code", "admitted", "cutoff", "extra_places"
    ):
        j = progs.get(code)
        if j is None:
            continue
        admitted[j], extra[j] = n, e
        cutoff[j] = np.nan if c is None else float(c)
    offsets = instance.offsets
    pos = offsets[1:].copy()
    for i in np.flatnonzero(assignment >= 0):
        row = instance.prefs[offsets[i] : offsets[i + 1]]
        hit = np.flatnonzero(row == assignment[i])
        if hit.size:
            pos[i] = offsets[i] + hit[0]
    expl = explanation_arrays(instance, pos, cutoff)
    return Result(assignment, admitted, cutoff, extra, *expl), problems


def law(sim) -> dict:
    """A27.2, A27.9, A27.10: the independent checker on the stored outcome, recomputed from the
    stored inputs (the frozen final lists under the recorded formula)."""
    ranking = sim.ranking
    if ranking is None:
        return _check("law (allocation checker)", ["no ranking was built"], "")
    instance = allocation.loads(instance_bytes(ranking))
    result, problems = stored_result(ranking, instance)
    problems += allocation.check(instance, result)
    return _check(
        "law (allocation checker)",
        problems,
        f"{len(instance.applicant_ids)} applicants, {len(instance.programme_ids)} programmes: "
        "stable, applicant-optimal under the tie rule",
    )


def extra_places_from_ties(sim) -> dict:
    """A27.9: a programme admits beyond its places only through applicants tied at the
    cut-off, and every place beyond is counted (A27.10)."""
    problems = []
    ranking = sim.ranking
    outcomes = list(ProgrammeOutcome.objects.filter(ranking=ranking).select_related("programme"))
    extra_total = 0
    for o in outcomes:
        adm = list(
            Admission.objects.filter(ranking=ranking, programme=o.programme).values_list(
                "score", "by_tie_rule"
            )
        )
        if len(adm) != o.admitted:
            problems.append(
                f"{o.programme.code}: {len(adm)} admitted, the outcome says {o.admitted}"
            )
        beyond = max(0, len(adm) - o.places)
        extra_total += beyond
        if beyond != o.extra_places:
            problems.append(
                f"{o.programme.code}: {beyond} beyond its places, {o.extra_places} recorded"
            )
        if beyond:
            low = min(s for s, _t in adm)
            above = sum(1 for s, _t in adm if s > low)
            if above >= o.places:
                problems.append(f"{o.programme.code}: over its places without a tie at the cut-off")
            if any(t and s != low for s, t in adm) or not any(t for s, t in adm):
                problems.append(f"{o.programme.code}: tie-rule admissions not at the cut-off")
    return _check(
        "extra places only from ties",
        problems,
        f"{extra_total} extra places in {sum(1 for o in outcomes if o.extra_places)} programmes, "
        "all from ties at the cut-off",
    )


def sen_within_reserve(sim) -> dict:
    """A40.8: the ministerial commission places SEN applicants within each programme's reserved
    places (A13.2); A26.3: the final lists carry the places net of exactly those SEN
    enrolments; A12.1(a): the act is issued by the third day after the test ends, and before
    the final lists are frozen."""
    from kari.catalogue.models import AnnouncementLine, AnnouncementStatus
    from kari.rounds.deadlines import deadline
    from kari.sen.models import Act, Placement

    r = sim.round
    problems: list[str] = []
    reserve = dict(
        AnnouncementLine.objects.filter(
            announcement__round=r, announcement__status=AnnouncementStatus.CONFIRMED
        ).values_list("programme__code", "sen_places")
    )
    placed = Counter(
        Placement.objects.filter(act__round=r, act__published_at__isnull=False).values_list(
            "programme__code", flat=True
        )
    )
    for code, n in sorted(placed.items()):
        if n > reserve.get(code, 0):
            problems.append(
                f"{code}: {n} SEN placements, reserve {reserve.get(code, 0)} (beyond the reserve, "
                "A40.8)"
            )
    lists = FinalLists.objects.filter(round=r, current=True).first()
    doc = document_of(lists) if lists else {"programmes": []}
    for p in doc["programmes"]:
        got = int(p.get("sen_enrolled", 0))
        if got != placed.get(p["code"], 0):
            problems.append(
                f"{p['code']}: the final lists count {got} SEN enrolments, the act places "
                f"{placed.get(p['code'], 0)} (A26.3)"
            )
        if int(p["capacity"]) != max(0, int(p["places"]) - got):
            problems.append(f"{p['code']}: capacity {p['capacity']} is not the places net of SEN")
    acts = list(Act.objects.filter(round=r))
    if not acts or any(a.published_at is None for a in acts):
        problems.append("the minister's SEN act is not issued (A40.9)")
    due = deadline(r, "sen_enrolments").date
    for a in acts:
        if a.issued_on and a.issued_on > due:
            problems.append(f"act {a.number}: issued {a.issued_on}, after A12.1(a)'s {due}")
        if lists and a.published_at and a.published_at > lists.frozen_at:
            problems.append(f"act {a.number}: published after the final lists were frozen")
    total = sum(placed.values())
    return _check(
        "SEN within the reserve",
        problems,
        f"{total} SEN placements in {len(placed)} programmes, each within its reserve "
        f"({sum(reserve.get(c, 0) for c in placed)} reserved there); the final lists count "
        "them and net them from the places; the act before the final lists",
    )


def placed_once(sim) -> dict:
    """Nobody placed twice: an applicant the SEN act placed is not admitted by the ranking
    (docs/decisions.md), and every applicant has at most one enrolment placement."""
    problems: list[str] = []
    sen_regs = _sen_regs(sim.round)
    admitted = set(
        Admission.objects.filter(ranking=sim.ranking).values_list("registration_id", flat=True)
    )
    for reg in sorted(sen_regs & admitted)[:MAX]:
        problems.append(f"registration {reg}: placed by the SEN act and admitted by the ranking")
    twice = [
        reg
        for reg, n in Counter(reg for reg, _s, _p in _enrolment_rows(sim.round)).items()
        if n > 1
    ]
    for reg in sorted(twice)[:MAX]:
        problems.append(f"registration {reg}: two enrolment placements")
    return _check(
        "nobody placed twice",
        problems,
        f"{len(sen_regs)} placed by the SEN act, none of them admitted by the ranking; one "
        "enrolment placement per applicant",
    )


# ---------------------------------------------------------------- deadlines


MODEL_STAMPED = ("handover.", "results.import", "ranking.freeze")


def stamped_late(round_) -> tuple[set, list[str]]:
    """(key, object id) of everything Kari stamped late: the records' own stamps, and the
    audit log's for acts that keep their stamp only there; and where the two disagree."""
    stamped, problems = set(), []
    for h in Handover.objects.filter(round=round_, on_time=False):
        stamped.add((f"handover.{h.kind}", h.pk))
    for imp in ResultImport.objects.filter(round=round_, on_time=False):
        stamped.add(("results.import", imp.pk))
    for fl in FinalLists.objects.filter(round=round_, on_time=False):
        stamped.add(("ranking.freeze", fl.pk))
    from kari.appeals.models import Complaint

    for c in Complaint.objects.filter(sitting__session__round=round_, received_late=True):
        stamped.add(("complaint.receive", c.pk))
    for e in Enrolment.objects.filter(round=round_, entry_late=True):
        stamped.add(("enrolment.entry", e.pk))
    for action, object_id, after in AuditEntry.objects.filter(after__isnull=False).values_list(
        "action", "object_id", "after"
    ):
        if not isinstance(after, dict):
            continue
        late = after.get("on_time") is False or after.get("late") is True
        key = (action, int(object_id)) if object_id.isdigit() else (action, object_id)
        if action.startswith(MODEL_STAMPED):
            if late and key not in stamped:
                problems.append(f"{action} {object_id}: late in the audit log, on time on record")
            continue
        if late:
            stamped.add(key)
    return stamped, problems


def deadlines(sim) -> dict:
    """Every lateness the simulation injected on purpose is stamped late, and no other act is:
    every other statutory deadline was met."""
    stamped, problems = stamped_late(sim.round)
    injected = {(kind, pk) for kind, pk, _citation in sim.injected_late}
    for kind, pk in sorted(injected - stamped, key=str):
        problems.append(f"injected lateness not stamped late: {kind} {pk}")
    for kind, pk in sorted(stamped - injected, key=str):
        problems.append(f"stamped late but not injected (a deadline missed): {kind} {pk}")
    return _check(
        "deadlines",
        problems,
        f"{len(injected)} injected late acts all stamped late "
        f"({', '.join(sorted(k for k, _p in injected))}); every other deadline met",
    )


# ---------------------------------------------------------------- the audit


def audit_chain() -> dict:
    """`kari audit verify`: the hash chain and the signed heads of the round's witness file."""
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    problems = [f"entry {p.seq}: {p.message}" for p in verify()]
    try:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as exc:
        problems.append(f"kari audit verify: {exc}")
    n = AuditEntry.objects.count()
    return _check("audit verify", problems, f"kari audit verify: {n} entries, hash chain intact")


def audit_coverage(sim) -> dict:
    """Every state change of every applicant is in the log: registrations and their changes,
    check-in, warnings and removals, no-shows, complaints, enrolment steps."""
    r = sim.round
    problems: list[str] = []
    entries = Counter(
        AuditEntry.objects.filter(
            object_type__in=[
                "registration.registration",
                "exams.sitting",
                "appeals.complaint",
                "enrolment.enrolment",
                "sen.senregistration",
                "sen.assessment",
                "sen.trial",
            ]
        ).values_list("object_type", "object_id", "action")
    )
    by_object: dict = {}
    for (otype, oid, action), n in entries.items():
        by_object.setdefault((otype, oid), Counter())[action] += n
    for pk, version in Registration.objects.filter(round=r).values_list("pk", "version"):
        got = by_object.get(("registration.registration", str(pk)), Counter())
        if got["registration.create"] != 1:
            problems.append(f"registration {pk}: its creation is not in the log")
        if got["registration.create"] + got["registration.change"] < version:
            problems.append(f"registration {pk}: {version} versions, fewer entries in the log")
    sittings = Sitting.objects.filter(session__round=r)
    for pk in sittings.filter(checked_in_at__isnull=False).values_list("pk", flat=True):
        if not by_object.get(("exams.sitting", str(pk)), Counter())["exam.check_in"]:
            problems.append(f"sitting {pk}: check-in not in the log")
    for sitting_id, kind in Incident.objects.filter(sitting__session__round=r).values_list(
        "sitting_id", "kind"
    ):
        if not by_object.get(("exams.sitting", str(sitting_id)), Counter())[f"exam.{kind}"]:
            problems.append(f"sitting {sitting_id}: {kind} not in the log")
    absent = sittings.filter(status=SittingStatus.ABSENT).count()
    logged = sum(
        (a or {}).get("absent", 0)
        for a in AuditEntry.objects.filter(action="exam.no_shows").values_list("after", flat=True)
    )
    if logged != absent:
        problems.append(f"{absent} no-shows, {logged} in the log")
    for c in sim.complaints:
        if not by_object.get(("appeals.complaint", str(c.pk))):
            problems.append(f"complaint {c.pk}: not in the log")
    expected = {
        EnrolmentStatus.ENROLLED: "enrolment.contract",
        EnrolmentStatus.DECLINED: "enrolment.close",
        EnrolmentStatus.LAPSED: "enrolment.close",
    }
    for pk, status in Enrolment.objects.filter(round=r).values_list("pk", "status"):
        action = expected.get(status)
        if action and not by_object.get(("enrolment.enrolment", str(pk)), Counter())[action]:
            problems.append(f"enrolment {pk} ({status}): {action} not in the log")
    problems += _sen_coverage(r, by_object)
    return _check(
        "every state change in the log",
        problems,
        "registrations, versions, check-ins, incidents, no-shows, complaints, enrolment steps; "
        "SEN conclusions, registrations, documents, status, hosts, trials",
    )


def _sen_coverage(r, by_object: dict) -> list[str]:
    from kari.sen.models import Assessment, Document, SenRegistration, Trial

    problems = []
    for pk, version, status, host in SenRegistration.objects.filter(round=r).values_list(
        "pk", "version", "status", "host_id"
    ):
        got = by_object.get(("sen.senregistration", str(pk)), Counter())
        if got["sen.registered"] != 1:
            problems.append(f"SEN registration {pk}: its creation is not in the log")
        if got["sen.registered"] + got["sen.changed"] < version:
            problems.append(f"SEN registration {pk}: {version} versions, fewer entries in the log")
        if status != "pending" and not got["sen.status"]:
            problems.append(f"SEN registration {pk}: its status ({status}) not in the log")
        if host and not got["sen.host"]:
            problems.append(f"SEN registration {pk}: its host not in the log")
    documents = Counter(
        (a or {}).get("document")
        for a in AuditEntry.objects.filter(action="sen.document_received").values_list(
            "after", flat=True
        )
    )
    for pk, reg in Document.objects.filter(registration__round=r).values_list(
        "pk", "registration_id"
    ):
        if not documents[pk]:
            problems.append(f"SEN registration {reg}: document {pk} received, not in the log")
    for pk in Assessment.objects.exclude(concluded_on=None).values_list("pk", flat=True):
        if not by_object.get(("sen.assessment", str(pk)), Counter())["sen.conclusion_issued"]:
            problems.append(f"SEN conclusion {pk}: its issue not in the log")
    for pk in Trial.objects.filter(registration__round=r).values_list("pk", flat=True):
        if not by_object.get(("sen.trial", str(pk)), Counter())["sen.trial_scored"]:
            problems.append(f"SEN trial {pk}: its scores not in the log")
    return problems
