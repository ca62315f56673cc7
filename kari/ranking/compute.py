"""From frozen final lists to the allocation instance, and from the engine's result to the
outcome to store: plain Python on dicts and arrays, no database.

The competitive score (A27.2-A27.4, NAEC's formula for the round; docs/decisions.md):

* ordinary programmes: the test score (skills test and subjects together);
* art/sport/tourism programmes (A27.3): where the programme held a competition,
  ``test_weight * test + competition_weight * competition``; an applicant without a
  competition result is not ranked there; where no competition was held, the test score;
* work-based programmes (A27.4, A10.2): the competition result alone; an applicant without one
  is not ranked there;
* NAEC's ``minimum`` (when the act sets one) leaves out test scores below it, never on
  work-based programmes (A10.2).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec
import numpy as np

from kari import allocation

ORDINARY = "ordinary"
ART = "art_sport_tourism"
WORK_BASED = "work_based"

NO_COMPETITION_RESULT = "no_competition_result"
BELOW_MINIMUM = "below_minimum"
BELOW_CUTOFF = "below_cutoff"
NO_PLACES = "no_places"

DEFAULT_FORMULA = {
    "act_number": "",
    "act_date": None,
    "test_weight": "1",
    "competition_weight": "1",
    "minimum": None,
}
SCORE_PLACES = Decimal("0.001")


_NUMBERS: dict[Decimal, str] = {}


def number(d: Decimal) -> str:
    """A decimal as its shortest plain text ("23.5", "20"); memoised (equal decimals have the
    same text, and a round's scores take few values)."""
    text = _NUMBERS.get(d)
    if text is None:
        text = f"{d.normalize():f}"
        if len(_NUMBERS) < 100_000:
            _NUMBERS[d] = text
    return text


def _json_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def canonical(doc: dict) -> bytes:
    """JSON with sorted keys, no spaces, UTF-8: what ``json.dumps(doc, sort_keys=True,
    ensure_ascii=False, separators=(",", ":"))`` writes (except that a float with an exponent
    is written ``1e16``, not ``1e+16``; the documents hashed here hold none), seven times as
    fast (the final lists of a national round are 19 MB)."""
    return msgspec.json.encode(doc, order="sorted")


@dataclass
class Instance:
    """The allocation instance built from final lists, as the engine's arrays (no JSON in
    between), with what was left out upstream.

    ``programme_ids`` and ``applicant_ids`` are sorted (the engine's canonical order);
    applicant ``a`` ranks ``prefs[offsets[a]:offsets[a + 1]]`` (programme indices), with
    ``scores`` the competitive scores and ``choices`` the place (1-based) of each programme in
    the applicant's own ranked list, which counts the choices left out upstream too."""

    programme_ids: list[str]
    capacity: np.ndarray  # int64 (P,)
    applicant_ids: list[str]
    lists: list[list[str]]  # per applicant, the programme codes the engine ranks
    offsets: np.ndarray  # int64 (A + 1,)
    prefs: np.ndarray  # int32
    scores: np.ndarray  # float64
    choices: np.ndarray  # int32
    document_order: list[int]  # the applicants' positions in the final lists' order
    # applicant position -> [(choice, programme code, reason)] for choices left out
    notes: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)
    # applicant id -> {programme code: competitive score} where it is not the test score
    own_scores: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    test_scores: dict[str, Decimal] = field(default_factory=dict)

    @property
    def data(self) -> dict:
        """The instance as ``kari allocate`` reads it (docs/exchange-formats.md)."""
        applicants = []
        for a in self.document_order:
            app = self.applicant_ids[a]
            entry: dict = {
                "id": app,
                "score": _json_number(self.test_scores[app]),
                "preferences": self.lists[a],
            }
            own = self.own_scores.get(app)
            if own:
                entry["programme_scores"] = {c: _json_number(v) for c, v in own.items()}
            applicants.append(entry)
        programmes = [
            {"id": code, "capacity": int(c)}
            for code, c in zip(self.programme_ids, self.capacity.tolist(), strict=True)
        ]
        return {"programmes": programmes, "applicants": applicants}

    def json_bytes(self) -> bytes:
        return canonical(self.data)

    def engine_instance(self) -> allocation.Instance:
        """The engine's instance, checked as ``kari allocate`` checks its JSON input."""
        return allocation.from_lists(
            self.applicant_ids,
            self.programme_ids,
            self.capacity,
            np.diff(self.offsets),
            self.prefs,
            self.scores,
        )

    def score(self, applicant: str, code: str) -> Decimal:
        own = self.own_scores.get(applicant)
        if own is not None and code in own:
            return own[code]
        return self.test_scores[applicant]


def _sorted_order(ids: list[str]) -> list[int]:
    order = list(range(len(ids)))
    if any(a >= b for a, b in zip(ids, ids[1:], strict=False)):
        order.sort(key=ids.__getitem__)
    return order


def build_instance(document: dict, formula: dict) -> Instance:
    """The ``kari allocate`` instance of frozen final lists under NAEC's formula."""
    test_weight = Decimal(formula.get("test_weight") or "1")
    competition_weight = Decimal(formula.get("competition_weight") or "1")
    minimum = formula.get("minimum")
    minimum = Decimal(minimum) if minimum not in (None, "") else None
    kinds = {p["code"]: p["kind"] for p in document["programmes"]}
    held = {p["code"] for p in document["programmes"] if p.get("competition_held")}
    # Without competition results, these choices are left out (work-based: A27.4; a
    # programme that held a competition: A27.3).
    needs_result = held | {c for c, k in kinds.items() if k == WORK_BASED}
    programme_ids = sorted(kinds)
    index = {code: j for j, code in enumerate(programme_ids)}
    capacity = np.zeros(len(programme_ids), dtype=np.int64)
    for p in document["programmes"]:
        capacity[index[p["code"]]] = int(p["capacity"])

    apps = document["applicants"]
    ids = [a["id"] for a in apps]
    order = _sorted_order(ids)
    document_order = [0] * len(order)
    lists: list[list[str]] = []
    ranks: list = []  # per applicant: the choice numbers kept (a range when all are)
    lengths: list[int] = []
    tests: list[float] = []
    overrides: list[tuple[int, float]] = []  # (position in the flat lists, score)
    notes: dict[int, list[tuple[int, str, str]]] = {}
    own_scores: dict[str, dict[str, Decimal]] = {}
    test_scores: dict[str, Decimal] = {}
    numbers: dict[str, tuple[Decimal, float]] = {}
    flat = 0
    for a, i in enumerate(order):
        document_order[i] = a
        entry = apps[i]
        app = entry["id"]
        text = entry["test_score"]
        known = numbers.get(text)
        if known is None:
            d = Decimal(text)
            known = numbers[text] = (d, float(_json_number(d)))
        test, test_float = known
        test_scores[app] = test
        choices = entry["choices"]
        competition = entry.get("competition")
        below = minimum is not None and test < minimum
        if competition is None and not below:
            if needs_result.isdisjoint(choices):
                prefs, kept = choices, range(1, len(choices) + 1)
            else:
                notes[a] = [
                    (k, c, NO_COMPETITION_RESULT)
                    for k, c in enumerate(choices, start=1)
                    if c in needs_result
                ]
                kept = [k for k, c in enumerate(choices, start=1) if c not in needs_result]
                prefs = [choices[k - 1] for k in kept]
        else:
            competition = competition or {}
            prefs, kept = [], []
            own: dict[str, Decimal] = {}
            left_out: list[tuple[int, str, str]] = []
            for k, code in enumerate(choices, start=1):
                kind = kinds[code]
                if kind == WORK_BASED:
                    if code not in competition:
                        left_out.append((k, code, NO_COMPETITION_RESULT))
                        continue
                    score = Decimal(competition[code])
                elif below:
                    left_out.append((k, code, BELOW_MINIMUM))
                    continue
                elif kind == ART and code in held:
                    if code not in competition:
                        left_out.append((k, code, NO_COMPETITION_RESULT))
                        continue
                    score = (
                        test_weight * test + competition_weight * Decimal(competition[code])
                    ).quantize(SCORE_PLACES)
                else:
                    score = test
                if score != test:
                    own[code] = score
                    overrides.append((flat + len(prefs), float(_json_number(score))))
                prefs.append(code)
                kept.append(k)
            if own:
                own_scores[app] = own
            if left_out:
                notes[a] = left_out
        lists.append(prefs)
        ranks.append(kept)
        lengths.append(len(prefs))
        tests.append(test_float)
        flat += len(prefs)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=offsets[1:])
    prefs_array = np.fromiter(
        map(index.__getitem__, itertools.chain.from_iterable(lists)), np.int32, count=flat
    )
    choices_array = np.fromiter(itertools.chain.from_iterable(ranks), np.int32, count=flat)
    scores = np.repeat(np.asarray(tests, dtype=np.float64), lengths)
    for k, value in overrides:
        scores[k] = value
    return Instance(
        programme_ids=programme_ids,
        capacity=capacity,
        applicant_ids=[ids[i] for i in order],
        lists=lists,
        offsets=offsets,
        prefs=prefs_array,
        scores=scores,
        choices=choices_array,
        document_order=document_order,
        notes=notes,
        own_scores=own_scores,
        test_scores=test_scores,
    )


@dataclass
class Outcome:
    """What a ranking stores, keyed by the final lists' ids."""

    # programme code -> {admitted, cutoff (Decimal|None), extra_places, beyond_limit, applicants}
    programmes: dict[str, dict]
    # applicant id -> (programme code, choice (1-based), score, by_tie_rule)
    admitted: dict[str, tuple[str, int, Decimal, bool]]
    # applicant id -> (choice obtained or None, [explanation items]), for the applicants with
    # something to explain (not placed, or placed below a choice they listed)
    explanations: dict[str, tuple[int | None, list[dict]]]
    problems: list[str]
    timings: dict[str, float] = field(default_factory=dict)


_DECIMALS: dict[float, Decimal] = {}
_TEXTS: dict[float, str] = {}


def _dec(value: float) -> Decimal:
    value = float(value)
    d = _DECIMALS.get(value)
    if d is None:
        d = _DECIMALS[value] = Decimal(repr(value))
    return d


def _text(value: float) -> str:
    value = float(value)
    t = _TEXTS.get(value)
    if t is None:
        t = _TEXTS[value] = number(_dec(value))
    return t


def allocate(document: dict, instance: Instance) -> Outcome:
    """Run the engine and the independent checker on the instance; map the result back.

    ``explanations`` holds the applicants with something to explain: those not placed, and
    those placed below a choice they listed (a higher choice's cut-off, or a choice left out
    upstream)."""
    t = time.perf_counter()
    inst = instance.engine_instance()
    timings = {"arrays": time.perf_counter() - t}
    t = time.perf_counter()
    result = allocation.solve(inst)
    timings["solve"] = time.perf_counter() - t
    t = time.perf_counter()
    problems = allocation.check(inst, result)
    timings["check"] = time.perf_counter() - t
    t = time.perf_counter()
    app_ids, prog_ids = inst.applicant_ids, inst.programme_ids
    by_code = {p["code"]: p for p in document["programmes"]}
    demand = np.bincount(inst.prefs, minlength=len(prog_ids)).tolist()
    capacity = inst.capacity.tolist()
    admitted_counts = result.admitted.tolist()
    extras = result.extra_places.tolist()
    programmes: dict[str, dict] = {}
    for j, code in enumerate(prog_ids):
        admitted = admitted_counts[j]
        cutoff = None if np.isnan(result.cutoff[j]) else _dec(result.cutoff[j])
        extra = extras[j]
        p = by_code[code]
        limit = p.get("annual_limit")
        beyond = 0
        if extra and limit is not None:
            beyond = min(extra, max(0, admitted + int(p.get("sen_enrolled", 0)) - int(limit)))
        programmes[code] = {
            "admitted": admitted,
            "cutoff": cutoff,
            "extra_places": extra,
            "beyond_limit": beyond,
            "applicants": demand[j],
            "capacity": capacity[j],
        }
    # The place in the own list of every engine entry, and of each explanation's programme.
    offsets, expl_offsets = inst.offsets, result.expl_offsets
    counts = np.diff(expl_offsets)  # programmes ranked above the one obtained
    in_lists = np.repeat(offsets[:-1] - expl_offsets[:-1], counts)
    in_lists += np.arange(expl_offsets[-1], dtype=np.int64)
    expl_choice = instance.choices[in_lists].tolist()
    assignment = result.assignment
    placed = np.flatnonzero(assignment >= 0)
    obtained_choice = np.full(len(app_ids), -1, dtype=np.int64)
    obtained_choice[placed] = instance.choices[offsets[placed] + counts[placed]]
    admitted_out: dict[str, tuple[str, int, Decimal, bool]] = {}
    for a, j, choice in zip(
        placed.tolist(),
        assignment[placed].tolist(),
        obtained_choice[placed].tolist(),
        strict=True,
    ):
        app, code = app_ids[a], prog_ids[j]
        score = instance.score(app, code)
        figures = programmes[code]
        tie = figures["extra_places"] > 0 and score == figures["cutoff"]
        admitted_out[app] = (code, choice, score, tie)
    explanations: dict[str, tuple[int | None, list[dict]]] = {}
    explained = set(np.flatnonzero((counts > 0) | (assignment < 0)).tolist()) | set(instance.notes)
    starts = expl_offsets.tolist()
    expl_programme = result.expl_programme.tolist()
    no_places = result.expl_no_places.tolist()
    cutoffs = result.expl_cutoff.tolist()
    app_scores = result.expl_score.tolist()
    obtained_all = obtained_choice.tolist()
    for a in sorted(explained):
        obtained = obtained_all[a] if obtained_all[a] >= 0 else None
        items = []
        for k in range(starts[a], starts[a + 1]):
            code = prog_ids[expl_programme[k]]
            if no_places[k]:
                items.append({"choice": expl_choice[k], "programme": code, "reason": NO_PLACES})
            else:
                items.append(
                    {
                        "choice": expl_choice[k],
                        "programme": code,
                        "reason": BELOW_CUTOFF,
                        "cutoff": _text(cutoffs[k]),
                        "score": _text(app_scores[k]),
                    }
                )
        left_out = instance.notes.get(a)
        if left_out:
            for choice, code, reason in left_out:
                if obtained is None or choice < obtained:
                    items.append({"choice": choice, "programme": code, "reason": reason})
            items.sort(key=lambda it: it["choice"])
        explanations[app_ids[a]] = (obtained, items)
    timings["map"] = time.perf_counter() - t
    return Outcome(programmes, admitted_out, explanations, problems, timings)
