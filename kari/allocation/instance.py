"""Parse and validate an allocation instance into compact arrays (A27.2).

An instance is JSON of the shape::

    {"programmes": [{"id": "P1", "capacity": 5}, ...],
     "applicants": [{"id": "A1", "score": 21, "preferences": ["P3", "P1"],
                     "programme_scores": {"P1": 7}}, ...]}

The result is an :class:`Instance`: preferences in CSR form (``offsets`` and
``prefs``, programme indices as int32) with the score of each (applicant,
choice) pair in ``scores`` (float64) parallel to ``prefs``. A programme score
(A27.3, A27.4: competition result, or competition plus test) overrides the
applicant's common score (A27.2).

Applicants and programmes are put in the order of their ids, so the arrays,
and everything computed from them, do not depend on the input order.

Scores are compared exactly: integers must satisfy ``|n| < 2**53`` (every such
integer is a distinct float64), and a decimal fraction must be the shortest
round-trip form of its float64 (so two different decimals never become the
same float64). Capacities must be JSON integers ``>= 0`` (``5.0`` and
``true`` are rejected).
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import msgspec
import numba
import numpy as np

__all__ = [
    "Instance",
    "InstanceError",
    "from_arrays",
    "from_lists",
    "load",
    "loads",
    "parse",
    "parse_json_text",
]

SCORE_LIMIT = 2.0**53
_MISSING = object()
_NUMBER = frozenset({int, float})
_APPLICANT_KEYS = frozenset({"id", "score", "preferences", "programme_scores"})
_PROGRAMME_KEYS = frozenset({"id", "capacity"})
_TOP_KEYS = frozenset({"programmes", "applicants"})


class InstanceError(ValueError):
    """The instance is malformed; the message names the record and field."""


@dataclass(frozen=True)
class Instance:
    """An allocation instance as arrays.

    ``applicant_ids[a]`` and ``programme_ids[p]`` are sorted ids. Applicant
    ``a`` ranks ``prefs[offsets[a]:offsets[a + 1]]`` (best first), with scores
    ``scores[offsets[a]:offsets[a + 1]]``.
    """

    applicant_ids: list[str]
    programme_ids: list[str]
    capacity: np.ndarray  # int64, shape (P,)
    offsets: np.ndarray  # int64, shape (A + 1,)
    prefs: np.ndarray  # int32, shape (nnz,)
    scores: np.ndarray  # float64, shape (nnz,)

    @property
    def n_applicants(self) -> int:
        return len(self.applicant_ids)

    @property
    def n_programmes(self) -> int:
        return len(self.programme_ids)


def _fail(kind: str, ident: object, field: str, message: str) -> InstanceError:
    return InstanceError(f"{kind} {json.dumps(ident)}: field {json.dumps(field)}: {message}")


def _parse_float(text: str) -> float | _InexactFloat:
    """JSON float hook: refuse decimals that float64 cannot tell apart."""
    value = float(text)
    if math.isfinite(value):
        try:
            exact = Decimal(text) == Decimal(repr(value))
        except InvalidOperation:  # pragma: no cover - json only passes numerals
            exact = False
        if not exact:
            return _InexactFloat(text)
    return value


class _InexactFloat(str):
    """A JSON number with more digits than float64 holds (rejected later)."""


def parse_json_text(text: str | bytes) -> Any:
    """Decode JSON text (the reference path); raise InstanceError if it is not valid JSON."""
    try:
        return json.loads(text, parse_float=_parse_float)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(f"malformed JSON: {exc}") from None


def load(path: str, timings: dict[str, float] | None = None) -> Instance:
    """Read and validate an instance file (``timings``: see :func:`loads`, and "read")."""
    start = time.perf_counter()
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InstanceError(f"cannot read instance {path!r}: {exc.strerror}") from None
    if timings is not None:
        timings["read"] = time.perf_counter() - start
    return loads(raw, timings)


def loads(raw: bytes, timings: dict[str, float] | None = None) -> Instance:
    """Decode and validate instance JSON text; raise InstanceError naming the field.

    A fast path decodes with msgspec into typed records and validates with
    numpy; it accepts exactly what :func:`parse` accepts and builds the same
    :class:`Instance`. Anything it does not accept goes to the reference path
    (the standard library's decoder and :func:`parse`), which names the first
    problem (applicant or programme, and field) exactly as before.

    ``timings``, when given, receives the seconds spent decoding ("parse") and
    validating ("validate").
    """
    spent = {"parse": 0.0, "validate": 0.0}
    try:
        for decoder in (_RAW_LISTS_DECODER, _DECODER):
            start = time.perf_counter()
            try:
                document = decoder.decode(raw)
            finally:
                decoded = time.perf_counter()
                spent["parse"] += decoded - start
            try:
                return _validate(document, raw)
            except _AsStrings:  # e.g. escapes in the lists: decode them as strings
                continue
            finally:
                del document
                spent["validate"] += time.perf_counter() - decoded
    except (msgspec.MsgspecError, _NotFast, KeyError, OverflowError, TypeError, ValueError):
        pass
    finally:
        if timings is not None:
            timings.update(spent)
    return parse(parse_json_text(raw))


def _score_problem(value: object) -> str | None:
    if value is _MISSING:
        return "missing: no programme score and no common score"
    if isinstance(value, _InexactFloat):
        return f"{value} has more digits than a 64-bit float holds exactly"
    if type(value) not in (int, float):
        shown = (
            json.dumps(value)
            if value is None or isinstance(value, (str, bool))
            else type(value).__name__
        )
        return f"must be a number, got {shown}"
    value = cast(float, value)  # an int or a float: checked just above
    if not math.isfinite(value):
        return f"must be finite, got {value}"
    if abs(value) >= SCORE_LIMIT:
        return f"must be less than 2**53 in absolute value, got {value}"
    return None


def _parse_programmes(raw: object) -> tuple[list[str], list[int]]:
    if not isinstance(raw, list):
        raise InstanceError('field "programmes": must be a list')
    ids: list[str] = []
    caps: list[int] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InstanceError(f"programme #{i}: must be an object")
        pid = item.get("id", _MISSING)
        if type(pid) is not str or not pid:
            raise _fail("programme", f"#{i}", "id", "must be a non-empty string")
        if pid in seen:
            raise _fail("programme", pid, "id", "duplicate programme id")
        seen.add(pid)
        extra = item.keys() - _PROGRAMME_KEYS
        if extra:
            raise _fail("programme", pid, sorted(extra)[0], "unknown field")
        cap = item.get("capacity", _MISSING)
        if cap is _MISSING:
            raise _fail("programme", pid, "capacity", "missing")
        if type(cap) is not int:
            got = cap if isinstance(cap, (bool, float)) else type(cap).__name__
            raise _fail("programme", pid, "capacity", f"must be an integer, got {json.dumps(got)}")
        if cap < 0:
            raise _fail("programme", pid, "capacity", f"must be >= 0, got {cap}")
        if cap >= 2**62:
            raise _fail("programme", pid, "capacity", f"too large: {cap}")
        ids.append(pid)
        caps.append(cap)
    return ids, caps


def parse(data: object) -> Instance:
    """Validate decoded JSON and build the arrays; raise InstanceError."""
    if not isinstance(data, dict):
        raise InstanceError("instance: must be a JSON object")
    extra = data.keys() - _TOP_KEYS
    if extra:
        raise InstanceError(f"instance: field {json.dumps(sorted(extra)[0])}: unknown field")
    for key in ("programmes", "applicants"):
        if key not in data:
            raise InstanceError(f"instance: field {json.dumps(key)}: missing")
    prog_ids, caps = _parse_programmes(data["programmes"])
    index = {pid: i for i, pid in enumerate(prog_ids)}

    raw_apps = data["applicants"]
    if not isinstance(raw_apps, list):
        raise InstanceError('field "applicants": must be a list')
    app_ids: list[str] = []
    lengths: list[int] = []
    pref_lists: list[list[Any]] = []
    flat_scores: list[object] = []
    # Local names: this loop runs once per applicant (millions of times).
    missing, number, limit, known = _MISSING, _NUMBER, SCORE_LIMIT, _APPLICANT_KEYS
    add_id, add_len, add_prefs, add_scores = (
        app_ids.append,
        lengths.append,
        pref_lists.append,
        flat_scores.extend,
    )
    for i, app in enumerate(raw_apps):
        if type(app) is not dict:
            raise InstanceError(f"applicant #{i}: must be an object")
        aid = app.get("id", missing)
        if type(aid) is not str or not aid:
            raise _fail("applicant", f"#{i}", "id", "must be a non-empty string")
        if not (app.keys() <= known):
            raise _fail("applicant", aid, sorted(app.keys() - known)[0], "unknown field")
        prefs = app.get("preferences", missing)
        if type(prefs) is not list:
            raise _fail("applicant", aid, "preferences", "must be a list of programme ids")
        common = app.get("score", missing)
        if common is not missing and not (type(common) in number and -limit < common < limit):
            # The comparisons also refuse NaN and infinities.
            raise _fail("applicant", aid, "score", _score_problem(common) or "invalid")
        own = app.get("programme_scores", missing)
        if own is missing:
            add_scores([common] * len(prefs))
        else:
            if type(own) is not dict:
                raise _fail("applicant", aid, "programme_scores", "must be an object")
            for pid, value in own.items():
                if pid not in index:
                    raise _fail(
                        "applicant", aid, "programme_scores", f"unknown programme {json.dumps(pid)}"
                    )
                if not (type(value) in number and -limit < value < limit):
                    raise _fail(
                        "applicant",
                        aid,
                        f"programme_scores.{pid}",
                        _score_problem(value) or "invalid",
                    )
            try:
                add_scores([own.get(p, common) for p in prefs])
            except TypeError:  # an unhashable programme "id"; reported below
                add_scores([common] * len(prefs))
        add_id(aid)
        add_len(len(prefs))
        add_prefs(prefs)

    if len(set(app_ids)) != len(app_ids):
        seen: set[str] = set()
        for aid in app_ids:
            if aid in seen:
                raise _fail("applicant", aid, "id", "duplicate applicant id")
            seen.add(aid)
    try:
        flat_prefs = np.fromiter(
            map(index.__getitem__, itertools.chain.from_iterable(pref_lists)), dtype=np.int32
        )
    except (KeyError, TypeError):
        for aid, prefs in zip(app_ids, pref_lists, strict=True):
            for p in prefs:
                if type(p) is not str:
                    raise _fail(
                        "applicant",
                        aid,
                        "preferences",
                        f"must be a programme id string, got {json.dumps(p)}",
                    ) from None
                if p not in index:
                    raise _fail(
                        "applicant", aid, "preferences", f"unknown programme {json.dumps(p)}"
                    ) from None
        raise  # pragma: no cover - defensive
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=offsets[1:])
    row = _first_repeat(offsets, flat_prefs, len(prog_ids))
    if row >= 0:
        prefs = pref_lists[row]
        dup = next(p for k, p in enumerate(prefs) if p in prefs[:k])
        raise _fail(
            "applicant", app_ids[row], "preferences", f"programme {json.dumps(dup)} listed twice"
        )
    del pref_lists

    try:
        # Present scores were checked above, so only a missing one can fail here.
        score_array = np.asarray(flat_scores, dtype=np.float64)
    except TypeError:
        for a in range(len(app_ids)):
            for k in range(offsets[a], offsets[a + 1]):
                if flat_scores[k] is missing:
                    pid = prog_ids[flat_prefs[k]]
                    raise _fail(
                        "applicant",
                        app_ids[a],
                        "score",
                        f"missing: programme {json.dumps(pid)} has no programme score "
                        "and there is no common score",
                    ) from None
        raise InstanceError("invalid score") from None  # pragma: no cover - defensive

    return from_arrays(
        app_ids,
        prog_ids,
        np.asarray(caps, dtype=np.int64),
        np.asarray(lengths, dtype=np.int64),
        flat_prefs,
        score_array,
    )


@numba.njit(cache=True, nogil=True)
def _first_repeat(offsets: np.ndarray, prefs: np.ndarray, n_prog: int) -> int:
    """First applicant listing a programme twice, or -1."""
    last = np.full(n_prog, -1, dtype=np.int64)
    for a in range(offsets.shape[0] - 1):
        for k in range(offsets[a], offsets[a + 1]):
            p = prefs[k]
            if last[p] == a:
                return a
            last[p] = a
    return -1


def from_arrays(
    applicant_ids: list[str],
    programme_ids: list[str],
    capacity: np.ndarray,
    lengths: np.ndarray,
    prefs: np.ndarray,
    scores: np.ndarray,
) -> Instance:
    """Build an :class:`Instance` in canonical (id-sorted) order.

    ``lengths[a]`` is the length of applicant ``a``'s list; ``prefs`` and
    ``scores`` are the concatenated lists. Ids must be unique and the lists
    valid (``parse`` checks this for JSON input).
    """
    capacity = np.asarray(capacity, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    prefs = np.asarray(prefs, dtype=np.int32)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size and not np.isfinite(scores).all():
        raise InstanceError("scores must be finite")

    p_order = _id_order(programme_ids)
    a_order = _id_order(applicant_ids)
    if p_order is not None:
        rename = np.empty(len(programme_ids), dtype=np.int32)
        rename[p_order] = np.arange(len(programme_ids), dtype=np.int32)
        prefs = rename[prefs]
        capacity = capacity[p_order]
        programme_ids = [programme_ids[i] for i in p_order.tolist()]
    starts = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    if a_order is not None:
        new_lengths = lengths[a_order]
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(new_lengths, out=offsets[1:])
        # Gather row a_order[r] into place r: index = old start + position in row.
        gather = np.repeat(starts[:-1][a_order] - offsets[:-1], new_lengths)
        gather += np.arange(offsets[-1], dtype=np.int64)
        prefs = prefs[gather]
        scores = scores[gather]
        applicant_ids = [applicant_ids[i] for i in a_order.tolist()]
    else:
        offsets = starts
    return Instance(
        applicant_ids=list(applicant_ids),
        programme_ids=list(programme_ids),
        capacity=np.ascontiguousarray(capacity),
        offsets=offsets,
        prefs=np.ascontiguousarray(prefs),
        scores=np.ascontiguousarray(scores),
    )


def from_lists(
    applicant_ids: list[str],
    programme_ids: list[str],
    capacity: np.ndarray,
    lengths: np.ndarray,
    prefs: np.ndarray,
    scores: np.ndarray,
) -> Instance:
    """An :class:`Instance` from arrays a caller built (no JSON in between), checked as
    :func:`loads` checks JSON: ids unique and non-empty, capacities ``0 <= c < 2**62``,
    ``prefs`` programme indices (``lengths[a]`` of them for applicant ``a``) with no
    programme listed twice by one applicant, scores finite and below ``2**53`` in absolute
    value. Raises InstanceError; the result equals ``loads`` of the same instance as JSON."""
    capacity = np.asarray(capacity, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    prefs = np.asarray(prefs, dtype=np.int32)
    scores = np.asarray(scores, dtype=np.float64)
    n_app, n_prog = len(applicant_ids), len(programme_ids)
    if not (_unique_nonempty(list(programme_ids)) and _unique_nonempty(list(applicant_ids))):
        raise InstanceError("ids must be unique non-empty strings")
    if capacity.shape != (n_prog,) or lengths.shape != (n_app,):
        raise InstanceError("one capacity per programme and one length per applicant")
    if n_prog and not ((capacity >= 0).all() and (capacity < 2**62).all()):
        raise InstanceError("capacities must be >= 0 and below 2**62")
    total = int(lengths.sum()) if n_app else 0
    if (lengths < 0).any() or prefs.shape != (total,) or scores.shape != (total,):
        raise InstanceError("the lists' lengths do not match the preferences and scores")
    if total and not ((prefs >= 0).all() and (prefs < n_prog).all()):
        raise InstanceError("a preference names no programme")
    if not _within_limit(scores):
        raise InstanceError("scores must be finite and below 2**53 in absolute value")
    offsets = np.zeros(n_app + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    row = _first_repeat(offsets, prefs, n_prog)
    if row >= 0:
        raise _fail("applicant", applicant_ids[row], "preferences", "a programme listed twice")
    return from_arrays(list(applicant_ids), list(programme_ids), capacity, lengths, prefs, scores)


def _id_order(ids: list[str]) -> np.ndarray | None:
    """Permutation sorting ``ids``, or None when they are already sorted."""
    if _strictly_increasing(ids):  # ids are unique: sorted means strictly increasing
        return None
    return np.asarray(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)


# ------------------------------------------------------------------ the fast path
#
# msgspec decodes straight into typed records, so the shape and the types
# (objects, lists, strings, integer capacities, numeric scores, no unknown
# fields) are checked in C while decoding; the rest is checked with numpy and
# two small numba loops. Whenever anything is wrong the fast path gives up
# (_NotFast, or an exception from msgspec or numpy) and `loads` runs the
# reference path, which finds the first problem and names it. So the fast path
# only needs to be right about what it accepts: it must accept exactly what
# `parse` accepts, and build the same arrays (a hypothesis property checks it).


class _NotFast(Exception):
    """The fast path cannot accept this input; the reference path will explain."""


class _Programme(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    capacity: int


class _Applicant(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    preferences: list[str]
    # NaN marks a missing score: JSON has no NaN, so a present score is never NaN.
    score: float = math.nan
    programme_scores: dict[str, float] | msgspec.UnsetType = msgspec.UNSET


class _Document(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    programmes: list[_Programme]
    applicants: list[_Applicant]


class _ApplicantRawLists(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    # Kept as the JSON text: numba maps the ids to programme indices without
    # making a Python string per choice (see _preference_indices).
    preferences: msgspec.Raw
    score: float = math.nan
    programme_scores: dict[str, float] | msgspec.UnsetType = msgspec.UNSET


class _DocumentRawLists(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    programmes: list[_Programme]
    applicants: list[_ApplicantRawLists]


_RAW_LISTS_DECODER = msgspec.json.Decoder(_DocumentRawLists)
_DECODER = msgspec.json.Decoder(_Document)


class _AsStrings(Exception):
    """The lists are not plain JSON arrays of known ids: decode them as strings instead."""


@numba.njit(cache=True, nogil=True)
def _inexact_candidates(raw: np.ndarray) -> np.ndarray:  # pragma: no cover - numba
    """Start and end of each number that float64 might not hold exactly.

    A JSON number outside strings is a candidate when it has an exponent, or
    a fraction and at least 16 digits. Every other number is exact: an integer
    is exact below 2**53 (larger ones fail the score limit), and a decimal of
    at most 15 significant digits is the shortest form of its float64.
    """
    out = []
    n = raw.shape[0]
    i = 0
    in_string = False
    while i < n:
        c = raw[i]
        if in_string:
            if c == 92:  # backslash: skip the escaped byte
                i += 2
                continue
            if c == 34:  # closing quote
                in_string = False
            i += 1
            continue
        if c == 34:
            in_string = True
            i += 1
            continue
        if c == 45 or 48 <= c <= 57:  # '-' or a digit starts a number
            start = i
            digits = 0
            fraction = False
            exponent = False
            while i < n:
                c = raw[i]
                if 48 <= c <= 57:
                    digits += 1
                elif c == 46:
                    fraction = True
                elif c == 101 or c == 69:
                    exponent = True
                elif c != 43 and c != 45:
                    break
                i += 1
            if exponent or (fraction and digits >= 16):
                out.append(start)
                out.append(i)
            continue
        i += 1
    result = np.empty(len(out), dtype=np.int64)
    for k in range(len(out)):
        result[k] = out[k]
    return result


@numba.njit(cache=True, nogil=True)
def _apply_programme_scores(
    offsets: np.ndarray,
    prefs: np.ndarray,
    scores: np.ndarray,
    rows: np.ndarray,
    programmes: np.ndarray,
    values: np.ndarray,
) -> None:  # pragma: no cover - numba
    """A programme score replaces the common score where the programme is listed."""
    for j in range(rows.shape[0]):
        a = rows[j]
        for k in range(offsets[a], offsets[a + 1]):
            if prefs[k] == programmes[j]:
                scores[k] = values[j]
                break


@numba.njit(cache=True, nogil=True)
def _fnv1a(buf: np.ndarray, start: int, end: int) -> np.uint64:  # pragma: no cover - numba
    h = np.uint64(14695981039346656037)
    for i in range(start, end):
        h = (h ^ np.uint64(buf[i])) * np.uint64(1099511628211)
    return h


@numba.njit(cache=True, nogil=True)
def _id_table(ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:  # pragma: no cover - numba
    """An open-addressing hash table of the programme ids' UTF-8 bytes."""
    n = offsets.shape[0] - 1
    size = 2
    while size < 2 * n:
        size *= 2
    table = np.full(size, -1, dtype=np.int64)
    mask = np.uint64(size - 1)
    for p in range(n):
        slot = _fnv1a(ids, offsets[p], offsets[p + 1]) & mask
        while table[slot] >= 0:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = p
    return table


@numba.njit(cache=True, nogil=True)
def _preference_indices(  # pragma: no cover - numba
    lists: np.ndarray,
    spans: np.ndarray,
    ids: np.ndarray,
    id_offsets: np.ndarray,
    table: np.ndarray,
    lengths: np.ndarray,
) -> np.ndarray:
    """The programme indices of JSON arrays of plain strings, one array per span.

    ``lists[spans[a]:spans[a + 1]]`` is applicant a's "preferences" value as
    written. Fills ``lengths`` and returns the indices; returns an array with
    -1 in front when a value is not an array of strings without escapes that
    all name programmes (the caller then decodes the lists as strings).
    """
    mask = np.uint64(table.shape[0] - 1)
    out = np.empty(max(16, lists.shape[0] // 4), dtype=np.int32)
    count = 0
    bad = np.full(1, -1, dtype=np.int32)
    for a in range(spans.shape[0] - 1):
        i = spans[a]
        end = spans[a + 1]
        if i >= end or lists[i] != 91:  # "["
            return bad
        i += 1
        k = 0
        while True:
            while i < end and (lists[i] == 32 or lists[i] == 9 or lists[i] == 10 or lists[i] == 13):
                i += 1
            if i >= end:
                return bad
            if lists[i] == 93 and k == 0:  # "]" of an empty list
                i += 1
                break
            if lists[i] != 34:  # not a string
                return bad
            start = i + 1
            i = start
            while i < end and lists[i] != 34:
                if lists[i] == 92 or lists[i] < 32:  # an escape (or a control byte)
                    return bad
                i += 1
            if i >= end:
                return bad
            slot = _fnv1a(lists, start, i) & mask
            found = -1
            while table[slot] >= 0:
                p = table[slot]
                size = id_offsets[p + 1] - id_offsets[p]
                if size == i - start:
                    same = True
                    for j in range(size):
                        if ids[id_offsets[p] + j] != lists[start + j]:
                            same = False
                            break
                    if same:
                        found = p
                        break
                slot = (slot + np.uint64(1)) & mask
            if found < 0:  # an unknown programme
                return bad
            if count == out.shape[0]:
                grown = np.empty(2 * count, dtype=np.int32)
                grown[:count] = out
                out = grown
            out[count] = found
            count += 1
            k += 1
            i += 1  # the closing quote
            while i < end and (lists[i] == 32 or lists[i] == 9 or lists[i] == 10 or lists[i] == 13):
                i += 1
            if i < end and lists[i] == 44:  # ","
                i += 1
                continue
            if i < end and lists[i] == 93:  # "]"
                i += 1
                break
            return bad
        if i != end:
            return bad
        lengths[a] = k
    return out[:count].copy()


def _exact_numbers(raw: bytes) -> bool:
    """True when every number in ``raw`` is exactly its float64 (see _parse_float)."""
    spans = _inexact_candidates(np.frombuffer(raw, dtype=np.uint8))
    for start, end in zip(spans[::2].tolist(), spans[1::2].tolist(), strict=True):
        value = _parse_float(raw[start:end].decode("ascii"))
        if isinstance(value, _InexactFloat) or not math.isfinite(value):
            return False
    return True


def _strictly_increasing(ids: list[str]) -> bool:
    return all(map(operator.lt, ids, itertools.islice(ids, 1, None)))


def _unique_nonempty(ids: list[str]) -> bool:
    if _strictly_increasing(ids):  # the usual case: sorted input, one pass
        return not ids or ids[0] != ""
    seen = set(ids)
    return len(seen) == len(ids) and "" not in seen


def _within_limit(values: np.ndarray) -> bool:
    # The comparison is False for NaN, so a missing score fails it too.
    return bool((np.abs(values) < SCORE_LIMIT).all())


def _programme_scores(
    applicants: list[_Applicant] | list[_ApplicantRawLists],
    index: dict[str, int],
    offsets: np.ndarray,
    prefs: np.ndarray,
    scores: np.ndarray,
) -> bool:
    """Put each programme score in place of the common score; False if one is invalid."""
    unset = msgspec.UNSET
    own = [
        (a, table)
        for a, table in enumerate(map(operator.attrgetter("programme_scores"), applicants))
        if table is not unset
    ]
    if not own:
        return True
    tables = [table for _, table in own]
    counts = np.fromiter(map(len, tables), dtype=np.int64, count=len(tables))
    rows = np.repeat(np.fromiter((a for a, _ in own), np.int64, count=len(own)), counts)
    total = int(counts.sum())
    # KeyError: an unknown programme.
    programmes = np.fromiter(
        map(index.__getitem__, itertools.chain.from_iterable(tables)), np.int32, count=total
    )
    values = np.fromiter(
        itertools.chain.from_iterable(map(dict.values, tables)), np.float64, count=total
    )
    if not _within_limit(values):
        return False
    _apply_programme_scores(offsets, prefs, scores, rows, programmes, values)
    return True


def _choices(
    applicants: list[_Applicant] | list[_ApplicantRawLists],
    prog_ids: list[str],
    index: dict[str, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Each applicant's number of choices, and all choices as programme indices."""
    n_app = len(applicants)
    lists = list(map(operator.attrgetter("preferences"), applicants))
    lengths = np.zeros(n_app, dtype=np.int64)
    if n_app and isinstance(lists[0], msgspec.Raw):
        # One buffer of every list as written; numba parses and maps it.
        sizes = np.fromiter(map(len, lists), dtype=np.int64, count=n_app)
        spans = np.zeros(n_app + 1, dtype=np.int64)
        np.cumsum(sizes, out=spans[1:])
        text = np.frombuffer(b"".join(lists), dtype=np.uint8)
        del lists
        encoded = [pid.encode("utf-8") for pid in prog_ids]
        ids = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        id_offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), np.int64, count=len(encoded)), out=id_offsets[1:])
        prefs = _preference_indices(
            text, spans, ids, id_offsets, _id_table(ids, id_offsets), lengths
        )
        if prefs.shape[0] and prefs[0] < 0:
            raise _AsStrings
        return lengths, prefs
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=n_app)
    # KeyError: an unknown programme.
    prefs = np.fromiter(
        map(index.__getitem__, itertools.chain.from_iterable(lists)),
        dtype=np.int32,
        count=int(lengths.sum()),
    )
    return lengths, prefs


def _validate(document: _Document | _DocumentRawLists, raw: bytes) -> Instance:
    programmes, applicants = document.programmes, document.applicants
    n_app, n_prog = len(applicants), len(programmes)

    prog_ids = list(map(operator.attrgetter("id"), programmes))
    if not _unique_nonempty(prog_ids):
        raise _NotFast
    # OverflowError (a capacity beyond int64) also sends the input to the reference path.
    capacity = np.fromiter(
        map(operator.attrgetter("capacity"), programmes), dtype=np.int64, count=n_prog
    )
    if n_prog and not ((capacity >= 0).all() and (capacity < 2**62).all()):
        raise _NotFast
    index = {pid: i for i, pid in enumerate(prog_ids)}

    app_ids = list(map(operator.attrgetter("id"), applicants))
    if not _unique_nonempty(app_ids):
        raise _NotFast
    lengths, prefs = _choices(applicants, prog_ids, index)
    offsets = np.zeros(n_app + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if _first_repeat(offsets, prefs, n_prog) >= 0:
        raise _NotFast

    common = np.fromiter(map(operator.attrgetter("score"), applicants), np.float64, count=n_app)
    present = ~np.isnan(common)
    if not _within_limit(common[present]):
        raise _NotFast
    scores = np.repeat(common, lengths)
    if not _programme_scores(applicants, index, offsets, prefs, scores):
        raise _NotFast
    if np.isnan(scores).any():  # a listed programme with no score at all
        raise _NotFast
    if not _exact_numbers(raw):
        raise _NotFast
    # Free the decoded records now (a second or so at a million applicants), not
    # when the caller lets go of the document.
    document.programmes = []
    document.applicants = []
    del programmes, applicants
    return from_arrays(app_ids, prog_ids, capacity, lengths, prefs, scores)
