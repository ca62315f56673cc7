"""From the model's solution to individuals (A17.2): each applicant's centre, then sessions.

Deterministic: a group's members in key order go first to its nearest centres (ties by
centre key); if some of a group stay unplaced, they are the members with the largest keys
(the latest registrations). At each centre, an item's applicants in key order are split
over the item's sessions there *balanced* (session order = key order; the first
``n mod k`` sessions take one more), which keeps rooms evenly filled.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kari.distribution.build import Model
from kari.distribution.model import SolverError
from kari.distribution.reasons import Reason, Unplaced

__all__ = ["assign_sessions", "expand_groups"]

IntArray = npt.NDArray[np.int64]


def expand_groups(
    model: Model, x: IntArray, u: IntArray
) -> tuple[dict[int, int], dict[int, Unplaced]]:
    """Each placed candidate's centre (index into ``model.centres``) and every unplaced
    candidate's reason (those no centre can take, then those left out for capacity)."""
    n_c, n_i = len(model.centres), len(model.items)
    load_ci = (
        np.bincount(model.ci_row, weights=x[model.rep], minlength=n_c * n_i)
        .astype(np.int64)
        .reshape(n_c, n_i)
        if model.n_x
        else np.zeros((n_c, n_i), np.int64)
    )
    load_c = np.bincount(model.pair_c, weights=x, minlength=n_c).astype(np.int64)
    if np.any(load_ci > model.cap) or any(
        q is not None and load_c[ci] > q for ci, q in enumerate(model.quota)
    ):
        raise SolverError("HiGHS returned a solution above capacity")

    centre_of: dict[int, int] = {}
    unplaced = dict(model.unplaced)
    n_g = len(model.group_keys)
    starts = np.searchsorted(model.pair_g, np.arange(n_g + 1))
    for g in np.flatnonzero(model.solvable):
        keys = model.members[model.group_keys[g]]
        lo, hi = starts[g], starts[g + 1]
        order = sorted(range(lo, hi), key=lambda p: (model.dist_x[p], model.pair_c[p]))
        pos = 0
        for p in order:
            for key in keys[pos : pos + x[p]]:
                centre_of[key] = int(model.pair_c[p])
            pos += int(x[p])
        if pos + u[model.u_of_group[g]] != len(keys):
            raise SolverError("HiGHS returned a solution that does not cover a group")
        if pos < len(keys):
            reason = _capacity_reason(
                model.g_items[g], np.flatnonzero(model.compat[g]), load_ci, model, load_c
            )
            for key in keys[pos:]:
                unplaced[key] = reason
    return centre_of, dict(sorted(unplaced.items()))


def assign_sessions(
    model: Model, centre_of: dict[int, int]
) -> tuple[dict[int, dict[str, int]], dict[int, dict[int, int]]]:
    """Per placed candidate: item -> session key; and per centre key: session -> applicants.

    At each centre, an item's applicants in key order are split over its sessions there,
    balanced."""
    items_of = {a.key: a.items for a in model.candidates}
    at_centre: list[list[int]] = [[] for _ in model.centres]
    for key in sorted(centre_of):
        at_centre[centre_of[key]].append(key)
    sittings: dict[int, dict[str, int]] = {key: {} for key in centre_of}
    session_load: dict[int, dict[int, int]] = {}
    for ci, keys in enumerate(at_centre):
        per_session: dict[int, int] = {}
        by_item: dict[str, list[int]] = {}
        for key in keys:
            for item in items_of[key]:
                by_item.setdefault(item, []).append(key)
        for item in sorted(by_item):
            who, slots = by_item[item], model.hosted[ci][item]
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
            session_load[model.centres[ci].key] = dict(sorted(per_session.items()))
    return sittings, session_load


def _capacity_reason(
    idx: Sequence[int],
    compatible: IntArray,
    load_ci: IntArray,
    model: Model,
    load_c: IntArray,
) -> Unplaced:
    """Why an applicant stays unplaced although some centre could take their kind:
    every compatible centre is full for one of their items or has reached its quota."""
    cap, quota = model.cap, model.quota
    for i in idx:
        if all(load_ci[c, i] >= cap[c, i] for c in compatible):
            return Unplaced(Reason.NO_CAPACITY_FOR_ITEM, (model.items[i],))
    if all(quota[c] is not None and load_c[c] >= (quota[c] or 0) for c in compatible):
        return Unplaced(Reason.CENTRE_QUOTAS_REACHED)
    return Unplaced(Reason.NO_CAPACITY)
