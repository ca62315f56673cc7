"""Shared strategies and a brute-force oracle for the allocation tests (A27.2, A27.9).

Pure Python on the JSON form, independent of both the solver and the checker.
"""

from __future__ import annotations

import itertools
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kari.allocation import check, parse, solve, to_json

settings.register_profile(
    "kari-allocation",
    max_examples=int(os.environ.get("KARI_ALLOCATION_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("kari-allocation")


@st.composite
def instances(draw, max_programmes=5, max_applicants=8, max_capacity=3, max_score=3, max_list=None):
    """Small instances with many ties (scores 0..max_score) and optional programme scores."""
    n_prog = draw(st.integers(1, max_programmes))
    pids = [f"P{i}" for i in range(n_prog)]
    programmes = [{"id": p, "capacity": draw(st.integers(0, max_capacity))} for p in pids]
    applicants = []
    for i in range(draw(st.integers(0, max_applicants))):
        prefs = draw(st.permutations(pids))[: draw(st.integers(0, max_list or n_prog))]
        app = {"id": f"A{i}", "preferences": prefs}
        own = {p: draw(st.integers(0, max_score)) for p in prefs if draw(st.booleans())}
        if own:
            app["programme_scores"] = own
        if draw(st.booleans()) or any(p not in own for p in prefs):
            app["score"] = draw(st.integers(0, max_score))
        applicants.append(app)
    return {"programmes": programmes, "applicants": applicants}


def allocate(data: dict) -> dict:
    """Parse, solve, run the independent checker (must be clean), return result JSON."""
    instance = parse(data)
    result = solve(instance)
    problems = check(instance, result)
    assert problems == [], problems
    return to_json(instance, result)


def score_of(app: dict, programme: str):
    return app.get("programme_scores", {}).get(programme, app.get("score"))


def is_stable(data: dict, assignment: dict) -> bool:
    """Stability under the tie rule, straight from the definitions (A27.2, A27.9).

    Feasible: each applicant only gets a listed programme; a programme's
    admitted set fits its capacity or exceeds it only through a tie at its
    lowest score (fewer than `capacity` admitted score above the lowest).
    Stable: no applicant prefers a programme with a free place, or whose
    lowest admitted score is <= that applicant's score for it.
    """
    apps = {a["id"]: a for a in data["applicants"]}
    admitted = {p["id"]: [] for p in data["programmes"]}
    for aid, pid in assignment.items():
        if pid is not None:
            if pid not in apps[aid]["preferences"]:
                return False
            admitted[pid].append(score_of(apps[aid], pid))
    cap = {p["id"]: p["capacity"] for p in data["programmes"]}
    for pid, scores in admitted.items():
        if len(scores) > cap[pid] and sum(s > min(scores) for s in scores) >= cap[pid]:
            return False
    for aid, app in apps.items():
        prefs = app["preferences"]
        got = assignment[aid]
        for pid in prefs[: prefs.index(got)] if got is not None else prefs:
            scores = admitted[pid]
            if len(scores) < cap[pid] or (scores and min(scores) <= score_of(app, pid)):
                return False
    return True


def all_stable(data: dict) -> list[dict]:
    """Every stable outcome, by enumerating all assignments (tiny instances only)."""
    apps = data["applicants"]
    choices = [[*a["preferences"], None] for a in apps]
    outcomes = []
    for combo in itertools.product(*choices):
        assignment = {a["id"]: pid for a, pid in zip(apps, combo, strict=True)}
        if is_stable(data, assignment):
            outcomes.append(assignment)
    return outcomes


def rank(app: dict, pid: str | None) -> int:
    prefs = app["preferences"]
    return prefs.index(pid) if pid is not None else len(prefs)
