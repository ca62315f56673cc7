"""`kari sen schedule|status|purge`: the minister's schedule on the round being run (A37.2,
A40.1), a summary in counts, and the retention purge."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kari.rounds.models import Round
from kari.sen.models import Schedule
from tests.sen.conftest import TODAY

pytestmark = pytest.mark.django_db


def test_A40_1_the_schedule_from_the_command_line_on_the_round_being_run(sen):
    later = Round.objects.create(
        **{
            f: (getattr(sen.round, f) + dt.timedelta(days=400)) if getattr(sen.round, f) else None
            for f in sen.round.schedule()
        },
        year=sen.round.year + 1,
        season=sen.round.season,
    )
    out = StringIO()
    args = ["--opens", str(TODAY), "--closes", str(TODAY + dt.timedelta(days=3))]
    args += ["--test-starts", str(TODAY + dt.timedelta(days=5))]
    args += ["--test-ends", str(TODAY + dt.timedelta(days=6)), "--max-minutes", "90"]
    call_command("sen", "schedule", "--user", sen.officer.username, *args, stdout=out)
    s = Schedule.objects.get()
    assert s.round == sen.round != later and s.max_minutes == 90
    with pytest.raises(CommandError):  # not the ministry's SEN unit
        call_command("sen", "schedule", "--user", sen.clerk.username, *args)
    out = StringIO()
    sen.register(0)
    call_command("sen", "status", stdout=out)
    assert "primary pending: 1" in out.getvalue()
    out = StringIO()
    call_command("sen", "purge", stdout=out)
    assert "erased: 0" in out.getvalue()
