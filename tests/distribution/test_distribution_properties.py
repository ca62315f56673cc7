"""Property tests of the exam-centre distribution (A17.2, A15.8, A12.3(e)) with hypothesis."""

from __future__ import annotations

from collections import Counter
from unittest import mock

from dist_support import PROFILE, brute_force, compatible, instances
from hypothesis import given
from hypothesis import strategies as st

from kari.distribution import check, distribute
from kari.distribution import solver as solver_module


def _sessions_ok(plan, candidates, centres, sessions):
    by_key = {c.key: c for c in centres}
    item_of = {s.key: s.item for s in sessions}
    per_session, per_centre = Counter(), Counter()
    for a in candidates:
        p = plan.placements.get(a.key)
        if p is None:
            continue
        c = by_key[p.centre]
        per_centre[c.key] += 1
        # exactly the applicant's own items, each in a session of that item at that centre
        assert sorted(p.sittings) == sorted(a.items)
        for item, skey in p.sittings.items():
            assert item_of[skey] == item
            assert skey in c.sessions
            per_session[(c.key, skey)] += 1
        assert c.adapted or not a.adapted
    for (ckey, _), n in per_session.items():
        assert n <= by_key[ckey].seats
    for ckey, n in per_centre.items():
        assert by_key[ckey].quota is None or n <= by_key[ckey].quota


@PROFILE
@given(instances())
def test_A17_2_never_exceeds_seats_or_quota_and_sits_exactly_own_items(inst):
    candidates, centres, sessions, coords = inst
    plan = distribute(candidates, centres, sessions, coords)
    assert check(plan, candidates, centres, sessions, coords) == []
    _sessions_ok(plan, candidates, centres, sessions)
    assert set(plan.placements) | set(plan.unplaced) == {a.key for a in candidates}
    assert not set(plan.placements) & set(plan.unplaced)
    assert all(plan.unplaced.values())


@PROFILE
@given(instances(roomy=True))
def test_A17_2_everyone_placed_when_capacity_allows(inst):
    candidates, centres, sessions, coords = inst
    plan = distribute(candidates, centres, sessions, coords)
    assert plan.unplaced == {}
    assert len(plan.placements) == len(candidates)
    assert check(plan, candidates, centres, sessions, coords) == []
    _sessions_ok(plan, candidates, centres, sessions)


@PROFILE
@given(instances(), st.randoms(use_true_random=False))
def test_A17_2_deterministic_and_input_order_invariant(inst, rnd):
    candidates, centres, sessions, coords = inst
    first = distribute(candidates, centres, sessions, coords).to_json()
    assert distribute(candidates, centres, sessions, coords).to_json() == first
    cands, cents, sess = list(candidates), list(centres), list(sessions)
    rnd.shuffle(cands)
    rnd.shuffle(cents)
    rnd.shuffle(sess)
    cents = [
        type(c)(
            c.key,
            c.municipality,
            c.seats,
            c.adapted,
            tuple(rnd.sample(c.sessions, len(c.sessions))),
            c.quota,
        )
        for c in cents
    ]
    cands = [
        type(a)(a.key, a.municipality, a.adapted, tuple(rnd.sample(a.items, len(a.items))))
        for a in cands
    ]
    shuffled_coords = dict(rnd.sample(sorted(coords.items()), len(coords)))
    assert distribute(cands, cents, sess, shuffled_coords).to_json() == first


@PROFILE
@given(instances(max_munis=3, max_items=2, max_centres=3, max_candidates=6, max_seats=2))
def test_A17_2_A15_8_total_distance_is_the_brute_force_minimum(inst):
    candidates, centres, sessions, coords = inst
    plan = distribute(candidates, centres, sessions, coords)
    fewest, least = brute_force(candidates, centres, sessions, coords)
    assert len(plan.unplaced) == fewest
    assert abs(plan.stats.total_distance_km - least) < 1e-6
    assert plan.stats.optimal


@PROFILE
@given(instances(max_munis=3, max_items=2, max_centres=3, max_candidates=6, max_seats=2))
def test_A17_2_reduced_cost_fixing_widens_to_the_brute_force_minimum(inst):
    """The same with the first restricted MIP given only the LP support (and the dummy
    "unplaced" columns), so that the widening by reduced cost must do the work."""
    candidates, centres, sessions, coords = inst
    with mock.patch.object(solver_module, "FIRST_REDUCED_COST_KM", -1.0):
        plan = distribute(candidates, centres, sessions, coords)
    fewest, least = brute_force(candidates, centres, sessions, coords)
    assert len(plan.unplaced) == fewest
    assert abs(plan.stats.total_distance_km - least) < 1e-6


@PROFILE
@given(instances())
def test_A17_2_unplaced_only_when_no_compatible_centre_has_room(inst):
    """Nobody is left out while a centre that could take them has a seat in a session of
    each of their items and room under its quota."""
    candidates, centres, sessions, coords = inst
    plan = distribute(candidates, centres, sessions, coords)
    item_of = {s.key: s.item for s in sessions}
    load, per_centre = Counter(), Counter()
    for p in plan.placements.values():
        per_centre[p.centre] += 1
        for skey in p.sittings.values():
            load[(p.centre, skey)] += 1
    for a in candidates:
        if a.key not in plan.unplaced:
            continue
        for c in centres:
            if not compatible(a, c, sessions):
                continue
            room = c.quota is None or per_centre[c.key] < c.quota
            for item in a.items:
                free = [s for s in c.sessions if item_of[s] == item and load[(c.key, s)] < c.seats]
                room = room and bool(free)
            assert not room, (a, c, plan.unplaced[a.key])
