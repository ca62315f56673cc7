"""The results the ranking reads: NAEC's current import (A26.1) with the commission's overrides
applied (A25.4). This is the one function the ranking calls; nothing else applies overrides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import msgspec
from django.db.models import TextField
from django.db.models.functions import Cast

from kari.exams.models import Result, ResultImport

from .models import OverrideKind, ResultOverride


@dataclass(frozen=True)
class AppliedOverride:
    """One override in force on one test item."""

    kind: str  # "zero" (A25.4(a)) or "remark" (A25.4(b))
    item: str  # "skills" or a subject code
    imported: Decimal | None  # NAEC's score for the item in the current import
    score: Decimal  # the score in force
    decision: str  # the commission's decision number


@dataclass(frozen=True)
class EffectiveResult:
    """An applicant's results as they count."""

    registration_id: int
    status: str  # exams.ResultStatus: completed, absent, not_finished, removed
    skills_score: Decimal | None
    subject_scores: dict[str, Decimal]  # subject code -> score
    overrides: tuple[AppliedOverride, ...] = ()
    pending: tuple[str, ...] = field(default=())  # items whose re-mark NAEC has not entered

    @property
    def total(self) -> Decimal | None:
        """The skills score plus the subject scores (None when there is no skills score)."""
        if self.skills_score is None:
            return None
        return self.skills_score + sum(self.subject_scores.values(), Decimal(0))


def effective_results(round_) -> dict[int, EffectiveResult]:
    """The round's results with the appeals commission's overrides applied.

    Returns ``{registration id: EffectiveResult}`` for every row of NAEC's current results import
    of ``round_`` (A26.1; empty when none was imported). For each row:

    - ``status``, ``skills_score`` (``Decimal`` or ``None``) and ``subject_scores``
      (``{subject code: Decimal}``) are NAEC's, except that
    - every override in force replaces the score of its item (``"skills"`` -> ``skills_score``,
      a subject code -> ``subject_scores[code]``): a re-mark (A25.4(b)) by the score NAEC entered,
      then a zero (A25.4(a)) by 0, so a zero always wins;
    - ``overrides`` lists what was applied (kind, item, NAEC's score, the score in force, the
      decision's number); ``pending`` names the items of an upheld re-mark whose new score NAEC
      has not entered yet (NAEC's score stands until it does).

    Overrides are rows of their own, never edits of the imported results, so a re-import of
    NAEC's file keeps them (the new import's score shows as ``imported``).
    """
    current = ResultImport.objects.current(round_).first()
    if current is None:
        return {}
    by_reg: dict[int, list[ResultOverride]] = {}
    for o in ResultOverride.objects.filter(round=round_).select_related("decision").order_by("pk"):
        by_reg.setdefault(o.registration_id, []).append(o)
    out: dict[int, EffectiveResult] = {}
    # A national round has about 100,000 rows: tuples, not model instances, and the subject
    # scores' JSON decoded by msgspec (as json.loads decodes it, in a fifth of the time).
    rows = (
        Result.objects.filter(result_import=current)
        .annotate(subjects_json=Cast("subject_scores", TextField()))
        .values_list("registration_id", "status", "skills_score", "subjects_json")
    )
    decode = msgspec.json.decode
    for registration_id, status, skills, subjects_json in rows.iterator(chunk_size=5000):
        subject_scores = decode(subjects_json) if subjects_json else None
        subjects = {k: Decimal(v) for k, v in (subject_scores or {}).items()}
        mine = by_reg.get(registration_id)
        if not mine:
            out[registration_id] = EffectiveResult(
                registration_id=registration_id,
                status=status,
                skills_score=skills,
                subject_scores=subjects,
            )
            continue
        naec = {"skills": skills, **subjects}
        applied, pending = [], []
        for o in sorted(mine, key=lambda o: o.kind != "remark"):
            if o.score is None:
                pending.append(o.item)
                continue
            imported = naec.get(o.item)
            if o.item == "skills":
                skills = o.score
            else:
                subjects[o.item] = o.score
            applied.append(
                AppliedOverride(
                    kind=OverrideKind(o.kind).value,
                    item=o.item,
                    imported=imported,
                    score=o.score,
                    decision=o.decision.number,
                )
            )
        out[registration_id] = EffectiveResult(
            registration_id=registration_id,
            status=status,
            skills_score=skills,
            subject_scores=subjects,
            overrides=tuple(applied),
            pending=tuple(pending),
        )
    return out
