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
    # (applicant id, programme code) -> competitive score
    scores: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    def json_bytes(self) -> bytes:
        return canonical(self.data)


def build_instance(document: dict, formula: dict) -> Instance:
    """The ``kari allocate`` instance of frozen final lists under NAEC's formula."""
    test_weight = Decimal(formula.get("test_weight") or "1")
    competition_weight = Decimal(formula.get("competition_weight") or "1")
    minimum = formula.get("minimum")
    minimum = Decimal(minimum) if minimum not in (None, "") else None
    programmes = {p["code"]: p for p in document["programmes"]}
    out_programmes = [
        {"id": p["code"], "capacity": int(p["capacity"])} for p in document["programmes"]
    ]
    applicants = []
    notes: dict[str, list[tuple[str, str]]] = {}
    scores: dict[tuple[str, str], Decimal] = {}
    for a in document["applicants"]:
        test = Decimal(a["test_score"])
        competition = a.get("competition") or {}
        prefs: list[str] = []
        own: dict[str, int | float] = {}
        left_out: list[tuple[str, str]] = []
        for code in a["choices"]:
            p = programmes[code]
            kind = p["kind"]
            if kind == WORK_BASED:
                if code not in competition:
                    left_out.append((code, NO_COMPETITION_RESULT))
                    continue
                score = Decimal(competition[code])
            else:
                if minimum is not None and test < minimum:
                    left_out.append((code, BELOW_MINIMUM))
                    continue
                if kind == ART and p.get("competition_held"):
                    if code not in competition:
                        left_out.append((code, NO_COMPETITION_RESULT))
                        continue
                    score = (
                        test_weight * test + competition_weight * Decimal(competition[code])
                    ).quantize(SCORE_PLACES)
                else:
                    score = test
            prefs.append(code)
            scores[(a["id"], code)] = score
            if score != test:
                own[code] = _json_number(score)
        entry: dict = {"id": a["id"], "score": _json_number(test), "preferences": prefs}
        if own:
            entry["programme_scores"] = own
        applicants.append(entry)
        if left_out:
            notes[a["id"]] = left_out
    return Instance({"programmes": out_programmes, "applicants": applicants}, notes, scores)


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


def _dec(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def allocate(document: dict, instance: Instance) -> Outcome:
    """Run the engine and the independent checker on the instance; map the result back."""
    inst = allocation.loads(instance.json_bytes())
    result = allocation.solve(inst)
    problems = allocation.check(inst, result)
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
    assignment = result.assignment
    for i, app in enumerate(app_ids):
        listed = choices[app]
        rank = {code: k for k, code in enumerate(listed, start=1)}
        j = int(assignment[i])
        obtained = None
        if j >= 0:
            code = prog_ids[j]
            obtained = rank[code]
            score = instance.scores[(app, code)]
            tie = programmes[code]["extra_places"] > 0 and score == programmes[code]["cutoff"]
            admitted_out[app] = (code, obtained, score, tie)
        items = []
        lo, hi = int(result.expl_offsets[i]), int(result.expl_offsets[i + 1])
        for k in range(lo, hi):
            code = prog_ids[int(result.expl_programme[k])]
            if result.expl_no_places[k]:
                items.append({"choice": rank[code], "programme": code, "reason": NO_PLACES})
            else:
                items.append(
                    {
                        "choice": rank[code],
                        "programme": code,
                        "reason": BELOW_CUTOFF,
                        "cutoff": number(_dec(result.expl_cutoff[k])),
                        "score": number(_dec(result.expl_score[k])),
                    }
                )
        for code, reason in instance.notes.get(app, ()):
            if obtained is None or rank[code] < obtained:
                items.append({"choice": rank[code], "programme": code, "reason": reason})
        items.sort(key=lambda it: it["choice"])
        explanations[app] = (obtained, items)
    return Outcome(programmes, admitted_out, explanations, problems)
