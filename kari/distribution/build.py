"""Building the distribution's integer model (A17.2): groups, compatible pairs and rows.

See ``kari.distribution.solver`` for the formulation. Pure Python + numpy + scipy.sparse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from kari.distribution.model import Candidate, Centre, Session, distance_matrix
from kari.distribution.reasons import Reason, Unplaced

__all__ = ["GroupKey", "Model", "build_model"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
GroupKey = tuple[str, bool, tuple[str, ...]]  # (municipality, adapted, sorted items)


@dataclass(frozen=True)
class Model:
    """The model of one distribution and what expanding its solution needs.

    Columns are ``x[g,c]`` for the compatible pairs (group-major), then ``u[g]`` for the
    groups that some centre can take (``solvable``); rows are the group rows, the binding
    (centre, item) capacity rows and the binding quota rows.
    """

    candidates: list[Candidate]  # in key order
    centres: list[Centre]  # in key order
    km: FloatArray  # municipality x municipality
    muni_index: dict[str, int]
    items: list[str]  # every item, sorted
    hosted: list[dict[str, list[int]]]  # per centre: item -> hosted session keys, in order
    cap: IntArray  # (centre, item) -> seats over the item's sessions there
    quota: list[int | None]  # per centre (A17.2(b))
    group_keys: list[GroupKey]  # sorted
    members: dict[GroupKey, list[int]]  # candidate keys, in key order
    g_items: list[list[int]]  # per group: item indices
    compat: BoolArray  # (group, centre)
    solvable: BoolArray  # per group: some centre is compatible
    pair_g: IntArray  # per x column: its group
    pair_c: IntArray  # per x column: its centre
    dist_x: FloatArray  # per x column: km from the group's municipality to the centre's
    u_of_group: IntArray  # per group: its u column among the u's, or -1
    rep: IntArray  # per (x column, item of its group): the x column
    ci_row: IntArray  # per (x column, item of its group): centre * items + item
    a_matrix: sparse.csr_array
    row_lb: FloatArray
    row_ub: FloatArray
    ub: FloatArray  # column upper bounds
    unplaced: dict[int, Unplaced]  # the applicants no centre at all can take

    @property
    def n_x(self) -> int:
        return int(self.pair_g.size)

    @property
    def n_u(self) -> int:
        return int(np.count_nonzero(self.solvable))


def build_model(
    candidates: Sequence[Candidate],
    centres: Sequence[Centre],
    sessions: Sequence[Session],
    coords: Mapping[str, tuple[float, float]],
) -> Model:
    """The model of validated input, each sequence in key order."""
    names, km = distance_matrix(coords)
    muni_index = {n: i for i, n in enumerate(names)}
    session_item = {s.key: s.item for s in sessions}
    items = sorted({s.item for s in sessions} | {i for a in candidates for i in a.items})
    item_index = {item: i for i, item in enumerate(items)}
    n_c, n_i = len(centres), len(items)

    # Per centre and item: hosted session keys (timetable order) and capacity.
    hosted: list[dict[str, list[int]]] = []
    cap = np.zeros((n_c, n_i), dtype=np.int64)
    for ci, c in enumerate(centres):
        per: dict[str, list[int]] = {}
        for skey in sorted(c.sessions):
            per.setdefault(session_item[skey], []).append(skey)
        hosted.append(per)
        for item, keys in per.items():
            cap[ci, item_index[item]] = c.seats * len(keys)
    hosts = cap > 0
    usable = np.array([c.seats > 0 and c.quota != 0 for c in centres], dtype=bool)
    c_adapted = np.array([c.adapted for c in centres], dtype=bool)
    c_muni = np.array([muni_index[c.municipality] for c in centres], dtype=np.int64)
    quota = [c.quota for c in centres]

    # Groups of interchangeable applicants, in sorted order; members in key order.
    members: dict[GroupKey, list[int]] = {}
    for a in candidates:
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

    unplaced: dict[int, Unplaced] = {}
    offered = {s.item for s in sessions}
    solvable = compat.any(axis=1)
    for g in np.flatnonzero(~solvable):
        _muni, adapted, its = group_keys[g]
        reason = _structural_reason(its, adapted, offered, item_index, hosts, usable, c_adapted)
        for key in members[group_keys[g]]:
            unplaced[key] = reason

    # The columns: x for compatible pairs (group-major), then u for solvable groups.
    pair_g, pair_c = np.nonzero(compat)
    pair_g, pair_c = pair_g.astype(np.int64, copy=False), pair_c.astype(np.int64, copy=False)
    n_x = pair_g.size
    groups_s = np.flatnonzero(solvable)
    n_u = groups_s.size
    u_of_group = np.full(n_g, -1, dtype=np.int64)
    u_of_group[groups_s] = np.arange(n_u)
    dist_x = km[g_muni[pair_g], c_muni[pair_c]]
    ub = np.concatenate([size[pair_g], size[groups_s]]).astype(np.float64)

    rows: list[IntArray] = []
    cols: list[IntArray] = []
    lb_rows: list[FloatArray] = []
    ub_rows: list[FloatArray] = []
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
    for ci, q in enumerate(quota):
        if q is not None and c_demand[ci] > q:
            sel = np.flatnonzero(pair_c == ci)
            rows.append(np.full(sel.size, n_rows))
            cols.append(sel)
            lb_rows.append(np.array([-np.inf]))
            ub_rows.append(np.array([float(q)]))
            n_rows += 1
    a_matrix = sparse.csr_array(
        (np.ones(sum(r.size for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, n_x + n_u),
    )
    return Model(
        candidates=list(candidates),
        centres=list(centres),
        km=km,
        muni_index=muni_index,
        items=items,
        hosted=hosted,
        cap=cap,
        quota=quota,
        group_keys=group_keys,
        members=members,
        g_items=g_items,
        compat=compat,
        solvable=solvable,
        pair_g=pair_g,
        pair_c=pair_c,
        dist_x=dist_x,
        u_of_group=u_of_group,
        rep=rep,
        ci_row=ci_row,
        a_matrix=a_matrix,
        row_lb=np.concatenate(lb_rows),
        row_ub=np.concatenate(ub_rows),
        ub=ub,
        unplaced=unplaced,
    )


def _structural_reason(
    its: tuple[str, ...],
    adapted: bool,
    offered: set[str],
    item_index: dict[str, int],
    hosts: BoolArray,
    usable: BoolArray,
    c_adapted: BoolArray,
) -> Unplaced:
    """Why no centre at all can take this kind of applicant."""
    missing = [i for i in its if i not in offered]
    if missing:
        return Unplaced(Reason.NO_SESSION, (missing[0],))
    allowed = usable & c_adapted if adapted else usable
    if adapted and not allowed.any():
        return Unplaced(Reason.NO_ADAPTED_CENTRE)
    if not allowed.any():
        return Unplaced(Reason.NO_CENTRE_WITH_SEATS)
    for item in its:
        if not hosts[allowed, item_index[item]].any():
            code = Reason.NO_ADAPTED_CENTRE_HOSTS_ITEM if adapted else Reason.NO_CENTRE_HOSTS_ITEM
            return Unplaced(code, (item,))
    code = Reason.NO_ADAPTED_CENTRE_HOSTS_ALL if adapted else Reason.NO_CENTRE_HOSTS_ALL
    return Unplaced(code, its)
