"""What the exam stage's services share: the round lock and the final-distribution guard."""

import datetime as dt

from django.utils.translation import gettext as _

from kari.errors import RuleError
from kari.rounds.models import Round

from ..models import Distribution

STALE_JOB = dt.timedelta(minutes=30)  # a job not finished by then has lost its process


def lock_round(round_) -> None:
    """Serialise the round's exam-stage writes (distribution, moves, issuing, the schedule)."""
    Round.objects.select_for_update().get(pk=round_.pk)


def refuse_if_final(round_) -> None:
    if Distribution.objects.final().filter(round=round_).exists():
        raise RuleError(
            _(
                "Invitations have been issued for this round: the distribution and "
                "the schedule are final."
            ),
            citation="A17.3",
        )
