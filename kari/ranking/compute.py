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

import json
import time
from dataclasses import dataclass, field
from decimal import Decimal

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


def number(d: Decimal) -> str:
    """A decimal as its shortest plain text ("23.5", "20")."""
    text = f"{d.normalize():f}"
    return text


def _json_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


def canonical(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Instance:
    """The allocation instance built from final lists, with what was left out upstream."""

    data: dict
    # applicant id -> [(programme code, reason)] for choices left out before allocation
    notes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # applicant id -> {programme code: competitive score} where it is not the test score
    own_scores: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    test_scores: dict[str, Decimal] = field(default_factory=dict)

    def json_bytes(self) -> bytes:
        return canonical(self.data)

    def score(self, applicant: str, code: str) -> Decimal:
        own = self.own_scores.get(applicant)
        if own is not None and code in own:
            return own[code]
        return self.test_scores[applicant]


def build_instance(document: dict, formula: dict) -> Instance:
    """The ``kari allocate`` instance of frozen final lists under NAEC's formula."""
    test_weight = Decimal(formula.get("test_weight") or "1")
    competition_weight = Decimal(formula.get("competition_weight") or "1")
    minimum = formula.get("minimum")
    minimum = Decimal(minimum) if minimum not in (None, "") else None
    kinds = {p["code"]: p["kind"] for p in document["programmes"]}
    held = {p["code"] for p in document["programmes"] if p.get("competition_held")}
    out_programmes = [
        {"id": p["code"], "capacity": int(p["capacity"])} for p in document["programmes"]
    ]
    applicants = []
    notes: dict[str, list[tuple[str, str]]] = {}
    own_scores: dict[str, dict[str, Decimal]] = {}
    test_scores: dict[str, Decimal] = {}
    numbers: dict[str, Decimal] = {}
    for a in document["applicants"]:
        app = a["id"]
        text = a["test_score"]
        test = numbers.get(text)
        if test is None:
            test = numbers[text] = Decimal(text)
        test_scores[app] = test
        competition = a.get("competition")
        below = minimum is not None and test < minimum
        if competition is None and not below:
            prefs = [c for c in a["choices"] if kinds[c] != WORK_BASED]
            if len(prefs) != len(a["choices"]):
                notes[app] = [
                    (c, NO_COMPETITION_RESULT) for c in a["choices"] if kinds[c] == WORK_BASED
                ]
            # an art programme that held a competition needs the applicant's result there
            if held and any(c in held for c in prefs):
                left = [c for c in prefs if c in held]
                notes.setdefault(app, []).extend((c, NO_COMPETITION_RESULT) for c in left)
                prefs = [c for c in prefs if c not in held]
            applicants.append({"id": app, "score": _json_number(test), "preferences": prefs})
            continue
        competition = competition or {}
        prefs = []
        own: dict[str, Decimal] = {}
        left_out: list[tuple[str, str]] = []
        for code in a["choices"]:
            kind = kinds[code]
            if kind == WORK_BASED:
                if code not in competition:
                    left_out.append((code, NO_COMPETITION_RESULT))
                    continue
                score = Decimal(competition[code])
            elif below:
                left_out.append((code, BELOW_MINIMUM))
                continue
            elif kind == ART and code in held:
                if code not in competition:
                    left_out.append((code, NO_COMPETITION_RESULT))
                    continue
                score = (
                    test_weight * test + competition_weight * Decimal(competition[code])
                ).quantize(SCORE_PLACES)
            else:
                score = test
            prefs.append(code)
            if score != test:
                own[code] = score
        entry: dict = {"id": app, "score": _json_number(test), "preferences": prefs}
        if own:
            entry["programme_scores"] = {c: _json_number(v) for c, v in own.items()}
            own_scores[app] = own
        applicants.append(entry)
        if left_out:
            notes[app] = left_out
    return Instance(
        {"programmes": out_programmes, "applicants": applicants}, notes, own_scores, test_scores
    )


@dataclass
class Outcome:
    """What a ranking stores, keyed by the final lists' ids."""

    # programme code -> {admitted, cutoff (Decimal|None), extra_places, beyond_limit, applicants}
    programmes: dict[str, dict]
    # applicant id -> (programme code, choice (1-based), score, by_tie_rule)
    admitted: dict[str, tuple[str, int, Decimal, bool]]
    # applicant id -> (choice obtained or None, [explanation items])
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
    """Run the engine and the independent checker on the instance; map the result back."""
    t = time.perf_counter()
    inst = allocation.loads(instance.json_bytes())
    timings = {"parse": time.perf_counter() - t}
    t = time.perf_counter()
    result = allocation.solve(inst)
    timings["solve"] = time.perf_counter() - t
    t = time.perf_counter()
    problems = allocation.check(inst, result)
    timings["check"] = time.perf_counter() - t
    t = time.perf_counter()
    app_ids, prog_ids = inst.applicant_ids, inst.programme_ids
    by_code = {p["code"]: p for p in document["programmes"]}
    capacity = inst.capacity
    demand = np.bincount(inst.prefs, minlength=len(prog_ids))
    programmes: dict[str, dict] = {}
    for j, code in enumerate(prog_ids):
        admitted = int(result.admitted[j])
        cutoff = None if np.isnan(result.cutoff[j]) else _dec(result.cutoff[j])
        extra = int(result.extra_places[j])
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
            "applicants": int(demand[j]),
            "capacity": int(capacity[j]),
        }
    choices = {a["id"]: a["choices"] for a in document["applicants"]}
    admitted_out: dict[str, tuple[str, int, Decimal, bool]] = {}
    explanations: dict[str, tuple[int | None, list[dict]]] = {}
    assignment = result.assignment.tolist()
    offsets = result.expl_offsets.tolist()
    expl_programme = result.expl_programme.tolist()
    no_places = result.expl_no_places.tolist()
    cutoffs = result.expl_cutoff.tolist()
    app_scores = result.expl_score.tolist()
    for i, app in enumerate(app_ids):
        listed = choices[app]
        rank = {code: k for k, code in enumerate(listed, start=1)}
        j = assignment[i]
        obtained = None
        if j >= 0:
            code = prog_ids[j]
            obtained = rank[code]
            score = instance.score(app, code)
            tie = programmes[code]["extra_places"] > 0 and score == programmes[code]["cutoff"]
            admitted_out[app] = (code, obtained, score, tie)
        items = []
        for k in range(offsets[i], offsets[i + 1]):
            code = prog_ids[expl_programme[k]]
            if no_places[k]:
                items.append({"choice": rank[code], "programme": code, "reason": NO_PLACES})
            else:
                items.append(
                    {
                        "choice": rank[code],
                        "programme": code,
                        "reason": BELOW_CUTOFF,
                        "cutoff": _text(cutoffs[k]),
                        "score": _text(app_scores[k]),
                    }
                )
        for code, reason in instance.notes.get(app, ()):
            if obtained is None or rank[code] < obtained:
                items.append({"choice": rank[code], "programme": code, "reason": reason})
        if instance.notes.get(app):
            items.sort(key=lambda it: it["choice"])
        explanations[app] = (obtained, items)
    timings["map"] = time.perf_counter() - t
    return Outcome(programmes, admitted_out, explanations, problems, timings)
