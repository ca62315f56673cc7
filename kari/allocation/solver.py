"""Applicant-proposing deferred acceptance with ties at the cut-off (A27.2, A27.9).

Each programme ``p`` with capacity ``c`` holds every proposer whose score is at
least the score of its ``c``-th best proposer (A27.9: all tied at the cut-off
are held, even beyond capacity); capacity 0 holds nobody. A programme's
choice is substitutable and ignores rejected proposers, so the outcome is the
unique applicant-optimal stable outcome whatever order proposals are made in.

Data layout: the programme's held set lives in a slice of one pool array,
``start[p] : start[p] + demand[p]`` (``demand[p]`` = number of applicants
listing ``p``, which bounds the held set). The first ``min(c, demand)`` slots
are a binary min-heap of the best ``c`` held scores ("top"); the slots after
index ``c`` hold the "overflow": applicants tied with the top's minimum (the
cut-off) beyond capacity. A proposal costs ``O(log c)``; when a better
proposer raises the cut-off, the whole tied overflow is rejected at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from kari.allocation.instance import Instance

__all__ = ["Result", "solve"]


@dataclass(frozen=True)
class Result:
    """The outcome of an allocation.

    ``assignment[a]`` is a programme index or -1. Per programme: ``admitted``,
    ``cutoff`` (lowest admitted score, NaN when nobody is admitted) and
    ``extra_places = max(0, admitted - capacity)`` (A27.10). Explanations are
    in CSR form: applicant ``a`` has entries ``expl_offsets[a]:expl_offsets[a+1]``,
    one per programme ranked above the one obtained (all listed programmes if
    unassigned), best first: ``expl_programme``, ``expl_no_places`` (capacity 0),
    otherwise ``expl_cutoff`` and ``expl_score`` with score < cutoff (both NaN
    for ``no_places``).
    """

    assignment: np.ndarray  # int32 (A,)
    admitted: np.ndarray  # int64 (P,)
    cutoff: np.ndarray  # float64 (P,), NaN = nobody admitted
    extra_places: np.ndarray  # int64 (P,)
    expl_offsets: np.ndarray  # int64 (A + 1,)
    expl_programme: np.ndarray  # int32
    expl_no_places: np.ndarray  # bool
    expl_cutoff: np.ndarray  # float64 (NaN when no_places)
    expl_score: np.ndarray  # float64

    @property
    def total_extra_places(self) -> int:
        return int(self.extra_places.sum())


@numba.njit(cache=True, nogil=True)
def _sift_down(heap_app: np.ndarray, heap_score: np.ndarray, base: int, size: int, i: int) -> None:
    app = heap_app[base + i]
    score = heap_score[base + i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap_score[base + child + 1] < heap_score[base + child]:
            child += 1
        if heap_score[base + child] < score:
            heap_app[base + i] = heap_app[base + child]
            heap_score[base + i] = heap_score[base + child]
            i = child
        else:
            break
    heap_app[base + i] = app
    heap_score[base + i] = score


@numba.njit(cache=True, nogil=True)
def _deferred_acceptance(
    offsets: np.ndarray, prefs: np.ndarray, scores: np.ndarray, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n_app = offsets.shape[0] - 1
    n_prog = capacity.shape[0]
    start = np.zeros(n_prog + 1, dtype=np.int64)
    for k in range(prefs.shape[0]):
        start[prefs[k] + 1] += 1
    for p in range(n_prog):
        start[p + 1] += start[p]
    pool_app = np.empty(prefs.shape[0], dtype=np.int32)
    pool_score = np.empty(prefs.shape[0], dtype=np.float64)
    top = np.zeros(n_prog, dtype=np.int64)
    over = np.zeros(n_prog, dtype=np.int64)
    pos = offsets[:-1].copy()
    stack = np.empty(n_app, dtype=np.int64)
    sp = 0
    for a in range(n_app - 1, -1, -1):
        stack[sp] = a
        sp += 1
    while sp > 0:
        sp -= 1
        a = stack[sp]
        k = pos[a]
        end = offsets[a + 1]
        while k < end:
            p = prefs[k]
            s = scores[k]
            c = capacity[p]
            base = start[p]
            size = top[p]
            if size < c:  # free place: push onto the top heap
                i = size
                while i > 0:
                    parent = (i - 1) // 2
                    if pool_score[base + parent] <= s:
                        break
                    pool_app[base + i] = pool_app[base + parent]
                    pool_score[base + i] = pool_score[base + parent]
                    i = parent
                pool_app[base + i] = a
                pool_score[base + i] = s
                top[p] = size + 1
                break
            if c == 0:
                k += 1
                continue
            cut = pool_score[base]
            if s < cut:  # below the cut-off: rejected
                k += 1
                continue
            if s == cut:  # tied at the cut-off: held beyond capacity (A27.9)
                pool_app[base + c + over[p]] = a
                pool_score[base + c + over[p]] = s
                over[p] += 1
                break
            # Better than the cut-off: it replaces the top's minimum.
            evicted = pool_app[base]
            pool_app[base] = a
            pool_score[base] = s
            _sift_down(pool_app, pool_score, base, c, 0)
            if pool_score[base] == cut:  # the evicted one is still tied at the cut-off
                pool_app[base + c + over[p]] = evicted
                pool_score[base + c + over[p]] = cut
                over[p] += 1
            else:  # cut-off rose: reject the evicted one and the whole tied overflow
                for j in range(over[p]):
                    b = pool_app[base + c + j]
                    pos[b] += 1
                    stack[sp] = b
                    sp += 1
                over[p] = 0
                pos[evicted] += 1
                stack[sp] = evicted
                sp += 1
            break
        pos[a] = k
    assignment = np.full(n_app, -1, dtype=np.int32)
    for a in range(n_app):
        if pos[a] < offsets[a + 1]:
            assignment[a] = prefs[pos[a]]
    admitted = top + over
    cutoff = np.full(n_prog, np.nan)
    for p in range(n_prog):
        if top[p] > 0:
            cutoff[p] = pool_score[start[p]]
    return assignment, pos, admitted, cutoff


def solve(instance: Instance, explain: bool = True) -> Result:
    """Allocate applicants to programmes (A27.2-A27.4, A27.9, A27.10)."""
    from kari.allocation.explain import explanation_arrays

    assignment, pos, admitted, cutoff = _deferred_acceptance(
        instance.offsets, instance.prefs, instance.scores, instance.capacity
    )
    extra = np.maximum(admitted - instance.capacity, 0)
    if explain:
        expl = explanation_arrays(instance, pos, cutoff)
    else:
        expl = (
            np.zeros(instance.n_applicants + 1, dtype=np.int64),
            np.empty(0, dtype=np.int32),
            np.empty(0, dtype=bool),
            np.empty(0, dtype=np.float64),
            np.empty(0, dtype=np.float64),
        )
    return Result(assignment, admitted, cutoff, extra, *expl)
