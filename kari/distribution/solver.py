"""Distribution of registered applicants to exam centres and sessions (A17.2, A15.8, A12.3(e)).

After registration closes EMIS, with NAEC, distributes every registered applicant to one
exam centre (A17.2, A12.3(e)) and, for each test item they sit (their skills test and each
subject of their subject group), to one session of that item hosted there.

Formulation (an integer transportation problem with side constraints, solved exactly with
HiGHS through ``scipy.optimize.linprog`` and ``scipy.optimize.milp``):

* Applicants with the same preferred municipality, adapted-environment need and item set
  are interchangeable, so they form one *group* ``g`` of size ``n_g``.
* A centre ``c`` is *compatible* with ``g`` if it has seats, a quota other than 0, hosts
  at least one session of every item of ``g`` and, for an adapted group, is adapted.
* Variables: ``x[g,c] >= 0`` integer (applicants of ``g`` sent to ``c``) for compatible
  pairs only, and ``u[g] >= 0`` integer (applicants of ``g`` left unplaced: the dummy
  "unplaced" option).
* ``sum_c x[g,c] + u[g] = n_g``;
  for every centre ``c`` and item ``i``: ``sum_{g needs i} x[g,c] <= seats_c * sessions_c(i)``
  (sessions never overlap, so the per-item total is the only coupling: any such total
  can be split over the item's sessions without exceeding the seats of any one);
  for a centre with a quota (A17.2(b)): ``sum_g x[g,c] <= quota_c``.
* Objective: total km from the preferred municipality to the centre's municipality
  (0 within the municipality, A15.8), plus a large cost per unplaced applicant. If that
  leaves somebody unplaced and the LP bound does not prove that nobody more can be placed,
  the problem is re-solved lexicographically: first the fewest unplaced, then the least
  total distance with exactly that many unplaced.

The per-(centre, item) rows make this more than a network flow (one applicant uses
capacity of several items), so the LP relaxation may be fractional, and HiGHS's branch
and bound over all ~250,000 columns of a national round is slow. So the LP relaxation is
solved first (dual simplex, a few seconds); if it is integral it is optimal, otherwise
reduced-cost fixing (see ``_solve``) proves that only the columns with a small LP reduced
cost can appear in an optimum, and the MIP (zero relative gap) is solved over those
alone: a proven optimum of the full model. Placing applicants in their own
municipality costs 0, so applicants stay there as far as capacity allows, and overflow
goes to the nearest centres with room (distance minimality is the objective; with the
triangle inequality an optimum sends somebody away from home only when capacity for
their items there is taken by applicants whose own alternatives would cost more).

Expansion to individuals is deterministic: a group's members in key order go first to
its nearest centres (ties by centre key); if some of a group stay unplaced, they are the
members with the largest keys (the latest registrations). At each centre, an item's
applicants in key order are split over the item's sessions there *balanced* (session
order = key order; the first ``n mod k`` sessions take one more), which keeps rooms
evenly filled and leaves spare seats in every session.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from kari.distribution.model import (
    Candidate,
    Centre,
    Session,
    distance_matrix,
    validate,
)
from kari.distribution.plan import HISTOGRAM_BUCKETS, Placement, Plan, Stats, bucket

__all__ = ["SolverError", "distribute"]


class SolverError(RuntimeError):
    """HiGHS failed (numerical trouble, or the time limit before any plan was found)."""


# Columns whose LP reduced cost is at most this (km) go into the first restricted MIP;
# each further MIP widens the threshold by GROWTH, up to the proven gap.
FIRST_REDUCED_COST_KM = 2.0
GROWTH = 6.0


def _feasible(a_matrix, row_lb, row_ub, x) -> bool:
    ax = a_matrix @ x.astype(np.float64)
    return bool(np.all(ax >= row_lb - 0.5) and np.all(ax <= row_ub + 0.5))


class _Run:
    """Time budget and bookkeeping shared by the HiGHS calls of one distribution."""

    def __init__(self, time_limit: float | None):
        self.deadline = None if time_limit is None else time.perf_counter() + float(time_limit)
        self.calls = 0
        self.optimal = True

    def options(self, **extra) -> dict:
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                raise SolverError("time limit reached before the solve")
            extra["time_limit"] = left
        return extra


def _mip(cost, a_matrix, row_lb, row_ub, ub, run: _Run) -> np.ndarray:
    run.calls += 1
    res = milp(
        c=cost,
        integrality=np.ones(cost.size, dtype=np.uint8),
        bounds=Bounds(np.zeros(cost.size), ub),
        constraints=[LinearConstraint(a_matrix, row_lb, row_ub)] if a_matrix.shape[0] else [],
        options=run.options(mip_rel_gap=0.0, presolve=True),
    )
    if res.status == 1 and res.x is not None:
        run.optimal = False  # time limit: the best plan found, not proven optimal
    elif res.status != 0 or res.x is None:
        raise SolverError(f"HiGHS MIP: {res.message} (status {res.status})")
    return np.rint(res.x).astype(np.int64)


def _lp(cost, a_matrix, row_lb, row_ub, ub, run: _Run, method: str = "highs-ds"):
    """The LP relaxation (HiGHS; dual simplex by default, or interior point with crossover
    for the highly degenerate count objective), with reduced costs in the marginals."""
    eq = row_lb == row_ub
    if np.any(~eq & (row_lb > -np.inf)):
        raise SolverError("only equality and <= rows are supported")
    run.calls += 1
    lp = linprog(
        cost,
        A_ub=a_matrix[np.flatnonzero(~eq)] if (~eq).any() else None,
        b_ub=row_ub[~eq] if (~eq).any() else None,
        A_eq=a_matrix[np.flatnonzero(eq)] if eq.any() else None,
        b_eq=row_ub[eq] if eq.any() else None,
        bounds=np.column_stack([np.zeros(cost.size), ub]),
        method=method,
        options=run.options(),
    )
    if lp.status != 0 or lp.x is None:
        raise SolverError(f"HiGHS LP: {lp.message} (status {lp.status})")
    return lp


def _solve(cost, a_matrix, row_lb, row_ub, ub, keep, run: _Run, lp=None) -> np.ndarray:
    """A proven integer optimum of ``min cost.x, row_lb <= A x <= row_ub, 0 <= x <= ub``.

    The LP relaxation over every column is solved first (dual simplex). If its optimum
    is integral it is the answer. Otherwise the MIP is solved over the columns that can
    matter, by *reduced-cost fixing*: with LP optimum ``z_LP`` and reduced costs ``d``,
    every feasible integer ``x`` has ``cost.x >= z_LP + d_j x_j`` for each column ``j`` with
    ``d_j > 0``; so once some integer solution of cost ``z`` is known, columns with
    ``d_j > z - z_LP`` are 0 in every solution at least as good. MIPs are solved over
    the LP support, ``keep`` (which keeps them feasible) and the columns with
    ``d_j <= tau``, ``tau`` starting at ``FIRST_REDUCED_COST_KM`` and growing by ``GROWTH``
    (never beyond the gap), until every column with ``d_j <= z_best - z_LP`` is in: then
    the best solution is optimal for the full model. If the time limit stops a MIP, the
    best solution found so far is returned and ``run.optimal`` is cleared.
    """
    if lp is None:
        lp = _lp(cost, a_matrix, row_lb, row_ub, ub, run)
    rounded = np.rint(lp.x).astype(np.int64)
    if np.abs(lp.x - rounded).max(initial=0.0) <= 1e-7 and _feasible(
        a_matrix, row_lb, row_ub, rounded
    ):
        return rounded
    reduced = lp.lower.marginals + lp.upper.marginals
    margin = 1e-3 + 1e-9 * abs(lp.fun)
    base = (lp.x > 1e-9) | keep
    tau = FIRST_REDUCED_COST_KM
    cols = base | (reduced <= tau)
    best, best_cost = None, np.inf
    while True:
        idx = np.flatnonzero(cols)
        part = _mip(cost[idx], a_matrix[:, idx], row_lb, row_ub, ub[idx], run)
        z = float(cost[idx] @ part)
        if z < best_cost:
            best, best_cost = np.zeros(cost.size, dtype=np.int64), z
            best[idx] = part
        gap = best_cost - lp.fun + margin
        if not run.optimal or not np.any((reduced <= gap) & ~cols):
            return best
        # Widen gradually: a better incumbent from a wider set shrinks the gap again.
        tau = min(gap, tau * GROWTH)
        cols = base | (reduced <= tau)


def distribute(
    candidates: Iterable[Candidate],
    centres: Iterable[Centre],
    sessions: Iterable[Session],
    coords: Mapping[str, tuple[float, float]],
    *,
    time_limit: float | None = None,
) -> Plan:
    """Distribute applicants to exam centres and sessions (A17.2, A15.8, A12.3(e)).

    ``coords`` maps every municipality code used to ``(lat, lon)``. Returns a :class:`Plan`
    that places as many applicants as capacity allows and, among such plans, minimises
    the total distance; the others are in ``plan.unplaced`` with a reason. The same input
    gives the same plan (``to_json()`` byte for byte) whatever the order of the inputs.
    Raises :class:`DistributionError` for inconsistent input and :class:`SolverError` if
    HiGHS fails. ``time_limit`` (seconds, default none) bounds the HiGHS calls: if it
    stops a MIP, the best plan found is returned with ``plan.stats.optimal`` False (such a
    plan still satisfies every rule, but is neither proven optimal nor reproducible).
    """
    t_start = time.perf_counter()
    cand_list = sorted(candidates, key=lambda a: a.key)
    cent_list = sorted(centres, key=lambda c: c.key)
    sess_list = sorted(sessions, key=lambda s: s.key)
    validate(cand_list, cent_list, sess_list, coords)

    names, km = distance_matrix(coords)
    muni_index = {n: i for i, n in enumerate(names)}
    session_item = {s.key: s.item for s in sess_list}
    items = sorted({s.item for s in sess_list} | {i for a in cand_list for i in a.items})
    item_index = {item: i for i, item in enumerate(items)}
    n_c, n_i = len(cent_list), len(items)

    # Per centre and item: hosted session keys (timetable order) and capacity.
    hosted: list[dict[str, list[int]]] = []
    cap = np.zeros((n_c, n_i), dtype=np.int64)
    for ci, c in enumerate(cent_list):
        per: dict[str, list[int]] = {}
        for skey in sorted(c.sessions):
            per.setdefault(session_item[skey], []).append(skey)
        hosted.append(per)
        for item, keys in per.items():
            cap[ci, item_index[item]] = c.seats * len(keys)
    hosts = cap > 0
    usable = np.array([c.seats > 0 and c.quota != 0 for c in cent_list], dtype=bool)
    c_adapted = np.array([c.adapted for c in cent_list], dtype=bool)
    c_muni = np.array([muni_index[c.municipality] for c in cent_list], dtype=np.int64)
    quota = [c.quota for c in cent_list]

    # Groups of interchangeable applicants, in sorted order; members in key order.
    members: dict[tuple[str, bool, tuple[str, ...]], list[int]] = {}
    for a in cand_list:
        members.setdefault((a.municipality, a.adapted, tuple(sorted(a.items))), []).append(a.key)
    group_keys = sorted(members)
    n_g = len(group_keys)
    size = np.array([len(members[k]) for k in group_keys], dtype=np.int64)
    g_adapted = np.array([k[1] for k in group_keys], dtype=bool)
    g_muni = np.array([muni_index[k[0]] for k in group_keys], dtype=np.int64)
    g_items = [[item_index[i] for i in k[2]] for k in group_keys]
    incidence = np.zeros((n_g, n_i), dtype=np.int64)
    for g, idx in enumerate(g_items):
        incidence[g, idx] = 1
    lacking = incidence @ (~hosts).astype(np.int64).T  # (G, C): items the centre lacks
    kind_ok = ~g_adapted[:, None] | c_adapted[None, :]
    compat = (lacking == 0) & usable[None, :] & kind_ok

    unplaced: dict[int, str] = {}
    offered = {s.item for s in sess_list}
    solvable = compat.any(axis=1)
    for g in np.flatnonzero(~solvable):
        muni, adapted, its = group_keys[g]
        reason = _structural_reason(its, adapted, offered, item_index, hosts, usable, c_adapted)
        for key in members[group_keys[g]]:
            unplaced[key] = reason

    # The model: x for compatible pairs (group-major), then u for solvable groups.
    pair_g, pair_c = np.nonzero(compat)
    n_x = pair_g.size
    groups_s = np.flatnonzero(solvable)
    n_u = groups_s.size
    u_of_group = np.full(n_g, -1, dtype=np.int64)
    u_of_group[groups_s] = np.arange(n_u)
    dist_x = km[g_muni[pair_g], c_muni[pair_c]]
    ub = np.concatenate([size[pair_g], size[groups_s]]).astype(np.float64)

    rows, cols, lb_rows, ub_rows = [], [], [], []
    # Group rows: sum_c x[g,c] + u[g] = n_g.
    rows += [u_of_group[pair_g], np.arange(n_u)]
    cols += [np.arange(n_x), n_x + np.arange(n_u)]
    lb_rows.append(size[groups_s].astype(np.float64))
    ub_rows.append(size[groups_s].astype(np.float64))
    n_rows = n_u
    # Item rows: per (centre, item), only those that could bind.
    item_counts = incidence.sum(axis=1)
    rep = np.repeat(np.arange(n_x), item_counts[pair_g])
    flat_items = (
        np.concatenate([np.asarray(g_items[g], dtype=np.int64) for g in pair_g])
        if n_x
        else np.zeros(0, np.int64)
    )
    ci_row = pair_c[rep] * n_i + flat_items
    demand = np.bincount(ci_row, weights=size[pair_g][rep], minlength=n_c * n_i)
    binding = np.flatnonzero(demand > cap.ravel())
    row_of = np.full(n_c * n_i, -1, dtype=np.int64)
    row_of[binding] = n_rows + np.arange(binding.size)
    in_row = row_of[ci_row] >= 0
    rows.append(row_of[ci_row][in_row])
    cols.append(rep[in_row])
    lb_rows.append(np.full(binding.size, -np.inf))
    ub_rows.append(cap.ravel()[binding].astype(np.float64))
    n_rows += binding.size
    # Quota rows (A17.2(b)).
    c_demand = np.bincount(pair_c, weights=size[pair_g], minlength=n_c)
    for ci in range(n_c):
        if quota[ci] is not None and c_demand[ci] > quota[ci]:
            sel = np.flatnonzero(pair_c == ci)
            rows.append(np.full(sel.size, n_rows))
            cols.append(sel)
            lb_rows.append(np.array([-np.inf]))
            ub_rows.append(np.array([float(quota[ci])]))
            n_rows += 1
    row_lb, row_ub = np.concatenate(lb_rows), np.concatenate(ub_rows)
    a_matrix = sparse.csr_array(
        (np.ones(sum(r.size for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, n_x + n_u),
    )
    t_built = time.perf_counter()

    run = _Run(time_limit)
    x = np.zeros(n_x, dtype=np.int64)
    u = np.zeros(n_u, dtype=np.int64)
    if n_x:
        keep = np.concatenate([np.zeros(n_x, dtype=bool), np.ones(n_u, dtype=bool)])
        big = 2.0 * float(km.max(initial=0.0)) + 1000.0
        cost = np.concatenate([dist_x, np.full(n_u, big)])
        sol = _solve(cost, a_matrix, row_lb, row_ub, ub, keep, run)
        left_out = int(sol[n_x:].sum())
        count = np.concatenate([np.zeros(n_x), np.ones(n_u)])
        count_lp = None
        if left_out:
            count_lp = _lp(count, a_matrix, row_lb, row_ub, ub, run, method="highs-ipm")
        if left_out and (not run.optimal or math.ceil(count_lp.fun - 1e-6) < left_out):
            # Lexicographic: the fewest unplaced, then the least distance with that many.
            # (Skipped when the LP bound shows nobody more can be placed: the weighted
            # optimum then already has the least distance among plans with that many.)
            first = _solve(count, a_matrix, row_lb, row_ub, ub, keep, run, lp=count_lp)
            fewest = int(first[n_x:].sum())
            fewest = min(fewest, left_out)
            extra = sparse.csr_array(
                (np.ones(n_u), (np.zeros(n_u, dtype=np.int64), n_x + np.arange(n_u))),
                shape=(1, n_x + n_u),
            )
            sol = _solve(
                np.concatenate([dist_x, np.zeros(n_u)]),
                sparse.vstack([a_matrix, extra]).tocsr(),
                np.append(row_lb, -np.inf),
                np.append(row_ub, float(fewest)),
                ub,
                keep,
                run,
            )
        x, u = sol[:n_x], sol[n_x:]
    t_solved = time.perf_counter()

    # Aggregate loads, then reasons for the capacity-unplaced.
    load_ci = (
        np.bincount(ci_row, weights=x[rep], minlength=n_c * n_i).astype(np.int64).reshape(n_c, n_i)
        if n_x
        else np.zeros((n_c, n_i), np.int64)
    )
    load_c = np.bincount(pair_c, weights=x, minlength=n_c).astype(np.int64)
    if np.any(load_ci > cap) or any(q is not None and load_c[ci] > q for ci, q in enumerate(quota)):
        raise SolverError("HiGHS returned a solution above capacity")

    # Expansion to individuals, group by group.
    centre_of: dict[int, int] = {}  # candidate key -> centre index
    starts = np.searchsorted(pair_g, np.arange(n_g + 1))
    for g in groups_s:
        keys = members[group_keys[g]]
        lo, hi = starts[g], starts[g + 1]
        order = sorted(range(lo, hi), key=lambda p: (dist_x[p], pair_c[p]))
        pos = 0
        for p in order:
            for key in keys[pos : pos + x[p]]:
                centre_of[key] = int(pair_c[p])
            pos += int(x[p])
        if pos + u[u_of_group[g]] != len(keys):
            raise SolverError("HiGHS returned a solution that does not cover a group")
        if pos < len(keys):
            reason = _capacity_reason(
                [items[i] for i in g_items[g]],
                g_items[g],
                np.flatnonzero(compat[g]),
                load_ci,
                cap,
                load_c,
                quota,
            )
            for key in keys[pos:]:
                unplaced[key] = reason

    # Sessions: per centre and item, applicants in key order, balanced over the sessions.
    cand_by_key = {a.key: a for a in cand_list}
    at_centre: list[list[int]] = [[] for _ in range(n_c)]
    for key in sorted(centre_of):
        at_centre[centre_of[key]].append(key)
    sittings: dict[int, dict[str, int]] = {key: {} for key in centre_of}
    session_load: dict[int, dict[int, int]] = {}
    for ci, keys in enumerate(at_centre):
        per_session: dict[int, int] = {}
        by_item: dict[str, list[int]] = {}
        for key in keys:
            for item in cand_by_key[key].items:
                by_item.setdefault(item, []).append(key)
        for item in sorted(by_item):
            who, slots = by_item[item], hosted[ci][item]
            base, rest = divmod(len(who), len(slots))
            pos = 0
            for j, skey in enumerate(slots):
                take = base + (1 if j < rest else 0)
                for key in who[pos : pos + take]:
                    sittings[key][item] = skey
                pos += take
                if take:
                    per_session[skey] = take
        if keys:
            session_load[cent_list[ci].key] = dict(sorted(per_session.items()))

    placements: dict[int, Placement] = {}
    histogram = {label: 0 for label, _ in HISTOGRAM_BUCKETS}
    total = 0.0
    preferred = 0
    for key in sorted(centre_of):
        a, c = cand_by_key[key], cent_list[centre_of[key]]
        d = float(km[muni_index[a.municipality], muni_index[c.municipality]])
        is_home = c.municipality == a.municipality
        placements[key] = Placement(c.key, dict(sorted(sittings[key].items())), d, is_home)
        histogram[bucket(d)] += 1
        total += d
        preferred += is_home
    unplaced = dict(sorted(unplaced.items()))
    stats = Stats(
        candidates=len(cand_list),
        placed=len(placements),
        unplaced=len(unplaced),
        preferred=preferred,
        total_distance_km=round(total, 3),
        mean_distance_km=round(total / len(placements), 3) if placements else 0.0,
        histogram=histogram,
        centre_load={c.key: int(load_c[ci]) for ci, c in enumerate(cent_list) if load_c[ci]},
        session_load=session_load,
        groups=n_g,
        variables=n_x + n_u,
        constraints=n_rows,
        solves=run.calls,
        optimal=run.optimal,
        build_seconds=t_built - t_start,
        solve_seconds=t_solved - t_built,
    )
    return Plan(placements=placements, unplaced=unplaced, stats=stats)


def _structural_reason(its, adapted, offered, item_index, hosts, usable, c_adapted) -> str:
    """Why no centre at all can take this kind of applicant."""
    missing = [i for i in its if i not in offered]
    if missing:
        return f"no session for item {missing[0]}"
    allowed = usable & (c_adapted if adapted else True)
    if adapted and not allowed.any():
        return "no adapted centre"
    kind = "adapted centre" if adapted else "centre"
    if not allowed.any():
        return "no centre with seats"
    for item in its:
        if not hosts[allowed, item_index[item]].any():
            return f"no {kind} hosts item {item}"
    return f"no {kind} hosts all of: {', '.join(its)}"


def _capacity_reason(names, idx, compatible, load_ci, cap, load_c, quota) -> str:
    """Why an applicant stays unplaced although some centre could take their kind:
    every compatible centre is full for one of their items or has reached its quota."""
    for name, i in zip(names, idx, strict=True):
        if all(load_ci[c, i] >= cap[c, i] for c in compatible):
            return f"no capacity for item {name}"
    if all(quota[c] is not None and load_c[c] >= quota[c] for c in compatible):
        return "centre quotas reached"
    return "no capacity: every possible centre is full for one of the applicant's items"
