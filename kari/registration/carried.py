"""Carried-over scores (A28): which earlier scores an applicant may carry, and what they are.

The one read the ranking uses is :func:`carried_scores`. The writes (scores taken in, the
ranking's outcome, the import of rounds before Kari) are in ``services``.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from kari.errors import RuleError
from kari.rounds.models import Season

from .models import Registration, ScoreRecord

SKILLS = "skills_score"  # the key of the skills-test score, as in NAEC's results file


def previous_round_key(year: int, season: str) -> tuple[int, str]:
    """A18.1, A28.1: the round immediately before a spring or autumn round of `year`.

    Rounds are twice a year, so the one before spring is the previous year's autumn and the
    one before autumn is the same year's spring; it need not have been run in Kari.
    """
    if season == Season.AUTUMN:
        return year, Season.SPRING
    return year - 1, Season.AUTUMN


def decimal_scores(record: ScoreRecord) -> dict[str, Decimal]:
    return {k: Decimal(str(v)) for k, v in record.scores.items()}


def find_carryable(personal_number: str, round_, *, exclude_registration=None) -> ScoreRecord:
    """A28.1: the scores this applicant may carry into `round_`, or a RuleError saying why not.

    Only from the immediately preceding round, only a primary-stage test, only if that round
    left the applicant without a place, only if there are scores, and only once.
    """
    year, season = previous_round_key(round_.year, round_.season)
    record = (
        ScoreRecord.objects.filter(personal_number=personal_number, year=year, season=season)
        .select_related("skills_test", "subject_group", "registration")
        .first()
    )
    field, citation = "carried_over", "A28.1"
    if record is None:
        raise RuleError(
            _(
                "There are no scores of the immediately preceding round "
                "(%(season)s %(year)s) to carry over (A28.1)."
            )
            % {"season": Season(season).label, "year": year},
            field=field,
            citation=citation,
        )
    if record.registration is not None and record.registration.stage != "primary":
        raise RuleError(
            _("Only primary-stage scores can be carried over (A28.1)."),
            field=field,
            citation=citation,
        )
    if record.registration is not None and record.registration.carried_over:
        raise RuleError(
            _("Carried-over scores can be used only once (A28.1)."),
            field=field,
            citation=citation,
        )
    if not record.scores:
        raise RuleError(
            _("The preceding round recorded no scores for you to carry over (A28.1)."),
            field=field,
            citation=citation,
        )
    if record.admitted is None:
        raise RuleError(
            _(
                "The preceding round's ranking has not yet recorded whether you got a place; "
                "scores can be carried only by an applicant left without one (A28.1)."
            ),
            field=field,
            citation=citation,
        )
    if record.admitted:
        raise RuleError(
            _(
                "You got a place in the preceding round; only an applicant left without "
                "one can carry scores over (A28.1)."
            ),
            field=field,
            citation=citation,
        )
    used = Registration.objects.filter(carried_from=record)
    if exclude_registration is not None:
        used = used.exclude(pk=exclude_registration.pk)
    if used.exists():
        raise RuleError(
            _("Carried-over scores can be used only once (A28.1)."),
            field=field,
            citation=citation,
        )
    return record


def carried_scores(round_, sat=()) -> dict[int, dict[str, Decimal]]:
    """A28: the carried-over scores the ranking of `round_` uses, by registration id.

    Returns ``{registration_id: {component: Decimal}}`` for every primary-stage registration
    of `round_` that carries scores over (A28.1). The components are keyed as in NAEC's
    results file: ``"skills_score"`` for the professional skills test and one key per subject
    code of the subject group (``"georgian"``, ``"mathematics"``, ``"foreign_language"``, …).

    A28.5: an applicant who registered to sit the test again is judged only by the new
    results, even if lower. Pass in `sat` the ids of the registrations that did sit this round
    (a result whose status is not ``absent``): those are left out. A retaker who was absent
    did not sit, so their carried scores still count (docs/decisions.md).
    """
    sat = set(sat)
    qs = (
        Registration.objects.filter(round=round_, stage="primary", carried_over=True)
        .exclude(carried_from=None)
        .select_related("carried_from")
    )
    return {
        reg.pk: decimal_scores(reg.carried_from)
        for reg in qs
        if not (reg.retakes_test and reg.pk in sat)
    }
