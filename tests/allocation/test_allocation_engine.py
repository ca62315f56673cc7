"""Example-based tests of the allocation engine (A27.2-A27.4, A27.9, A27.10)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from alloc_support import allocate

from kari.allocation import InstanceError, check, from_json, parse, solve, to_json
from kari.allocation.solver import Result


def inst(programmes: dict[str, int], *applicants: tuple) -> dict:
    """programmes {id: capacity}; applicants (id, score, prefs[, programme_scores])."""
    apps = []
    for aid, score, prefs, *own in applicants:
        app = {"id": aid, "preferences": list(prefs)}
        if score is not None:
            app["score"] = score
        if own:
            app["programme_scores"] = own[0]
        apps.append(app)
    return {
        "programmes": [{"id": p, "capacity": c} for p, c in programmes.items()],
        "applicants": apps,
    }


def test_A27_2_allocation_by_places_and_scores():
    out = allocate(
        inst(
            {"P1": 1, "P2": 1},
            ("A1", 10, ["P1", "P2"]),
            ("A2", 20, ["P1", "P2"]),
            ("A3", 5, ["P1"]),
        )
    )
    assert out["assignments"] == {"A1": "P2", "A2": "P1", "A3": None}
    assert out["programmes"]["P1"] == {"admitted": 1, "cutoff": 20, "extra_places": 0}
    assert out["programmes"]["P2"] == {"admitted": 1, "cutoff": 10, "extra_places": 0}


def test_A27_2_applicant_proposing_chain_of_rejections():
    # A3 displaces A1 from P1; A1 then displaces A2 from P2; A2 falls to P3.
    data = inst(
        {"P1": 1, "P2": 1, "P3": 1},
        ("A1", 5, ["P1", "P2"]),
        ("A2", 4, ["P2", "P3"]),
        ("A3", 6, ["P1"]),
    )
    assert allocate(data)["assignments"] == {"A1": "P2", "A2": "P3", "A3": "P1"}


def test_A27_9_all_tied_at_cutoff_admitted():
    data = inst(
        {"P1": 2},
        ("A1", 9, ["P1"]),
        ("A2", 7, ["P1"]),
        ("A3", 7, ["P1"]),
        ("A4", 7, ["P1"]),
        ("A5", 6, ["P1"]),
    )
    out = allocate(data)
    assert out["assignments"] == {"A1": "P1", "A2": "P1", "A3": "P1", "A4": "P1", "A5": None}
    assert out["programmes"]["P1"] == {"admitted": 4, "cutoff": 7, "extra_places": 2}


def test_A27_9_ties_below_the_cutoff_do_not_add_places():
    data = inst({"P1": 1}, ("A1", 9, ["P1"]), ("A2", 7, ["P1"]), ("A3", 7, ["P1"]))
    out = allocate(data)
    assert out["programmes"]["P1"] == {"admitted": 1, "cutoff": 9, "extra_places": 0}


def test_A27_9_higher_proposer_rejects_whole_tied_group():
    # A1 and A2 are tied in P1 (capacity 1) until A3 scores higher; both move on.
    data = inst(
        {"P1": 1, "P2": 5},
        ("A1", 5, ["P1", "P2"]),
        ("A2", 5, ["P1", "P2"]),
        ("A3", 6, ["P1"]),
    )
    out = allocate(data)
    assert out["assignments"] == {"A1": "P2", "A2": "P2", "A3": "P1"}
    assert out["programmes"]["P1"] == {"admitted": 1, "cutoff": 6, "extra_places": 0}


def test_A27_9_everyone_tied_everyone_admitted():
    n = 7
    data = inst({"P1": 3, "P2": 1}, *[(f"A{i}", 4, ["P1", "P2"]) for i in range(n)])
    out = allocate(data)
    assert set(out["assignments"].values()) == {"P1"}
    assert out["programmes"]["P1"] == {"admitted": n, "cutoff": 4, "extra_places": n - 3}


def test_A27_10_extra_places():
    data = inst(
        {"P1": 1, "P2": 2},
        ("A1", 3, ["P1"]),
        ("A2", 3, ["P1"]),
        ("A3", 3, ["P1"]),
        ("A4", 2, ["P2"]),
    )
    out = allocate(data)
    assert out["programmes"]["P1"]["extra_places"] == 2
    assert out["programmes"]["P2"] == {"admitted": 1, "cutoff": 2, "extra_places": 0}
    instance = parse(data)
    assert solve(instance).total_extra_places == 2


def test_A27_4_programme_score_overrides_common():
    # A1's common score is higher, but P1 (work-based) ranks by its competition result.
    data = inst({"P1": 1, "P2": 1}, ("A1", 30, ["P1", "P2"], {"P1": 2}), ("A2", 10, ["P1", "P2"]))
    out = allocate(data)
    assert out["assignments"] == {"A1": "P2", "A2": "P1"}
    assert out["explanations"]["A1"] == [
        {"programme": "P1", "reason": "below_cutoff", "cutoff": 10, "score": 2}
    ]


def test_A27_3_programme_score_only_applies_to_its_programme():
    # Competition + test score for the art programme P1; common score elsewhere.
    data = inst(
        {"P1": 1, "P2": 1},
        ("A1", 1, ["P1", "P2"], {"P1": 50}),
        ("A2", 40, ["P1", "P2"]),
        ("A3", 2, ["P2"]),
    )
    out = allocate(data)
    assert out["assignments"] == {"A1": "P1", "A2": "P2", "A3": None}


def test_A27_3_programme_scores_without_common_score():
    data = inst({"P1": 1}, ("A1", None, ["P1"], {"P1": 3}), ("A2", None, ["P1"], {"P1": 4}))
    assert allocate(data)["assignments"] == {"A1": None, "A2": "P1"}


def test_A27_2_capacity_zero_holds_nobody_and_explains_no_places():
    data = inst({"P0": 0, "P1": 1}, ("A1", 9, ["P0", "P1"]), ("A2", 9, ["P0"]))
    out = allocate(data)
    assert out["assignments"] == {"A1": "P1", "A2": None}
    assert out["programmes"]["P0"] == {"admitted": 0, "cutoff": None, "extra_places": 0}
    assert out["explanations"] == {
        "A1": [{"programme": "P0", "reason": "no_places"}],
        "A2": [{"programme": "P0", "reason": "no_places"}],
    }


def test_A27_2_explanations_for_every_programme_ranked_above():
    data = inst(
        {"P1": 1, "P2": 0, "P3": 1, "P4": 1},
        ("A1", 5, ["P1", "P2", "P3", "P4"]),
        ("B1", 8, ["P1"]),
        ("B3", 6, ["P3"]),
    )
    out = allocate(data)
    assert out["assignments"]["A1"] == "P4"
    assert out["explanations"]["A1"] == [
        {"programme": "P1", "reason": "below_cutoff", "cutoff": 8, "score": 5},
        {"programme": "P2", "reason": "no_places"},
        {"programme": "P3", "reason": "below_cutoff", "cutoff": 6, "score": 5},
    ]
    assert out["explanations"]["B1"] == []


def test_A27_2_empty_preference_list_and_no_applicants():
    out = allocate(inst({"P1": 1}, ("A1", None, []), ("A2", 3, [])))
    assert out["assignments"] == {"A1": None, "A2": None}
    assert out["explanations"] == {"A1": [], "A2": []}
    assert out["programmes"]["P1"] == {"admitted": 0, "cutoff": None, "extra_places": 0}
    assert allocate({"programmes": [], "applicants": []}) == {
        "assignments": {},
        "programmes": {},
        "explanations": {},
    }


def test_A27_2_one_applicant():
    out = allocate(inst({"P1": 1, "P2": 1}, ("A1", 0, ["P2", "P1"])))
    assert out == {
        "assignments": {"A1": "P2"},
        "programmes": {
            "P1": {"admitted": 0, "cutoff": None, "extra_places": 0},
            "P2": {"admitted": 1, "cutoff": 0, "extra_places": 0},
        },
        "explanations": {"A1": []},
    }


def test_A27_2_float_scores_compared_exactly():
    a, b = 0.1 + 0.2, 0.3  # distinct doubles: 0.30000000000000004 > 0.3
    data = inst({"P1": 1}, ("A1", b, ["P1"]), ("A2", a, ["P1"]))
    data = parse_text(json.dumps(data))
    out = allocate(data)
    assert out["assignments"] == {"A1": None, "A2": "P1"}
    assert out["programmes"]["P1"]["cutoff"] == a
    big = 2**53 - 1  # largest integer below the limit, exact in float64
    out = allocate(inst({"P1": 1}, ("A1", big, ["P1"]), ("A2", big - 1, ["P1"])))
    assert out["assignments"] == {"A1": "P1", "A2": None}
    assert out["programmes"]["P1"]["cutoff"] == big


def parse_text(text: str) -> dict:
    from kari.allocation.instance import parse_json_text

    return parse_json_text(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"programmes": [{"id": "P1", "capacity": 1}], '
        '"applicants": [{"id": "A1", "score": 0.10000000000000000001, "preferences": ["P1"]}]}',
        '{"programmes": [{"id": "P1", "capacity": 1}], '
        '"applicants": [{"id": "A1", "score": 9007199254740993, "preferences": ["P1"]}]}',
        '{"programmes": [{"id": "P1", "capacity": 1}], '
        '"applicants": [{"id": "A1", "score": NaN, "preferences": ["P1"]}]}',
        '{"programmes": [{"id": "P1", "capacity": 1}], '
        '"applicants": [{"id": "A1", "score": 1, "preferences": ["P1"], '
        '"programme_scores": {"P1": Infinity}}]}',
    ],
)
def test_A27_2_scores_that_cannot_be_compared_exactly_are_rejected(text):
    with pytest.raises(InstanceError, match='"A1"'):
        parse(parse_text(text))


def test_A27_2_order_of_input_does_not_change_output():
    data = inst(
        {"P2": 1, "P1": 1, "P3": 0},
        ("A3", 5, ["P1", "P2"]),
        ("A1", 5, ["P1", "P3", "P2"]),
        ("A2", 7, ["P2"], {"P2": 1}),
    )
    rev = {"programmes": data["programmes"][::-1], "applicants": data["applicants"][::-1]}
    a, b = allocate(data), allocate(rev)
    assert json.dumps(a) == json.dumps(b)
    assert list(a["assignments"]) == ["A1", "A2", "A3"]


# ---------------------------------------------------------------- the checker catches errors


def _solved(data):
    instance = parse(data)
    return instance, solve(instance)


def _with(result: Result, **changes) -> Result:
    fields = {k: getattr(result, k).copy() for k in Result.__dataclass_fields__}
    for key, (index, value) in changes.items():
        fields[key][index] = value
    return Result(**fields)


CASE = inst(
    {"P1": 1, "P2": 1, "P0": 0},
    ("A1", 5, ["P0", "P1", "P2"]),
    ("A2", 6, ["P1"]),
    ("A3", 6, ["P1", "P2"]),
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"admitted": (1, 5)}, "admitted figure"),
        ({"cutoff": (1, 5.0)}, "cutoff figure"),
        ({"extra_places": (1, 0)}, "extra_places figure"),
        ({"expl_cutoff": (1, 7.0)}, "explanation"),
        ({"expl_score": (1, 4.0)}, "explanation"),
        ({"expl_no_places": (0, False)}, "explanation"),
        ({"assignment": (1, 2)}, "not on their list"),
    ],
)
def test_A27_10_checker_detects_wrong_figures_and_explanations(change, message):
    instance, result = _solved(CASE)
    assert check(instance, result) == []
    problems = check(instance, _with(result, **change))
    assert any(message in p for p in problems), problems


def test_A27_9_checker_detects_over_capacity_without_tie():
    # Both admitted to P1 (capacity 1) with different scores: a consistent but illegal result.
    data = inst({"P1": 1}, ("A1", 5, ["P1"]), ("A2", 6, ["P1"]))
    instance = parse(data)
    bad = {
        "assignments": {"A1": "P1", "A2": "P1"},
        "programmes": {"P1": {"admitted": 2, "cutoff": 5, "extra_places": 1}},
        "explanations": {"A1": [], "A2": []},
    }
    problems = check(instance, from_json(instance, bad))
    assert problems == ["programme P1: over capacity without a tie at the cut-off (A27.9)"]


def test_A27_2_checker_detects_instability():
    data = inst({"P1": 1, "P2": 1}, ("A1", 5, ["P1", "P2"]), ("A2", 6, ["P1", "P2"]))
    instance = parse(data)
    swapped = {
        "assignments": {"A1": "P1", "A2": "P2"},
        "programmes": {
            "P1": {"admitted": 1, "cutoff": 5, "extra_places": 0},
            "P2": {"admitted": 1, "cutoff": 6, "extra_places": 0},
        },
        "explanations": {
            "A1": [],
            "A2": [{"programme": "P1", "reason": "below_cutoff", "cutoff": 5, "score": 6}],
        },
    }
    problems = check(instance, from_json(instance, swapped))
    assert any("scores at least the cut-off" in p for p in problems), problems
    free = {
        "assignments": {"A1": None, "A2": "P1"},
        "programmes": {
            "P1": {"admitted": 1, "cutoff": 6, "extra_places": 0},
            "P2": {"admitted": 0, "cutoff": None, "extra_places": 0},
        },
        "explanations": {
            "A1": [
                {"programme": "P1", "reason": "below_cutoff", "cutoff": 6, "score": 5},
                {"programme": "P2", "reason": "below_cutoff", "cutoff": 6, "score": 5},
            ],
            "A2": [],
        },
    }
    problems = check(instance, from_json(instance, free))
    assert any("free place" in p for p in problems), problems


def test_A27_2_result_json_round_trips_through_checker():
    instance, result = _solved(CASE)
    data = json.loads(json.dumps(to_json(instance, result)))
    again = from_json(instance, data)
    assert check(instance, again) == []
    for field in Result.__dataclass_fields__:
        assert np.array_equal(getattr(again, field), getattr(result, field), equal_nan=True), field
