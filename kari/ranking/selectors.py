"""Reads of the ranking's outcome for other apps (enrolment, portal, cabinet)."""

from django.db.models import QuerySet

from kari.exams.models import Result
from kari.ranking.models import Admission, Ranking, RankingStatus


def approved(round_, stage: str | None = None) -> QuerySet[Ranking]:
    """The round's approved rankings in force (one per stage, and per institution for the
    subsequent stage); superseded versions are left out."""
    qs = Ranking.objects.filter(round=round_, status=RankingStatus.APPROVED)
    return qs.filter(stage=stage) if stage else qs


def admitted(round_, stage: str | None = None) -> QuerySet[Admission]:
    """Who is admitted where by the round's approved ranking(s) (A27), current versions only."""
    return Admission.objects.filter(
        ranking__round=round_, ranking__status=RankingStatus.APPROVED
    ).filter(**({"ranking__stage": stage} if stage else {}))


def applicants_to_tell(round_) -> int:
    """A26.2: the applicants in NAEC's current results of the round, each told when the results
    are published (for the publication's confirmation)."""
    return Result.objects.filter(result_import__round=round_, result_import__current=True).count()
