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

import json
import math
from typing import Any, cast

import msgspec
import numba
import numpy as np

from kari.allocation.instance import Instance
from kari.allocation.solver import Result

__all__ = ["ResultFormatError", "dumps", "from_json", "to_json"]


class ResultFormatError(ValueError):
    """A result JSON does not have the documented shape."""


def _numbers(values: np.ndarray) -> list[int | float | None]:
    """float64 values as JSON numbers: integral ones as int (NaN becomes None)."""
    finite = np.isfinite(values)
    clean = np.where(finite, values, 0.0)
    out: list[int | float | None]
    if np.array_equal(clean, np.trunc(clean)):
        out = clean.astype(np.int64).tolist()
    else:
        out = [int(v) if v.is_integer() else v for v in clean.tolist()]
    if not finite.all():
        for i in np.flatnonzero(~finite).tolist():
            out[i] = None
    return out


def to_json(instance: Instance, result: Result) -> dict[str, Any]:
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
    if type(value) not in (int, float) or not math.isfinite(cast(float, value)):
        raise ResultFormatError(f"{where}: must be a finite number")
    return float(cast(float, value))


def from_json(instance: Instance, data: object) -> Result:
    """Read result JSON back into a :class:`Result` so the checker can judge it."""
    if not isinstance(data, dict) or set(data) != {"assignments", "programmes", "explanations"}:
        raise ResultFormatError(
            'result: must be an object with "assignments", "programmes", "explanations"'
        )
    index: dict[str | None, int] = {pid: i for i, pid in enumerate(instance.programme_ids)}
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


# ------------------------------------------------------------------ the fast writer
#
# `dumps` writes the same bytes as the standard library would for `to_json`
# (json.dumps with ensure_ascii=False and no spaces, then a newline) without
# building millions of dicts: ids are escaped once by msgspec, numbers are
# formatted once per distinct non-integral value with repr (as json does), and
# one numba loop copies the pieces into place.

_LITERALS = (
    b'{"assignments":{',
    b"null",
    b'},"programmes":{',
    b':{"admitted":',
    b',"cutoff":',
    b',"extra_places":',
    b'},"explanations":{',
    b":[",
    b'{"programme":',
    b',"reason":"no_places"}',
    b',"reason":"below_cutoff","cutoff":',
    b',"score":',
    b"}}\n",
)
(
    _HEAD,
    _NULL,
    _PROGRAMMES,
    _ADMITTED,
    _CUTOFF,
    _EXTRA,
    _EXPLANATIONS,
    _LIST,
    _ENTRY,
    _NO_PLACES,
    _BELOW,
    _SCORE,
    _TAIL,
) = range(len(_LITERALS))
_LITERAL_BYTES = np.frombuffer(b"".join(_LITERALS), dtype=np.uint8)
_LITERAL_OFFSETS = np.cumsum([0, *map(len, _LITERALS)]).astype(np.int64)
_INT, _TEXT, _NONE = 0, 1, 2


@numba.njit(cache=True, nogil=True)
def _string_bounds(buf: np.ndarray, n: int) -> np.ndarray:  # pragma: no cover - numba
    """Offsets of the n strings in a JSON array of strings: [start, end) pairs."""
    bounds = np.empty(2 * n, dtype=np.int64)
    i = 1  # after "["
    for k in range(n):
        bounds[2 * k] = i  # the opening quote
        i += 1
        while buf[i] != 34:
            i += 2 if buf[i] == 92 else 1
        bounds[2 * k + 1] = i + 1
        i += 2  # the closing quote and the "," or "]"
    return bounds


@numba.njit(cache=True, nogil=True)
def _emit(  # pragma: no cover - numba
    out: np.ndarray,
    write: bool,
    lit: np.ndarray,
    lit_off: np.ndarray,
    apps: np.ndarray,
    app_bounds: np.ndarray,
    progs: np.ndarray,
    prog_bounds: np.ndarray,
    assignment: np.ndarray,
    admitted: np.ndarray,
    extra: np.ndarray,
    num_kind: np.ndarray,
    num_value: np.ndarray,
    text: np.ndarray,
    text_off: np.ndarray,
    expl_offsets: np.ndarray,
    expl_programme: np.ndarray,
    expl_no_places: np.ndarray,
) -> int:
    """Write the result JSON into ``out`` (or, with write=False, only measure it).

    The helpers are inner functions so that numba inlines them: calls that pass
    arrays to other compiled functions cost a reference count each, which made
    this loop ten times slower.
    """

    def put(pos: int, src: np.ndarray, start: int, end: int) -> int:
        if write:
            for i in range(end - start):
                out[pos + i] = src[start + i]
        return pos + end - start

    def literal(pos: int, k: int) -> int:
        return put(pos, lit, lit_off[k], lit_off[k + 1])

    def byte(pos: int, b: int) -> int:
        if write:
            out[pos] = b
        return pos + 1

    def app(pos: int, a: int) -> int:
        return put(pos, apps, app_bounds[2 * a], app_bounds[2 * a + 1])

    def prog(pos: int, p: int) -> int:
        return put(pos, progs, prog_bounds[2 * p], prog_bounds[2 * p + 1])

    def integer(pos: int, v: int) -> int:
        if v < 0:
            pos = byte(pos, 45)
            v = -v
        digits = 1
        rest = v // 10
        while rest > 0:
            digits += 1
            rest //= 10
        if write:
            for i in range(digits - 1, -1, -1):
                out[pos + i] = 48 + v % 10
                v //= 10
        return pos + digits

    def number(pos: int, k: int) -> int:
        kind = num_kind[k]
        if kind == 0:
            return integer(pos, num_value[k])
        if kind == 1:
            return put(pos, text, text_off[num_value[k]], text_off[num_value[k] + 1])
        return literal(pos, 1)  # null

    n_app = assignment.shape[0]
    n_prog = admitted.shape[0]
    n_expl = expl_programme.shape[0]
    pos = literal(0, 0)  # {"assignments":{
    for a in range(n_app):
        if a > 0:
            pos = byte(pos, 44)
        pos = byte(app(pos, a), 58)
        p = assignment[a]
        pos = literal(pos, 1) if p < 0 else prog(pos, p)
    pos = literal(pos, 2)  # },"programmes":{
    for p in range(n_prog):
        if p > 0:
            pos = byte(pos, 44)
        pos = literal(prog(pos, p), 3)  # :{"admitted":
        pos = literal(integer(pos, admitted[p]), 4)  # ,"cutoff":
        pos = literal(number(pos, p), 5)  # ,"extra_places":
        pos = byte(integer(pos, extra[p]), 125)
    pos = literal(pos, 6)  # },"explanations":{
    for a in range(n_app):
        if a > 0:
            pos = byte(pos, 44)
        pos = literal(app(pos, a), 7)  # :[
        for e in range(expl_offsets[a], expl_offsets[a + 1]):
            if e > expl_offsets[a]:
                pos = byte(pos, 44)
            pos = prog(literal(pos, 8), expl_programme[e])  # {"programme":
            if expl_no_places[e]:
                pos = literal(pos, 9)  # ,"reason":"no_places"}
            else:
                pos = literal(pos, 10)  # ,"reason":"below_cutoff","cutoff":
                pos = literal(number(pos, n_prog + e), 11)  # ,"score":
                pos = byte(number(pos, n_prog + n_expl + e), 125)
        pos = byte(pos, 93)
    return literal(pos, 12)  # }}\n


def _json_strings(ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The ids as JSON strings (escaped as json.dumps does): a buffer and bounds."""
    buf = np.frombuffer(msgspec.json.encode(ids), dtype=np.uint8)
    return buf, _string_bounds(buf, len(ids))


def _number_codes(
    values: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """How to write each value: as an integer, as text from a table (repr), or null (NaN)."""
    finite = np.isfinite(values)
    clean = np.where(finite, values, 0.0)
    integral = finite & (clean == np.trunc(clean))
    if (np.abs(clean[integral]) >= 2.0**62).any():
        raise OverflowError("number too large for the fast writer")
    kind = np.full(values.shape, _NONE, dtype=np.int8)
    kind[integral] = _INT
    value = np.where(integral, clean, 0.0).astype(np.int64)
    fraction = finite & ~integral
    texts: list[bytes] = []
    if fraction.any():
        kind[fraction] = _TEXT
        distinct, position = np.unique(values[fraction], return_inverse=True)
        value[fraction] = position
        texts = [repr(v).encode("ascii") for v in distinct.tolist()]
    text = np.frombuffer(b"".join(texts), dtype=np.uint8)
    text_off = np.cumsum([0, *map(len, texts)]).astype(np.int64)
    return kind, value, text, text_off


def dumps(instance: Instance, result: Result) -> memoryview:
    """The result JSON as UTF-8 with a newline at the end (write it with ``file.write``).

    The same bytes as ``json.dumps(to_json(instance, result), ensure_ascii=False,
    separators=(",", ":")) + "\\n"``, without a copy of a large result.
    """
    try:
        return _dumps_fast(instance, result).data
    except (msgspec.MsgspecError, OverflowError, UnicodeError):
        text = json.dumps(
            to_json(instance, result), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
        return memoryview((text + "\n").encode("utf-8"))


def _dumps_fast(instance: Instance, result: Result) -> np.ndarray:
    apps, app_bounds = _json_strings(instance.applicant_ids)
    progs, prog_bounds = _json_strings(instance.programme_ids)
    kind, value, text, text_off = _number_codes(
        np.concatenate([result.cutoff, result.expl_cutoff, result.expl_score])
    )
    args = (
        _LITERAL_BYTES,
        _LITERAL_OFFSETS,
        apps,
        app_bounds,
        progs,
        prog_bounds,
        result.assignment,
        result.admitted,
        result.extra_places,
        kind,
        value,
        text,
        text_off,
        result.expl_offsets,
        result.expl_programme,
        result.expl_no_places,
    )
    out = np.empty(0, dtype=np.uint8)
    size = _emit(out, False, *args)
    out = np.empty(size, dtype=np.uint8)
    _emit(out, True, *args)
    return out
