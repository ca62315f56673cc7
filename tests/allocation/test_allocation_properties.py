"""Property tests of the allocation engine (A27.2, A27.9, A27.10) with hypothesis."""

from __future__ import annotations

import json
import warnings

import numpy as np
from alloc_support import PROFILE, all_stable, allocate, instances, is_stable, rank
from hypothesis import given
from hypothesis import strategies as st

from kari.allocation import Instance, check, parse, solve


@PROFILE
@given(instances())
def test_A27_2_result_is_stable_and_checker_agrees(data):
    out = allocate(data)  # runs the independent checker
    assert is_stable(data, out["assignments"])


@PROFILE
@given(instances(max_score=1, max_capacity=2))
def test_A27_9_over_capacity_only_through_ties_at_cutoff(data):
    out = allocate(data)
    apps = {a["id"]: a for a in data["applicants"]}
    for prog in data["programmes"]:
        pid, cap = prog["id"], prog["capacity"]
        got = [
            apps[a].get("programme_scores", {}).get(pid, apps[a].get("score"))
            for a, p in out["assignments"].items()
            if p == pid
        ]
        figures = out["programmes"][pid]
        assert figures["admitted"] == len(got)
        assert figures["cutoff"] == (min(got) if got else None)
        assert figures["extra_places"] == max(0, len(got) - cap)  # A27.10
        if len(got) > cap:
            assert sum(s > min(got) for s in got) < cap
        if cap == 0:
            assert got == []


@PROFILE
@given(instances(), st.randoms(use_true_random=False))
def test_A27_2_order_invariance(data, rnd):
    shuffled = json.loads(json.dumps(data))
    rnd.shuffle(shuffled["programmes"])
    rnd.shuffle(shuffled["applicants"])
    for app in shuffled["applicants"]:
        if "programme_scores" in app:
            items = list(app["programme_scores"].items())
            rnd.shuffle(items)
            app["programme_scores"] = dict(items)
    assert json.dumps(allocate(shuffled)) == json.dumps(allocate(data))


@PROFILE
@given(instances(), st.randoms(use_true_random=False))
def test_A27_2_engine_itself_ignores_processing_order(data, rnd):
    """Bypass the id sort: the solver on raw permuted arrays gives the same matching."""
    instance = parse(data)
    n_app, n_prog = instance.n_applicants, instance.n_programmes
    a_perm = list(range(n_app))
    p_perm = list(range(n_prog))
    rnd.shuffle(a_perm)
    rnd.shuffle(p_perm)
    rename = np.empty(n_prog, dtype=np.int32)
    rename[p_perm] = np.arange(n_prog, dtype=np.int32)  # old index -> new position
    rows = [
        (
            instance.prefs[instance.offsets[a] : instance.offsets[a + 1]],
            instance.scores[instance.offsets[a] : instance.offsets[a + 1]],
        )
        for a in a_perm
    ]
    lengths = [len(r[0]) for r in rows]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    prefs = np.concatenate([rename[r[0]] for r in rows] + [np.empty(0, np.int32)]).astype(np.int32)
    scores = np.concatenate([r[1] for r in rows] + [np.empty(0)]).astype(np.float64)
    permuted = Instance(
        applicant_ids=[instance.applicant_ids[a] for a in a_perm],
        programme_ids=[instance.programme_ids[p] for p in p_perm],
        capacity=instance.capacity[p_perm],
        offsets=offsets,
        prefs=prefs,
        scores=scores,
    )
    result = solve(permuted)
    assert check(permuted, result) == []
    base = solve(instance)

    def mapping(inst, res):
        return {
            inst.applicant_ids[a]: (inst.programme_ids[p] if p >= 0 else None)
            for a, p in enumerate(res.assignment.tolist())
        }

    assert mapping(permuted, result) == mapping(instance, base)


@PROFILE
@given(instances())
def test_A27_2_deterministic(data):
    assert json.dumps(allocate(data)) == json.dumps(allocate(data))


@PROFILE
@given(instances(max_programmes=3, max_applicants=5, max_capacity=2, max_score=2))
def test_A27_2_A27_9_applicant_optimal_among_all_stable_outcomes(data):
    out = allocate(data)
    stable = all_stable(data)
    assert out["assignments"] in stable
    apps = {a["id"]: a for a in data["applicants"]}
    for other in stable:
        for aid, app in apps.items():
            assert rank(app, out["assignments"][aid]) <= rank(app, other[aid])


@st.composite
def strict_instances(draw):
    """No ties: every programme sees distinct scores (programme scores or common)."""
    n_prog = draw(st.integers(1, 5))
    n_app = draw(st.integers(1, 12))
    pids = [f"P{i}" for i in range(n_prog)]
    common = draw(st.permutations(range(n_app)))
    per_prog = {p: draw(st.permutations(range(100, 100 + n_app))) for p in pids}
    applicants = []
    for i in range(n_app):
        prefs = draw(st.permutations(pids))[: draw(st.integers(1, n_prog))]
        app = {"id": f"A{i}", "score": common[i], "preferences": prefs}
        own = {p: per_prog[p][i] for p in prefs if draw(st.booleans())}
        if own and draw(st.booleans()):
            app["programme_scores"] = own
        applicants.append(app)
    programmes = [{"id": p, "capacity": draw(st.integers(1, 4))} for p in pids]
    return {"programmes": programmes, "applicants": applicants}


@PROFILE
@given(strict_instances())
def test_A27_2_agrees_with_matching_package_without_ties(data):
    from matching.games import HospitalResident

    apps = {a["id"]: a for a in data["applicants"]}

    def score(aid, pid):
        return apps[aid].get("programme_scores", {}).get(pid, apps[aid]["score"])

    resident_prefs = {aid: list(a["preferences"]) for aid, a in apps.items()}
    hospital_prefs = {
        p["id"]: sorted(
            (aid for aid, a in apps.items() if p["id"] in a["preferences"]),
            key=lambda aid, pid=p["id"]: -score(aid, pid),
        )
        for p in data["programmes"]
    }
    capacities = {p["id"]: p["capacity"] for p in data["programmes"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
        matched = game.solve(optimal="resident")
    theirs = dict.fromkeys(apps)
    for hospital, residents in matched.items():
        for resident in residents:
            theirs[resident.name] = hospital.name
    out = allocate(data)
    assert out["assignments"] == theirs
    assert all(f["extra_places"] == 0 for f in out["programmes"].values())
