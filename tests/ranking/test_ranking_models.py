from decimal import Decimal

from django.utils import timezone

from kari.ranking import selectors
from kari.ranking.models import Admission, Ranking, RankingStatus


def test_admitted_reads_only_the_approved_version(world, make_reg):
    r = world["round"]
    prog = world["progs_a"][0]
    reg = make_reg(r, 1, [prog])
    now = timezone.now()

    def ranking(version, status):
        rk = Ranking.objects.create(
            round=r, version=version, status=status, inputs_checksum="x", built_at=now
        )
        Admission.objects.create(
            ranking=rk, registration=reg, programme=prog, score=Decimal("20"), choice=1
        )
        return rk

    ranking(1, RankingStatus.SUPERSEDED)
    current = ranking(2, RankingStatus.APPROVED)
    ranking(3, RankingStatus.DRAFT)
    got = list(selectors.admitted(r))
    assert [a.ranking_id for a in got] == [current.pk]
    assert list(selectors.admitted(r, stage="subsequent")) == []
