"""Independent checker of an allocation result (A27.2, A27.9, A27.10).

This is deliberately a separate code path from the solver: it recomputes
everything from the instance and the assignment with plain numpy and checks

* each assigned applicant got a programme on their own list;
* per programme: ``admitted``, ``cutoff`` (lowest admitted score) and
  ``extra_places = max(0, admitted - capacity)`` (A27.10);
* the tie rule (A27.9): a programme is over capacity only through a tie at the
  cut-off, i.e. ``admitted > capacity`` implies fewer than ``capacity``
  admitted have a score above the cut-off (so capacity 0 admits nobody);
* stability (A27.2): for every programme an applicant ranks above the one
  obtained, the programme has no free place and its cut-off is strictly
  above the applicant's score for it;
* the explanations: exactly one per programme ranked above the one obtained,
  in list order, ``no_places`` exactly when the capacity is 0, otherwise the
  true cut-off and the applicant's true score.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kari.allocation.instance import Instance
from kari.allocation.solver import Result

__all__ = ["VerificationError", "check", "verify"]

MAX_PROBLEMS = 20


class VerificationError(AssertionError):
    """The result breaks a rule; ``problems`` lists what was found."""

    def __init__(self, problems: list[str]):
        super().__init__("allocation check failed:\n  " + "\n  ".join(problems))
        self.problems = problems


def verify(instance: Instance, result: Result) -> None:
    """Raise VerificationError unless ``check`` finds nothing."""
    problems = check(instance, result)
    if problems:
        raise VerificationError(problems)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality where NaN equals NaN."""
    same: np.ndarray = (a == b) | (np.isnan(a) & np.isnan(b))
    return same


def check(instance: Instance, result: Result) -> list[str]:
    """Return a list of problems (empty when the result is correct)."""
    problems: list[str] = []
    apps, progs = instance.applicant_ids, instance.programme_ids
    n_app, n_prog = len(apps), len(progs)
    cap = instance.capacity.astype(np.int64)
    offsets, prefs, scores = instance.offsets, instance.prefs.astype(np.int64), instance.scores

    def report(message: str, where: np.ndarray, name: Callable[[int], str]) -> None:
        for i in np.flatnonzero(where)[: MAX_PROBLEMS - len(problems)].tolist():
            problems.append(message.format(name(i)))

    shapes = {
        "assignment": (result.assignment, n_app),
        "admitted": (result.admitted, n_prog),
        "cutoff": (result.cutoff, n_prog),
        "extra_places": (result.extra_places, n_prog),
        "expl_offsets": (result.expl_offsets, n_app + 1),
    }
    for field, (arr, n) in shapes.items():
        if np.shape(arr) != (n,):
            problems.append(f"result {field}: wrong shape {np.shape(arr)}, expected ({n},)")
    if problems:
        return problems

    assign = result.assignment.astype(np.int64)
    if ((assign < -1) | (assign >= n_prog)).any():
        report(
            "applicant {}: assignment is not a programme",
            (assign < -1) | (assign >= n_prog),
            apps.__getitem__,
        )
        return problems

    # Where is each applicant's programme on their list?
    lengths = np.diff(offsets)
    row = np.repeat(np.arange(n_app), lengths)
    local = np.arange(prefs.size) - offsets[:-1][row]
    hit = prefs == assign[row]
    assigned = assign >= 0
    listed = np.bincount(row[hit], minlength=n_app) == 1
    report(
        "applicant {}: assigned a programme not on their list", assigned & ~listed, apps.__getitem__
    )
    if problems:
        return problems
    rank = lengths.copy()  # unassigned: every listed programme is "above"
    rank[row[hit]] = local[hit]
    own_score = np.full(n_app, np.nan)
    own_score[row[hit]] = scores[hit]

    # Per-programme figures, recomputed (A27.10).
    taken = assign[assigned]
    taken_score = own_score[assigned]
    admitted = np.bincount(taken, minlength=n_prog)
    low = np.full(n_prog, np.inf)
    np.minimum.at(low, taken, taken_score)
    cutoff = np.where(admitted > 0, low, np.nan)
    above = np.bincount(taken[taken_score > cutoff[taken]], minlength=n_prog)
    extra = np.maximum(admitted - cap, 0)
    pname = progs.__getitem__
    report("programme {}: admitted figure is wrong", result.admitted != admitted, pname)
    report(
        "programme {}: cutoff figure is wrong",
        ~_same(result.cutoff.astype(np.float64), cutoff),
        pname,
    )
    report(
        "programme {}: extra_places figure is wrong (A27.10)", result.extra_places != extra, pname
    )

    # Over capacity only through a tie at the cut-off (A27.9).
    report(
        "programme {}: over capacity without a tie at the cut-off (A27.9)",
        (admitted > cap) & (above >= cap),
        pname,
    )

    # Stability (A27.2): every programme ranked above the one obtained refuses.
    better = local < rank[row]
    q = prefs[better]
    s = scores[better]
    who = row[better]
    free = admitted[q] < cap[q]
    report("applicant {}: a programme ranked higher has a free place", free, lambda i: apps[who[i]])
    # NaN cut-off (nobody admitted) compares False, as it should.
    beaten = cutoff[q] <= s
    report(
        "applicant {}: scores at least the cut-off of a programme ranked higher",
        beaten,
        lambda i: apps[who[i]],
    )

    # Explanations: one per programme ranked above, in order, with true figures.
    if not np.array_equal(np.diff(result.expl_offsets), rank) or result.expl_offsets[0] != 0:
        bad = np.diff(result.expl_offsets) != rank
        report("applicant {}: wrong number of explanations", bad, apps.__getitem__)
        if not problems:
            problems.append("explanations: offsets do not start at 0")
        return problems
    n_expl = int(rank.sum())
    for field in ("expl_programme", "expl_no_places", "expl_cutoff", "expl_score"):
        if np.shape(getattr(result, field)) != (n_expl,):
            problems.append(f"result {field}: wrong shape, expected ({n_expl},)")
    if problems:
        return problems
    no_places = cap[q] == 0
    rcut = result.expl_cutoff.astype(np.float64)
    rscore = result.expl_score.astype(np.float64)
    wrong = (result.expl_programme.astype(np.int64) != q) | (
        result.expl_no_places.astype(bool) != no_places
    )
    wrong |= ~no_places & ((rcut != cutoff[q]) | (rscore != s) | ~(rscore < rcut))
    report("applicant {}: an explanation is wrong", wrong, lambda i: apps[who[i]])
    return problems
