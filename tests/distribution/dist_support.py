"""Shared strategies and a brute-force oracle for the distribution tests (A17.2, A15.8).

The oracle is plain Python over individual applicants, independent of the solver's
grouping and of HiGHS.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kari.distribution import Candidate, Centre, Session, distance_matrix

settings.register_profile(
    "kari-distribution",
    max_examples=int(os.environ.get("KARI_DISTRIBUTION_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("kari-distribution")


@st.composite
def instances(
    draw,
    max_munis=4,
    max_items=3,
    max_centres=4,
    max_candidates=20,
    max_seats=4,
    roomy=False,
):
    """(candidates, centres, sessions, coords). With ``roomy`` an adapted centre without
    quota hosts every session with a seat for everyone, so everybody can be placed."""
    munis = [f"m{i}" for i in range(draw(st.integers(1, max_munis)))]
    coords = {
        m: (
            draw(st.integers(4100, 4300)) / 100,
            draw(st.integers(4000, 4650)) / 100,
        )
        for m in munis
    }
    items = [f"item{i}" for i in range(draw(st.integers(1, max_items)))]
    per_item = [draw(st.integers(1 if roomy else 0, 2)) for _ in items]
    session_items = [item for item, k in zip(items, per_item, strict=True) for _ in range(k)]
    keys = draw(st.permutations(range(100, 100 + len(session_items))))
    sessions = [Session(k, item) for k, item in zip(keys, session_items, strict=True)]
    centres = []
    for j in range(draw(st.integers(0, max_centres))):
        hosted = [s.key for s in sessions if draw(st.booleans())]
        quota = draw(st.one_of(st.none(), st.integers(0, 2 * max_seats)))
        centres.append(
            Centre(
                key=j,
                municipality=draw(st.sampled_from(munis)),
                seats=draw(st.integers(0, max_seats)),
                adapted=draw(st.booleans()),
                sessions=tuple(hosted),
                quota=quota,
            )
        )
    candidates = []
    for k in range(draw(st.integers(0, max_candidates))):
        its = [i for i in items if draw(st.booleans())] or [draw(st.sampled_from(items))]
        candidates.append(
            Candidate(
                key=1000 + k,
                municipality=draw(st.sampled_from(munis)),
                adapted=draw(st.integers(0, 3)) == 0,
                items=tuple(draw(st.permutations(its))),
            )
        )
    if roomy:
        centres.append(
            Centre(
                key=len(centres),
                municipality=draw(st.sampled_from(munis)),
                seats=max(1, len(candidates)),
                adapted=True,
                sessions=tuple(s.key for s in sessions),
            )
        )
    return candidates, centres, sessions, coords


def compatible(cand, centre, sessions):
    items = {s.item for s in sessions if s.key in set(centre.sessions)}
    return (
        centre.seats > 0
        and centre.quota != 0
        and (centre.adapted or not cand.adapted)
        and set(cand.items) <= items
    )


def brute_force(candidates, centres, sessions, coords):
    """(fewest unplaced, least total km with that many) over every centre choice per
    applicant, capacity per (centre, item) = seats x hosted sessions of the item."""
    names, km = distance_matrix(coords)
    idx = {n: i for i, n in enumerate(names)}
    item_of = {s.key: s.item for s in sessions}
    cap = {}
    for c in centres:
        for skey in c.sessions:
            cap[(c.key, item_of[skey])] = cap.get((c.key, item_of[skey]), 0) + c.seats
    options = [[c for c in centres if compatible(a, c, sessions)] + [None] for a in candidates]
    best = None
    for choice in itertools.product(*options):
        per_item, per_centre = Counter(), Counter()
        unplaced, total = 0, 0.0
        for a, c in zip(candidates, choice, strict=True):
            if c is None:
                unplaced += 1
                continue
            per_centre[c.key] += 1
            for item in a.items:
                per_item[(c.key, item)] += 1
            total += float(km[idx[a.municipality], idx[c.municipality]])
        if any(n > cap[k] for k, n in per_item.items()):
            continue
        by_key = {c.key: c for c in centres}
        if any(by_key[k].quota is not None and n > by_key[k].quota for k, n in per_centre.items()):
            continue
        value = (unplaced, round(total, 6))
        if best is None or value < best:
            best = value
    return best
