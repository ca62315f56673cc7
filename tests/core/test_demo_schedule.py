"""The demo's two rounds never share a year and season, whatever day it is built on.

The browser tests build the demo anchored on today; on 2026-12-04 the running round tested in
January 2027 and the next round in spring 2027 as well, and the build failed on the rounds'
unique (year, season). A build on any day of two years, in every phase, must file the two rounds
apart.
"""

import datetime as dt

import pytest

from kari.demo.generator import next_schedule, round_key, running_schedule
from kari.rounds.models import Season

PHASES = ["registration", "distribution", "exams", "results", "final-lists", "ranking"]
PHASES += ["enrolment", "sen"]


def natural(test_starts: dt.date) -> tuple[int, str]:
    return test_starts.year, Season.SPRING if test_starts.month <= 6 else Season.AUTUMN


def order(key: tuple[int, str]) -> tuple[int, int]:
    return key[0], 0 if key[1] == Season.SPRING else 1


def test_the_day_ci_failed_on_puts_both_rounds_in_one_natural_season():
    """The case that broke the build: without round_key both rounds were spring 2027."""
    running = running_schedule(dt.date(2026, 12, 4), "registration")
    following = next_schedule(dt.date(2026, 12, 4), running)
    assert natural(running["test_starts"]) == natural(following["test_starts"])
    first = round_key(running["test_starts"], set())
    assert round_key(following["test_starts"], {first}) == (2027, Season.AUTUMN)


@pytest.mark.parametrize("phase", PHASES)
def test_the_two_demo_rounds_are_filed_apart_on_every_day(phase):
    day = dt.date(2026, 1, 1)
    while day < dt.date(2028, 1, 1):
        running = running_schedule(day, phase)
        first = round_key(running["test_starts"], set())
        assert first == natural(running["test_starts"])  # the running round keeps its own
        second = round_key(next_schedule(day, running)["test_starts"], {first})
        assert order(second) > order(first), (phase, day)  # the next round comes later
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        (set(), (2027, Season.SPRING)),
        ({(2027, Season.SPRING)}, (2027, Season.AUTUMN)),
        ({(2027, Season.SPRING), (2027, Season.AUTUMN)}, (2028, Season.SPRING)),
    ],
)
def test_round_key_takes_the_next_free_season(taken, expected):
    assert round_key(dt.date(2027, 4, 12), taken) == expected
