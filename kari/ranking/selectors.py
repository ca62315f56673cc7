"""Reads of the ranking's outcome for other apps (enrolment, portal, cabinet)."""

from django.db.models import QuerySet

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
