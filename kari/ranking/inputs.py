"""What the ranking reads from the apps below it, each through one function.

* ``scores(round_)``: every registration's test status and score, with appeal overrides and
  carried-over scores applied (A25.4, A26.1, A28). Until the appeals app lands, the results in
  force are NAEC's current import (``kari.exams``).
* ``sen_enrolled(round_)``: SEN enrolments per programme (the placements of the minister's
  published act, A40.8-A40.9), subtracted from the places (A12.1(a), A26.3): the reserved
  places the act leaves unused stay in the general ranking.
* ``scores`` leaves out the applicants already placed through the SEN track: nobody is placed
  twice (docs/decisions.md).
* ``places(round_)``: the announced places per programme of the confirmed announcements (A13.5).
"""

from dataclasses import dataclass
from decimal import Decimal

from kari.catalogue.models import AnnouncementLine, AnnouncementStatus, Stage
from kari.exams.models import Result, ResultStatus
from kari.registration.models import Registration
from kari.rounds.models import Round
from kari.sen import selectors as sen


@dataclass(frozen=True)
class TestScore:
    """A registration's outcome of the test: ``status`` is a ResultStatus value or "none"
    (no result at all); ``score`` is the test score (the skills test and the subjects together)
    when the test was completed; ``carried`` when the score is carried over (A28.1)."""

    status: str
    score: Decimal | None
    carried: bool = False


NO_RESULT = "none"


def _total(skills, subjects: dict) -> Decimal:
    return (skills or Decimal(0)) + sum((Decimal(str(v)) for v in subjects.values()), Decimal(0))


def _results(round_) -> dict[int, TestScore]:
    """Registration id -> its result in NAEC's current import of the round (A26.1)."""
    out = {}
    rows = Result.objects.filter(
        result_import__round=round_, result_import__current=True
    ).values_list("registration_id", "status", "skills_score", "subject_scores")
    for reg_id, status, skills, subjects in rows.iterator(chunk_size=5000):
        score = _total(skills, subjects) if status == ResultStatus.COMPLETED else None
        out[reg_id] = TestScore(status, score)
    return out


def previous_round(round_):
    """The test round before ``round_`` (A28.1: a score is kept for the next test only)."""
    return Round.objects.filter(test_starts__lt=round_.test_starts).order_by("-test_starts").first()


def scores(round_) -> dict[int, TestScore]:
    """Registration id -> test outcome for every primary-stage registration of the round.

    A28.5: an applicant who sits the test again is judged only by the new results. A28.1: an
    applicant registered with a carried-over score who does not sit the test again is ranked on
    the previous round's score (once: only from the round just before). An applicant placed
    through the SEN track (A40.8) is not ranked again."""
    current = _results(round_)
    placed = sen.placed_applicants(round_, Stage.PRIMARY)  # placed by the SEN act: skipped
    regs = Registration.objects.filter(round=round_, stage=Stage.PRIMARY)
    if placed:
        regs = regs.exclude(applicant_id__in=placed)
    regs = regs.values_list("pk", "applicant_id", "carried_over", "retakes_test")
    out: dict[int, TestScore] = {}
    carried: dict[int, int] = {}
    for reg_id, applicant_id, carried_over, retakes in regs.iterator(chunk_size=5000):
        if carried_over and not retakes:
            carried[applicant_id] = reg_id
        else:
            out[reg_id] = current.get(reg_id, TestScore(NO_RESULT, None))
    if carried:
        prev = previous_round(round_)
        earlier = {}
        if prev is not None:
            by_reg = _results(prev)
            for reg_id, applicant_id in Registration.objects.filter(
                round=prev, stage=Stage.PRIMARY, applicant_id__in=list(carried)
            ).values_list("pk", "applicant_id"):
                earlier[applicant_id] = by_reg.get(reg_id)
        for applicant_id, reg_id in carried.items():
            old = earlier.get(applicant_id)
            if old is not None and old.status == ResultStatus.COMPLETED:
                out[reg_id] = TestScore(ResultStatus.COMPLETED, old.score, carried=True)
            else:
                out[reg_id] = TestScore(NO_RESULT, None, carried=True)
    return out


def sen_enrolled(round_) -> dict[int, int]:
    """Programme id -> SEN applicants enrolled by the minister's act (A40.8, A12.1(a))."""
    return sen.enrolled(round_, Stage.PRIMARY)


def places(round_) -> dict[int, int]:
    """Programme id -> places announced for the round in a confirmed announcement (A13.5)."""
    return dict(
        AnnouncementLine.objects.filter(
            announcement__round=round_,
            announcement__status=AnnouncementStatus.CONFIRMED,
            programme__stage=Stage.PRIMARY,
        ).values_list("programme_id", "places")
    )
