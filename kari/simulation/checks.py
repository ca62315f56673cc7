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
    lists = FinalLists.objects.filter(round=r, current=True).first()
    doc = document_of(lists) if lists else {"applicants": [], "excluded": {}}
    ranked = {a["registration"] for a in doc["applicants"]}
    sat = {k for k, v in results.items() if v == "completed"}
    if ranked != sat | carriers:
        problems.append(
            f"ranked {len(ranked)}, but {len(sat)} completed the test and {len(carriers)} carry "
            f"scores: {len((sat | carriers) - ranked)} lost, {len(ranked - (sat | carriers))} extra"
        )
    excluded = doc.get("excluded", {})
    for status in ("absent", "removed", "not_finished"):
        if excluded.get(status, 0) != by_status.get(status, 0):
            problems.append(
                f"final lists exclude {excluded.get(status, 0)} {status}, results say "
                f"{by_status.get(status, 0)}"
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
    placements = list(Enrolment.objects.filter(round=r).values_list("registration_id", "status"))
    enrolled_regs = Counter(reg for reg, _s in placements)
    if set(enrolled_regs) != admitted or any(n > 1 for n in enrolled_regs.values()):
        problems.append(
            f"{len(placements)} enrolment placements for {len(admitted)} admitted applicants"
        )
    status = dict(placements)
    expect = {
        EnrolmentStatus.DECLINED: {p.registration_id for p in sim.people if p.declines},
        EnrolmentStatus.LAPSED: {p.registration_id for p in sim.people if p.lapses},
    }
    for s, meant_regs in expect.items():
        got = {reg for reg, st in status.items() if st == s}
        if got != meant_regs & admitted:
            problems.append(f"{len(got)} {s}, the simulation meant {len(meant_regs & admitted)}")
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
    """A40: SEN placements within each programme's reserve; with no SEN track on main the
    check says so instead of passing silently."""
    if "sen" in sim.missing:
        return {
            "name": "SEN within the reserve",
            "ok": True,
            "detail": "not checked: " + sim.missing["sen"],
            "problems": [],
            "skipped": True,
        }
    from kari.catalogue.models import AnnouncementLine

    lists = FinalLists.objects.filter(round=sim.round, current=True).first()
    doc = document_of(lists)
    reserve = dict(
        AnnouncementLine.objects.filter(announcement__round=sim.round).values_list(
            "programme__code", "sen_places"
        )
    )
    problems = [
        f"{p['code']}: {p['sen_enrolled']} SEN placements, reserve {reserve.get(p['code'], 0)}"
        for p in doc["programmes"]
        if int(p.get("sen_enrolled", 0)) > reserve.get(p["code"], 0)
    ]
    return _check("SEN within the reserve", problems, "every SEN placement within its reserve")


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
    return _check(
        "every state change in the log",
        problems,
        "registrations, versions, check-ins, incidents, no-shows, complaints, enrolment steps",
    )
