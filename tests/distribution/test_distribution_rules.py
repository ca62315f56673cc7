"""Unit tests of the exam-centre distribution (A17.2, A15.8, A12.3(e))."""

from __future__ import annotations

import json
import math

import pytest
from dist_support import brute_force

from kari.distribution import (
    Candidate,
    Centre,
    DistributionError,
    Reason,
    Session,
    SolverError,
    Unplaced,
    bucket,
    check,
    distance_matrix,
    distribute,
    figures,
)

# Along the parallel 42 N: "near" is about 8 km from "home", "far" about 83 km.
COORDS = {"home": (42.0, 44.0), "near": (42.0, 44.1), "far": (42.0, 45.0), "away": (42.0, 46.0)}
X, Y = "skills:mechanical", "subject:georgian"
SESSIONS = [Session(1, X), Session(2, X), Session(3, X), Session(4, Y)]
ALL = (1, 2, 3, 4)


def km(a, b):
    names, m = distance_matrix(COORDS)
    return float(m[names.index(a), names.index(b)])


def people(n, muni="home", items=(X,), adapted=False, start=1):
    return [Candidate(start + i, muni, adapted, items) for i in range(n)]


def run(cands, centres, sessions=SESSIONS):
    plan = distribute(cands, centres, sessions, COORDS)
    assert check(plan, cands, centres, sessions, COORDS) == []
    return plan


def test_A15_8_A17_2_preferred_municipality_kept_when_capacity_allows():
    cands = people(3) + people(2, "near", start=10)
    centres = [Centre(1, "home", 1, False, ALL), Centre(2, "near", 10, False, ALL)]
    plan = run(cands, centres)
    assert plan.unplaced == {}
    assert {k: p.centre for k, p in plan.placements.items()} == {1: 1, 2: 1, 3: 1, 10: 2, 11: 2}
    assert plan.stats.preferred == 5
    assert plan.stats.total_distance_km == 0.0
    assert plan.stats.histogram["0"] == 5


def test_A17_2_overflow_goes_to_the_nearest_centre():
    cands = people(5)  # X has 3 sessions at "home": 3 x 1 seat
    centres = [
        Centre(1, "home", 1, False, ALL),
        Centre(2, "far", 50, False, ALL),
        Centre(3, "near", 50, False, ALL),
    ]
    plan = run(cands, centres)
    got = {k: p.centre for k, p in plan.placements.items()}
    # the lowest keys of a group go to the nearest centre first
    assert got == {1: 1, 2: 1, 3: 1, 4: 3, 5: 3}
    assert plan.placements[4].distance_km == km("home", "near")
    assert not plan.placements[4].preferred
    assert plan.stats.preferred == 3
    assert plan.stats.total_distance_km == pytest.approx(2 * km("home", "near"))
    assert plan.stats.histogram == {
        "0": 3,
        "0-10": 2,
        "10-25": 0,
        "25-50": 0,
        "50-100": 0,
        ">100": 0,
    }


def test_A15_8_overflow_of_one_municipality_does_not_displace_another_when_cheaper_not_to():
    # "near" residents stay at their own centre; "home" overflow goes further ("south",
    # not in line with the others: with collinear points displacing would tie).
    coords = {**COORDS, "south": (41.6, 44.05)}
    sessions = [Session(1, X)]
    cands = people(2, "home") + people(1, "near", start=10)
    centres = [Centre(1, "near", 1, False, (1,)), Centre(2, "south", 5, False, (1,))]
    plan = distribute(cands, centres, sessions, coords)
    assert check(plan, cands, centres, sessions, coords) == []
    assert plan.placements[10].centre == 1
    assert {plan.placements[1].centre, plan.placements[2].centre} == {2}


def test_A17_2_total_distance_is_the_objective_even_over_the_preferred_count():
    """Documented priority: the least total distance. Here keeping the "home" applicant
    at home would send two neighbours 80+ km away, so the home applicant travels."""
    coords = {"home": (42.0, 44.0), "n1": (42.0, 44.01), "n2": (42.0, 43.99), "far": (42.0, 45.0)}
    sessions = [Session(1, X), Session(2, Y)]
    centres = [Centre(1, "home", 1, False, (1, 2)), Centre(2, "far", 5, False, (1, 2))]
    cands = [
        Candidate(1, "home", False, (X, Y)),
        Candidate(2, "n1", False, (X,)),
        Candidate(3, "n2", False, (Y,)),
    ]
    plan = distribute(cands, centres, sessions, coords)
    assert check(plan, cands, centres, sessions, coords) == []
    assert plan.placements[1].centre == 2
    assert plan.placements[2].centre == plan.placements[3].centre == 1
    assert plan.stats.total_distance_km == pytest.approx(
        brute_force(cands, centres, sessions, coords)[1]
    )


def test_A12_3_adapted_applicants_only_in_adapted_centres():
    cands = people(2, adapted=True) + people(2, start=10)
    centres = [Centre(1, "home", 10, False, ALL), Centre(2, "far", 10, True, ALL)]
    plan = run(cands, centres)
    assert plan.placements[1].centre == plan.placements[2].centre == 2
    assert plan.placements[10].centre == plan.placements[11].centre == 1


def test_A17_2_unplaced_reported_no_adapted_centre():
    cands = people(2, adapted=True) + people(1, start=10)
    plan = run(cands, [Centre(1, "home", 10, False, ALL)])
    assert plan.unplaced == {
        1: Unplaced(Reason.NO_ADAPTED_CENTRE),
        2: Unplaced(Reason.NO_ADAPTED_CENTRE),
    }
    assert list(plan.placements) == [10]
    assert any("no_adapted_centre: 2" in line for line in plan.summary())


def test_A17_2_unplaced_reported_no_capacity_for_item():
    # Y has one session at each centre: 2 + 1 seats for 5 applicants who need it.
    cands = people(5, items=(X, Y)) + people(4, items=(X,), start=20)
    centres = [Centre(1, "home", 2, False, ALL), Centre(2, "near", 1, False, ALL)]
    plan = run(cands, centres)
    assert plan.unplaced == {
        4: Unplaced(Reason.NO_CAPACITY_FOR_ITEM, (Y,)),
        5: Unplaced(Reason.NO_CAPACITY_FOR_ITEM, (Y,)),
    }
    assert len(plan.placements) == 7  # everyone who only needs X still placed


def test_A17_2_largest_keys_of_a_group_are_the_ones_left_unplaced():
    cands = [Candidate(k, "home", False, (Y,)) for k in (50, 7, 31, 12)]
    plan = run(cands, [Centre(1, "home", 2, False, ALL)])
    assert sorted(plan.placements) == [7, 12]
    assert sorted(plan.unplaced) == [31, 50]


def test_A17_2_unplaced_reported_when_no_session_or_no_centre_hosts_the_item():
    sessions = [*SESSIONS, Session(9, "subject:art")]
    cands = [
        Candidate(1, "home", False, ("subject:physics",)),
        Candidate(2, "home", False, ("subject:art",)),
        Candidate(3, "home", False, (X, Y)),
    ]
    centres = [Centre(1, "home", 5, False, (1, 2)), Centre(2, "far", 5, False, (4,))]
    plan = run(cands, centres, sessions)
    assert plan.unplaced == {
        1: Unplaced(Reason.NO_SESSION, ("subject:physics",)),
        2: Unplaced(Reason.NO_CENTRE_HOSTS_ITEM, ("subject:art",)),
        3: Unplaced(Reason.NO_CENTRE_HOSTS_ALL, (X, Y)),
    }
    assert json.loads(plan.to_json())["unplaced"]["3"] == {
        "code": "no_centre_hosts_all",
        "items": [X, Y],
    }


def test_A17_2_adapted_applicants_unplaced_with_the_adapted_reasons():
    sessions = [*SESSIONS, Session(9, "subject:art")]
    cands = [
        Candidate(1, "home", True, (Y,)),
        Candidate(2, "home", True, (X, "subject:art")),
        Candidate(3, "home", True, ("subject:art",)),
    ]
    centres = [
        Centre(1, "home", 5, True, (1, 2)),  # adapted: X only
        Centre(2, "far", 5, True, (9,)),  # adapted: art only
        Centre(3, "near", 5, False, ALL),
    ]
    plan = run(cands, centres, sessions)
    assert plan.unplaced == {
        1: Unplaced(Reason.NO_ADAPTED_CENTRE_HOSTS_ITEM, (Y,)),
        2: Unplaced(Reason.NO_ADAPTED_CENTRE_HOSTS_ALL, (X, "subject:art")),
    }
    assert plan.placements[3].centre == 2


def test_A17_2_b_centre_quota_is_respected():
    cands = people(6)
    centres = [
        Centre(1, "home", 10, False, ALL, quota=4),
        Centre(2, "near", 10, False, ALL, quota=1),
    ]
    plan = run(cands, centres)
    assert plan.stats.centre_load == {1: 4, 2: 1}
    assert plan.unplaced == {6: Unplaced(Reason.CENTRE_QUOTAS_REACHED)}


def test_A15_8_figures_of_the_placements():
    """The figures shown on the exam pages: the solver's and, after a move, the stored rows'."""
    f = figures([(0.0, True, 2), (12.5, False, 1), (0.0, True, 1), (130.0, False, 2)])
    assert (f.placed, f.preferred) == (4, 2)
    assert (f.total_distance_km, f.mean_distance_km) == (142.5, 35.625)
    assert f.histogram == {"0": 2, "0-10": 0, "10-25": 1, "25-50": 0, "50-100": 0, ">100": 1}
    assert f.centre_load == {1: 2, 2: 2} and f.centre_preferred == {1: 1, 2: 1}
    assert f.as_dict()["centre_load"] == {"1": 2, "2": 2}
    assert figures([]).mean_distance_km == 0.0
    cands = people(3) + people(2, "far", start=10)
    plan = run(cands, [Centre(1, "home", 4, False, ALL), Centre(2, "near", 4, False, ALL)])
    rows = [(p.distance_km, p.preferred, p.centre) for p in plan.placements.values()]
    assert figures(rows).as_dict().items() <= plan.stats.as_dict().items()


def test_A17_2_sessions_filled_balanced_in_key_order():
    cands = people(7)
    plan = run(cands, [Centre(1, "home", 3, False, (3, 1, 2))])
    assert plan.stats.session_load == {1: {1: 3, 2: 2, 3: 2}}
    assert [plan.placements[k].sittings[X] for k in range(1, 8)] == [1, 1, 1, 2, 2, 3, 3]


def test_A17_2_each_applicant_sits_their_items_at_one_centre():
    cands = people(3, items=(Y, X))
    plan = run(cands, [Centre(1, "home", 3, False, (2, 4))])
    assert all(p.sittings == {X: 2, Y: 4} for p in plan.placements.values())
    assert plan.stats.session_load == {1: {2: 3, 4: 3}}


def test_A17_2_groups_keep_the_model_small():
    cands = people(500) + people(300, "near", items=(X, Y), start=1000)
    plan = run(cands, [Centre(1, "home", 400, False, ALL), Centre(2, "near", 400, True, ALL)])
    assert plan.unplaced == {}
    assert plan.stats.groups == 2
    assert plan.stats.variables <= 2 * 2 + 2


def test_A17_2_empty_round():
    plan = distribute([], [], [], {})
    assert plan.placements == {} and plan.unplaced == {}
    assert plan.stats.mean_distance_km == 0.0


def test_A17_2_json_is_canonical_and_leaves_out_timings():
    cands = people(3)
    plan = run(cands, [Centre(1, "home", 3, False, ALL)])
    doc = json.loads(plan.to_json())
    assert "solve_seconds" not in doc["stats"]
    assert "solve_seconds" in json.loads(plan.to_json(timing=True))["stats"]
    assert doc["placements"]["1"] == {
        "centre": 1,
        "sittings": {X: 1},
        "distance_km": 0.0,
        "preferred": True,
    }


def test_distance_matrix_is_haversine_km_symmetric_with_zero_diagonal():
    names, m = distance_matrix({"b": (42.0, 44.0), "a": (41.0, 44.0), "c": (42.0, 45.0)})
    assert names == ["a", "b", "c"]
    assert m[0, 1] == pytest.approx(6371.0088 * math.pi / 180, abs=1e-3)  # one degree
    assert (m == m.T).all() and (m.diagonal() == 0).all()
    lat = math.radians(42.0)
    expected = 2 * 6371.0088 * math.asin(math.cos(lat) * math.sin(math.radians(0.5)))
    assert m[1, 2] == pytest.approx(expected, abs=1e-3)


def test_histogram_buckets():
    assert [bucket(d) for d in (0.0, 0.001, 10.0, 10.5, 25, 50, 100, 100.1)] == [
        "0",
        "0-10",
        "0-10",
        "10-25",
        "10-25",
        "25-50",
        "50-100",
        ">100",
    ]


@pytest.mark.parametrize(
    "cands, centres, sessions",
    [
        ([Candidate(1, "home", False, (X,))] * 2, [], SESSIONS),
        ([], [Centre(1, "home", 1, False, (99,))], SESSIONS),
        ([Candidate(1, "nowhere", False, (X,))], [], SESSIONS),
        ([], [Centre(1, "nowhere", 1, False, ())], SESSIONS),
        ([Candidate(1, "home", False, ())], [], SESSIONS),
        ([Candidate(1, "home", False, (X, X))], [], SESSIONS),
        ([], [Centre(1, "home", -1, False, ())], SESSIONS),
        ([], [], [Session(1, X), Session(1, Y)]),
    ],
)
def test_inconsistent_input_is_refused(cands, centres, sessions):
    with pytest.raises(DistributionError):
        distribute(cands, centres, sessions, COORDS)


def test_A17_2_fractional_lp_is_resolved_by_the_mip_to_the_integer_optimum():
    """Three applicants pairwise sharing an item at a one-seat centre: the LP relaxation
    puts half of each at home; the integer optimum keeps one home, two travel."""
    sessions = [Session(1, "x"), Session(2, "y"), Session(3, "z")]
    cands = [
        Candidate(1, "home", False, ("x", "y")),
        Candidate(2, "home", False, ("y", "z")),
        Candidate(3, "home", False, ("x", "z")),
    ]
    centres = [Centre(1, "home", 1, False, (1, 2, 3)), Centre(2, "far", 5, False, (1, 2, 3))]
    plan = distribute(cands, centres, sessions, COORDS)
    assert check(plan, cands, centres, sessions, COORDS) == []
    assert plan.stats.solves >= 2  # the LP, then at least one MIP
    assert plan.stats.optimal
    assert plan.stats.preferred == 1
    assert plan.stats.total_distance_km == pytest.approx(2 * km("home", "far"))


def test_A17_2_time_limit_is_enforced():
    with pytest.raises(SolverError):
        distribute(people(3), [Centre(1, "home", 3, False, ALL)], SESSIONS, COORDS, time_limit=0)
