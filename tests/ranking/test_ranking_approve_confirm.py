"""Issue 19: approving a ranking is a confirmation step that says what will happen and that it
cannot be undone, with a warning button."""

from kari.ranking.models import Ranking, RankingStatus
from tests.conftest import sign_in


def test_A27_1_approving_the_ranking_is_a_confirmation_that_cannot_be_undone(rb, client):
    p = rb.programme("P-1", 5)
    rb.applicant(8, [p])
    ranking = rb.rank()
    sign_in(client, rb.naec)
    html = client.get(f"/ranking/{ranking.pk}/approve/").content.decode()
    assert 'id="confirm-warning"' in html and 'id="confirm-consequences"' in html
    assert 'class="warning" id="confirm-button"' in html
    assert client.post(f"/ranking/{ranking.pk}/approve/", {}).status_code == 200
    assert Ranking.objects.get(pk=ranking.pk).status != RankingStatus.APPROVED
