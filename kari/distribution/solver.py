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

The steps live in their own modules: ``build`` (the model), this module (solving with
HiGHS), ``expand`` (groups to individuals, then sessions) and ``plan.figures`` (the
statistics, also used by the exam pages after a move).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from kari.distribution.build import Model, build_model
from kari.distribution.expand import assign_sessions, expand_groups
from kari.distribution.model import Candidate, Centre, Session, SolverError, validate
from kari.distribution.plan import Placement, Plan, Stats, figures

__all__ = ["SolverError", "distribute"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Columns whose LP reduced cost is at most this (km) go into the first restricted MIP;
# each further MIP widens the threshold by GROWTH, up to the proven gap.
FIRST_REDUCED_COST_KM = 2.0
GROWTH = 6.0


def _feasible(
    a_matrix: sparse.csr_array, row_lb: FloatArray, row_ub: FloatArray, x: IntArray
) -> bool:
    ax = a_matrix @ x.astype(np.float64)
    return bool(np.all(ax >= row_lb - 0.5) and np.all(ax <= row_ub + 0.5))


class _Run:
    """Time budget and bookkeeping shared by the HiGHS calls of one distribution."""

    def __init__(self, time_limit: float | None):
        self.deadline = None if time_limit is None else time.perf_counter() + float(time_limit)
        self.calls = 0
        self.optimal = True

    def options(self, **extra: Any) -> dict[str, Any]:
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                raise SolverError("time limit reached before the solve")
            extra["time_limit"] = left
        return extra


def _mip(
    cost: FloatArray,
    a_matrix: sparse.csr_array,
    row_lb: FloatArray,
    row_ub: FloatArray,
    ub: FloatArray,
    run: _Run,
) -> IntArray:
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
    solution: IntArray = np.rint(res.x).astype(np.int64)
    return solution


def _lp(
    cost: FloatArray,
    a_matrix: sparse.csr_array,
    row_lb: FloatArray,
    row_ub: FloatArray,
    ub: FloatArray,
    run: _Run,
    method: str = "highs-ds",
) -> Any:
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


def _solve(
    cost: FloatArray,
    a_matrix: sparse.csr_array,
    row_lb: FloatArray,
    row_ub: FloatArray,
    ub: FloatArray,
    keep: BoolArray,
    run: _Run,
    lp: Any = None,
) -> IntArray:
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
    rounded: IntArray = np.rint(lp.x).astype(np.int64)
    if np.abs(lp.x - rounded).max(initial=0.0) <= 1e-7 and _feasible(
        a_matrix, row_lb, row_ub, rounded
    ):
        return rounded
    reduced = lp.lower.marginals + lp.upper.marginals
    margin = 1e-3 + 1e-9 * abs(lp.fun)
    base = (lp.x > 1e-9) | keep
    tau = FIRST_REDUCED_COST_KM
    cols = base | (reduced <= tau)
    best: IntArray = np.zeros(cost.size, dtype=np.int64)
    best_cost = np.inf
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


def solve_model(model: Model, run: _Run) -> tuple[IntArray, IntArray]:
    """The model's ``x`` and ``u``: the fewest unplaced, then the least total distance.

    The weighted objective (km, plus a large cost per unplaced applicant) is solved first;
    if it leaves somebody unplaced and the LP bound of the count objective does not prove
    that nobody more can be placed, the problem is re-solved lexicographically.
    """
    n_x, n_u = model.n_x, model.n_u
    if not n_x:
        return np.zeros(0, dtype=np.int64), np.zeros(n_u, dtype=np.int64)
    a_matrix, row_lb, row_ub, ub = model.a_matrix, model.row_lb, model.row_ub, model.ub
    keep = np.concatenate([np.zeros(n_x, dtype=bool), np.ones(n_u, dtype=bool)])
    big = 2.0 * float(model.km.max(initial=0.0)) + 1000.0
    cost = np.concatenate([model.dist_x, np.full(n_u, big)])
    sol = _solve(cost, a_matrix, row_lb, row_ub, ub, keep, run)
    left_out = int(sol[n_x:].sum())
    if left_out:
        count = np.concatenate([np.zeros(n_x), np.ones(n_u)])
        count_lp = _lp(count, a_matrix, row_lb, row_ub, ub, run, method="highs-ipm")
        if not run.optimal or math.ceil(count_lp.fun - 1e-6) < left_out:
            # Lexicographic: the fewest unplaced, then the least distance with that many.
            # (Skipped when the LP bound shows nobody more can be placed: the weighted
            # optimum then already has the least distance among plans with that many.)
            first = _solve(count, a_matrix, row_lb, row_ub, ub, keep, run, lp=count_lp)
            fewest = min(int(first[n_x:].sum()), left_out)
            extra = sparse.csr_array(
                (np.ones(n_u), (np.zeros(n_u, dtype=np.int64), n_x + np.arange(n_u))),
                shape=(1, n_x + n_u),
            )
            sol = _solve(
                np.concatenate([model.dist_x, np.zeros(n_u)]),
                sparse.vstack([a_matrix, extra]).tocsr(),
                np.append(row_lb, -np.inf),
                np.append(row_ub, float(fewest)),
                ub,
                keep,
                run,
            )
    return sol[:n_x], sol[n_x:]


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
    the total distance; the others are in ``plan.unplaced`` with a reason code. The same
    input gives the same plan (``to_json()`` byte for byte) whatever the order of the
    inputs. Raises :class:`DistributionError` for inconsistent input and
    :class:`SolverError` if HiGHS fails. ``time_limit`` (seconds, default none) bounds the
    HiGHS calls: if it stops a MIP, the best plan found is returned with
    ``plan.stats.optimal`` False (such a plan still satisfies every rule, but is neither
    proven optimal nor reproducible).
    """
    t_start = time.perf_counter()
    cand_list = sorted(candidates, key=lambda a: a.key)
    cent_list = sorted(centres, key=lambda c: c.key)
    sess_list = sorted(sessions, key=lambda s: s.key)
    validate(cand_list, cent_list, sess_list, coords)
    model = build_model(cand_list, cent_list, sess_list, coords)
    t_built = time.perf_counter()
    run = _Run(time_limit)
    x, u = solve_model(model, run)
    t_solved = time.perf_counter()
    centre_of, unplaced = expand_groups(model, x, u)
    sittings, session_load = assign_sessions(model, centre_of)

    placements: dict[int, Placement] = {}
    munis = {a.key: a.municipality for a in cand_list}
    km, index = model.km, model.muni_index
    for key in sorted(centre_of):
        home, c = munis[key], cent_list[centre_of[key]]
        d = float(km[index[home], index[c.municipality]])
        placements[key] = Placement(
            c.key, dict(sorted(sittings[key].items())), d, c.municipality == home
        )
    figs = figures((p.distance_km, p.preferred, p.centre) for p in placements.values())
    stats = Stats(
        **vars(figs),
        candidates=len(cand_list),
        unplaced=len(unplaced),
        session_load=session_load,
        groups=len(model.group_keys),
        variables=model.n_x + model.n_u,
        constraints=model.a_matrix.shape[0],
        solves=run.calls,
        optimal=run.optimal,
        build_seconds=t_built - t_start,
        solve_seconds=t_solved - t_built,
    )
    return Plan(placements=placements, unplaced=unplaced, stats=stats)
