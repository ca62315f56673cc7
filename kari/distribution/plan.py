"""The result of the exam-centre distribution (A17.2) and an independent checker."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from kari.distribution.model import Candidate, Centre, Session, distance_matrix
from kari.distribution.reasons import Reason, Unplaced

__all__ = [
    "HISTOGRAM_BUCKETS",
    "Figures",
    "Placement",
    "Plan",
    "Stats",
    "bucket",
    "check",
    "figures",
]

# (label, upper bound in km, inclusive); "0" is exactly 0 km (the preferred municipality).
HISTOGRAM_BUCKETS: tuple[tuple[str, float], ...] = (
    ("0", 0.0),
    ("0-10", 10.0),
    ("10-25", 25.0),
    ("25-50", 50.0),
    ("50-100", 100.0),
    (">100", float("inf")),
)


def bucket(km: float) -> str:
    """The histogram bucket of a distance: "0", then (lo, hi] intervals, then ">100"."""
    for label, upper in HISTOGRAM_BUCKETS:
        if km <= upper:
            return label
    return HISTOGRAM_BUCKETS[-1][0]


@dataclass(frozen=True)
class Placement:
    """One applicant's exam centre and, per test item, the session (key) they sit."""

    centre: int
    sittings: dict[str, int]
    distance_km: float
    preferred: bool  # the centre is in the applicant's preferred municipality (A15.8)


@dataclass(frozen=True)
class Figures:
    """The figures of a distribution's placements, shown on the exam pages (A17.2, A15.8).

    Computed only by :func:`figures`, from the solver's plan and again from the stored
    assignments after EMIS moves an applicant.
    """

    placed: int
    preferred: int  # placed in their preferred municipality (0 km)
    total_distance_km: float
    mean_distance_km: float
    histogram: dict[str, int]  # HISTOGRAM_BUCKETS label -> applicants
    centre_load: dict[int, int]  # centre -> applicants (centres with any)
    centre_preferred: dict[int, int]  # centre -> of those, from its own municipality

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (centre keys as strings), as stored with a distribution."""
        return {
            "placed": self.placed,
            "preferred": self.preferred,
            "total_distance_km": self.total_distance_km,
            "mean_distance_km": self.mean_distance_km,
            "histogram": dict(self.histogram),
            "centre_load": {str(k): v for k, v in self.centre_load.items()},
            "centre_preferred": {str(k): v for k, v in self.centre_preferred.items()},
        }


def figures(placements: Iterable[tuple[float, bool, int]]) -> Figures:
    """The figures of ``(distance_km, preferred, centre key)`` per placed applicant.

    Distances are summed in the order given and rounded to the metre at the end; centres
    come out in key order.
    """
    histogram = {label: 0 for label, _upper in HISTOGRAM_BUCKETS}
    load: Counter[int] = Counter()
    home: Counter[int] = Counter()
    total = 0.0
    for km, preferred, centre in placements:
        histogram[bucket(km)] += 1
        total += km
        load[centre] += 1
        home[centre] += preferred
    placed = sum(load.values())
    return Figures(
        placed=placed,
        preferred=sum(home.values()),
        total_distance_km=round(total, 3),
        mean_distance_km=round(total / placed, 3) if placed else 0.0,
        histogram=histogram,
        centre_load=dict(sorted(load.items())),
        centre_preferred={c: home[c] for c in sorted(load)},
    )


@dataclass(frozen=True)
class Stats(Figures):
    """The plan's :class:`Figures`, and figures for the A17.2(a)/(b) exchange and for
    monitoring the solver."""

    candidates: int
    unplaced: int
    session_load: dict[int, dict[int, int]]  # centre -> session -> applicants
    groups: int
    variables: int
    constraints: int
    solves: int
    optimal: bool  # False only if the time limit stopped HiGHS before a proof
    build_seconds: float = field(compare=False)
    solve_seconds: float = field(compare=False)

    def as_dict(self, timing: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "candidates": self.candidates,
            "unplaced": self.unplaced,
            **super().as_dict(),
            "session_load": {
                str(c): {str(s): n for s, n in per.items()} for c, per in self.session_load.items()
            },
            "model": {
                "groups": self.groups,
                "variables": self.variables,
                "constraints": self.constraints,
                "solves": self.solves,
                "optimal": self.optimal,
            },
        }
        if timing:
            out["build_seconds"] = round(self.build_seconds, 3)
            out["solve_seconds"] = round(self.solve_seconds, 3)
        return out


@dataclass(frozen=True)
class Plan:
    """The distribution: ``placements`` (candidate key -> Placement) and ``unplaced``
    (candidate key -> its reason), both in key order, and the ``stats``."""

    placements: dict[int, Placement]
    unplaced: dict[int, Unplaced]
    stats: Stats

    def to_json(self, timing: bool = False) -> str:
        """Canonical JSON. Byte-identical for the same input whatever its order; the
        timings are the only figures that vary between runs, so they are left out
        unless ``timing=True``."""
        doc = {
            "placements": {
                str(k): {
                    "centre": p.centre,
                    "sittings": dict(sorted(p.sittings.items())),
                    "distance_km": round(p.distance_km, 3),
                    "preferred": p.preferred,
                }
                for k, p in self.placements.items()
            },
            "unplaced": {str(k): r.as_dict() for k, r in self.unplaced.items()},
            "stats": self.stats.as_dict(timing=timing),
        }
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    def summary(self) -> list[str]:
        """Human-readable report lines."""
        s = self.stats
        pct = (100.0 * s.preferred / s.placed) if s.placed else 0.0
        lines = [
            f"applicants: {s.candidates}, placed: {s.placed}, unplaced: {s.unplaced}",
            f"in the preferred municipality: {s.preferred} ({pct:.1f}% of placed)",
            f"distance: total {s.total_distance_km:,.1f} km, mean {s.mean_distance_km:.2f} km",
            "distance histogram (km): "
            + ", ".join(f"{label}: {n}" for label, n in s.histogram.items()),
            f"model: {s.groups} groups, {s.variables} variables, {s.constraints} constraints, "
            f"{s.solves} HiGHS solve(s), "
            + (
                "proven optimal" if s.optimal else "time limit: best plan found, NOT proven optimal"
            ),
            f"build {s.build_seconds:.3f} s, solve {s.solve_seconds:.3f} s",
        ]
        reasons = Counter(str(r) for r in self.unplaced.values())
        for reason, n in sorted(reasons.items()):
            lines.append(f"unplaced, {reason}: {n}")
        return lines


def check(
    plan: Plan,
    candidates: Iterable[Candidate],
    centres: Iterable[Centre],
    sessions: Iterable[Session],
    coords: Mapping[str, tuple[float, float]] | None = None,
) -> list[str]:
    """Independent check of a plan's hard rules; returns the violations (empty = valid).

    Every candidate is either placed or unplaced (with a reason), never both; a placed
    applicant sits exactly their own items, each in a session of that item hosted by
    their one centre; adapted applicants only in adapted centres (A12.3, A17.2); no
    (centre, session) above the centre's seats; no centre above its quota (A17.2(b)).
    With ``coords`` the distances and the preferred flags are checked too.
    """
    cands = {a.key: a for a in candidates}
    cents = {c.key: c for c in centres}
    sess = {s.key: s for s in sessions}
    problems: list[str] = []
    both = set(plan.placements) & set(plan.unplaced)
    if both:
        problems.append(f"placed and unplaced: {sorted(both)[:10]}")
    missing = set(cands) - set(plan.placements) - set(plan.unplaced)
    if missing:
        problems.append(f"neither placed nor unplaced: {sorted(missing)[:10]}")
    extra = (set(plan.placements) | set(plan.unplaced)) - set(cands)
    if extra:
        problems.append(f"unknown candidates in the plan: {sorted(extra)[:10]}")
    for key, reason in plan.unplaced.items():
        if not isinstance(reason, Unplaced) or reason.code not in set(Reason):
            problems.append(f"candidate {key}: unplaced without a reason")
    dist: tuple[dict[str, int], npt.NDArray[np.float64]] | None = None
    if coords is not None:
        names, km = distance_matrix(coords)
        index = {n: i for i, n in enumerate(names)}
        dist = (index, km)
    per_session: Counter[tuple[int, int]] = Counter()
    per_centre: Counter[int] = Counter()
    for key, p in plan.placements.items():
        a, c = cands.get(key), cents.get(p.centre)
        if a is None:
            continue
        if c is None:
            problems.append(f"candidate {key}: unknown centre {p.centre}")
            continue
        per_centre[c.key] += 1
        if a.adapted and not c.adapted:
            problems.append(f"candidate {key}: adapted applicant at non-adapted centre {c.key}")
        if set(p.sittings) != set(a.items):
            problems.append(f"candidate {key}: sits {sorted(p.sittings)} not {sorted(a.items)}")
        hosted = set(c.sessions)
        for item, skey in p.sittings.items():
            s = sess.get(skey)
            if s is None or s.item != item:
                problems.append(f"candidate {key}: session {skey} is not for {item}")
            if skey not in hosted:
                problems.append(f"candidate {key}: centre {c.key} does not host session {skey}")
            per_session[(c.key, skey)] += 1
        if p.preferred != (c.municipality == a.municipality):
            problems.append(f"candidate {key}: wrong preferred flag")
        if dist is not None:
            index, km = dist
            want = float(km[index[a.municipality], index[c.municipality]])
            if abs(want - p.distance_km) > 1e-9:
                problems.append(f"candidate {key}: distance {p.distance_km} != {want}")
    for (ckey, skey), n in sorted(per_session.items()):
        if n > cents[ckey].seats:
            problems.append(f"centre {ckey} session {skey}: {n} > {cents[ckey].seats} seats")
    for ckey, n in sorted(per_centre.items()):
        quota = cents[ckey].quota
        if quota is not None and n > quota:
            problems.append(f"centre {ckey}: {n} applicants > quota {quota}")
    return problems
