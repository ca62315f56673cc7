"""What the ranking reads from the apps below it, each through one function.

* ``scores(round_)``: every registration's test status and score, with the appeals
  commission's overrides applied (``kari.appeals.results.effective_results``, A25.4, A26.1) and
  carried-over scores applied (``kari.registration.carried.carried_scores``, A28).
* ``sen_enrolled(round_)``: SEN enrolments per programme (the placements of the minister's
  published act, A40.8-A40.9), subtracted from the places (A12.1(a), A26.3): the reserved
  places the act leaves unused stay in the general ranking.
* ``scores`` leaves out the applicants already placed through the SEN track: nobody is placed
  twice (docs/decisions.md).
* ``places(round_)``: the announced places per programme of the confirmed announcements (A13.5).
"""

from dataclasses import dataclass
from decimal import Decimal

from kari.appeals.results import effective_results
from kari.catalogue.models import AnnouncementLine, AnnouncementStatus, Stage
from kari.exams.models import ResultStatus
from kari.registration.carried import carried_scores
from kari.registration.models import Registration
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
    """The skills score plus the subjects' (the same additions, in the same order, as
    ``skills + sum(subjects)``; a value that is already a Decimal is not converted again)."""
    subtotal = Decimal(0)
    for v in subjects.values():
        subtotal += v if type(v) is Decimal else Decimal(str(v))
    return (skills or Decimal(0)) + subtotal


def scores(round_) -> dict[int, TestScore]:
    """Registration id -> test outcome for every primary-stage registration of the round.

    The results are NAEC's current import with the commission's overrides applied (a zero of
    A25.4(a), a re-mark of A25.4(b)): ``effective_results`` is the only reader of overrides.
    A28.1: an applicant registered with carried-over scores who does not sit the test again is
    ranked on the carried scores; A28.5: one who sat it again is judged only by the new results
    (``carried_scores`` leaves out those who sat, i.e. have a result that is not "absent").
    An applicant placed through the SEN track (A40.8) is not ranked again."""
    current = effective_results(round_)
    sat = [reg_id for reg_id, r in current.items() if r.status != ResultStatus.ABSENT]
    carried = carried_scores(round_, sat=sat)
    placed = sen.placed_applicants(round_, Stage.PRIMARY)  # placed by the SEN act: skipped
    regs = Registration.objects.filter(round=round_, stage=Stage.PRIMARY)
    if placed:
        regs = regs.exclude(applicant_id__in=placed)
    regs = regs.values_list("pk", "carried_over")
    out: dict[int, TestScore] = {}
    for reg_id, carried_over in regs.iterator(chunk_size=5000):
        if reg_id in carried:
            out[reg_id] = TestScore(
                ResultStatus.COMPLETED, _total(None, carried[reg_id]), carried=True
            )
            continue
        r = current.get(reg_id)
        if r is None:
            out[reg_id] = TestScore(NO_RESULT, None, carried=carried_over)
        elif r.status == ResultStatus.COMPLETED:
            out[reg_id] = TestScore(r.status, _total(r.skills_score, r.subject_scores))
        else:
            out[reg_id] = TestScore(r.status, None)
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
