"""Result JSON: write a :class:`Result` and read one back for checking (A27.2, A27.10).

Shape (keys in id order)::

    {"assignments": {"A1": "P3", "A2": null},
     "programmes": {"P1": {"admitted": 6, "cutoff": 21, "extra_places": 1}},
     "explanations": {"A1": [], "A2": [
         {"programme": "P3", "reason": "below_cutoff", "cutoff": 22, "score": 21},
         {"programme": "P2", "reason": "no_places"}]}}

Scores with an integral value are written as JSON integers, others as the
shortest float that reads back to the same 64-bit value.
"""

from __future__ import annotations

import math

import numpy as np

from kari.allocation.instance import Instance
from kari.allocation.solver import Result

__all__ = ["ResultFormatError", "from_json", "to_json"]


class ResultFormatError(ValueError):
    """A result JSON does not have the documented shape."""


def _numbers(values: np.ndarray) -> list:
    """float64 values as JSON numbers: integral ones as int (NaN becomes None)."""
    finite = np.isfinite(values)
    clean = np.where(finite, values, 0.0)
    if np.array_equal(clean, np.trunc(clean)):
        out = clean.astype(np.int64).tolist()
    else:
        out = [int(v) if v.is_integer() else v for v in clean.tolist()]
    if not finite.all():
        for i in np.flatnonzero(~finite).tolist():
            out[i] = None
    return out


def to_json(instance: Instance, result: Result) -> dict:
    """The result as JSON-ready data."""
    apps, progs = instance.applicant_ids, instance.programme_ids
    names = np.array([*progs, None], dtype=object)
    assignments = dict(zip(apps, names[result.assignment].tolist(), strict=True))
    programmes = {
        pid: {"admitted": adm, "cutoff": cut, "extra_places": extra}
        for pid, adm, cut, extra in zip(
            progs,
            result.admitted.tolist(),
            _numbers(result.cutoff),
            result.extra_places.tolist(),
            strict=True,
        )
    }
    entries = [
        {"programme": name, "reason": "no_places"}
        if empty
        else {"programme": name, "reason": "below_cutoff", "cutoff": cut, "score": score}
        for name, empty, cut, score in zip(
            names[result.expl_programme].tolist(),
            result.expl_no_places.tolist(),
            _numbers(result.expl_cutoff),
            _numbers(result.expl_score),
            strict=True,
        )
    ]
    off = result.expl_offsets.tolist()
    explanations = {aid: entries[off[i] : off[i + 1]] for i, aid in enumerate(apps)}
    return {"assignments": assignments, "programmes": programmes, "explanations": explanations}


def _number(value: object, where: str) -> float:
    if type(value) not in (int, float) or not math.isfinite(value):
        raise ResultFormatError(f"{where}: must be a finite number")
    return float(value)


def from_json(instance: Instance, data: object) -> Result:
    """Read result JSON back into a :class:`Result` so the checker can judge it."""
    if not isinstance(data, dict) or set(data) != {"assignments", "programmes", "explanations"}:
        raise ResultFormatError(
            'result: must be an object with "assignments", "programmes", "explanations"'
        )
    index = {pid: i for i, pid in enumerate(instance.programme_ids)}
    index[None] = -1
    apps = instance.applicant_ids
    assignments, programmes, explanations = (
        data["assignments"],
        data["programmes"],
        data["explanations"],
    )
    for field, value, ids in (
        ("assignments", assignments, apps),
        ("programmes", programmes, instance.programme_ids),
        ("explanations", explanations, apps),
    ):
        if (
            not isinstance(value, dict)
            or len(value) != len(ids)
            or not all(i in value for i in ids)
        ):
            raise ResultFormatError(f"result: {field!r} must have exactly one entry per id")
    try:
        assignment = np.array([index[assignments[a]] for a in apps], dtype=np.int32)
    except (KeyError, TypeError):
        raise ResultFormatError("result: an assignment names an unknown programme") from None
    admitted, cutoff, extra = [], [], []
    for pid in instance.programme_ids:
        figures = programmes[pid]
        if not isinstance(figures, dict):
            raise ResultFormatError(f"programme {pid!r}: must be an object")
        adm, cut, ext = figures.get("admitted"), figures.get("cutoff"), figures.get("extra_places")
        if type(adm) is not int or type(ext) is not int:
            raise ResultFormatError(
                f"programme {pid!r}: admitted and extra_places must be integers"
            )
        admitted.append(adm)
        extra.append(ext)
        cutoff.append(math.nan if cut is None else _number(cut, f"programme {pid!r}: cutoff"))
    lengths, programme, no_places, ecut, escore = [], [], [], [], []
    for aid in apps:
        items = explanations[aid]
        if not isinstance(items, list):
            raise ResultFormatError(f"explanations {aid!r}: must be a list")
        lengths.append(len(items))
        for item in items:
            where = f"explanations {aid!r}"
            if (
                not isinstance(item, dict)
                or item.get("programme") not in index
                or item.get("programme") is None
            ):
                raise ResultFormatError(f"{where}: entry must name a known programme")
            programme.append(index[item["programme"]])
            reason = item.get("reason")
            if reason == "no_places" and set(item) == {"programme", "reason"}:
                no_places.append(True)
                ecut.append(math.nan)
                escore.append(math.nan)
            elif reason == "below_cutoff" and set(item) == {
                "programme",
                "reason",
                "cutoff",
                "score",
            }:
                no_places.append(False)
                ecut.append(_number(item["cutoff"], where))
                escore.append(_number(item["score"], where))
            else:
                raise ResultFormatError(f"{where}: entry has a bad reason or fields")
    expl_offsets = np.zeros(len(apps) + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=expl_offsets[1:])
    return Result(
        assignment=assignment,
        admitted=np.asarray(admitted, dtype=np.int64),
        cutoff=np.asarray(cutoff, dtype=np.float64),
        extra_places=np.asarray(extra, dtype=np.int64),
        expl_offsets=expl_offsets,
        expl_programme=np.asarray(programme, dtype=np.int32),
        expl_no_places=np.asarray(no_places, dtype=bool),
        expl_cutoff=np.asarray(ecut, dtype=np.float64),
        expl_score=np.asarray(escore, dtype=np.float64),
    )
