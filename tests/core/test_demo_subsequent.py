"""The demo's subsequent stage (``kari demo --phase ranking``): its test days fall in the
round's season before the day the demo is built (A18.3), or it is left out."""

import datetime as dt
from types import SimpleNamespace

from kari.demo.subsequent import _test_days


def _round(season, year, test_starts):
    return SimpleNamespace(season=season, year=year, test_starts=test_starts)


def test_A18_3_the_demo_stage_is_tested_two_days_before_the_anchor_in_season():
    r = _round("autumn", 2026, dt.date(2026, 10, 20))
    assert _test_days(r, dt.date(2026, 11, 12)) == (dt.date(2026, 11, 9), dt.date(2026, 11, 10))


def test_A18_3_after_the_season_the_demo_stage_keeps_to_its_last_days():
    r = _round("autumn", 2026, dt.date(2026, 11, 13))
    assert _test_days(r, dt.date(2026, 12, 3)) == (dt.date(2026, 11, 29), dt.date(2026, 11, 30))
    assert _test_days(_round("autumn", 2026, dt.date(2026, 11, 13)), dt.date(2027, 1, 5)) is None
