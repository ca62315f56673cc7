"""The working-day calendar with Georgian public holidays (docs/facts.md)."""

import datetime as dt

from kari import workdays

D = dt.date


def test_orthodox_easter_2026_good_friday_to_easter_monday_are_holidays():
    # Orthodox Easter 2026-04-12: Good Friday 10th, Holy Saturday 11th, Easter Monday 13th.
    for day in (D(2026, 4, 10), D(2026, 4, 11), D(2026, 4, 12), D(2026, 4, 13)):
        assert not workdays.is_working_day(day), day
    assert workdays.is_working_day(D(2026, 4, 14))
    assert workdays.is_working_day(D(2026, 4, 8))


def test_next_working_day_skips_the_easter_weekend_2026():
    # 9 April is itself a holiday (national unity day); Thursday 9 -> Tuesday 14.
    assert not workdays.is_working_day(D(2026, 4, 9))
    assert workdays.next_working_day(D(2026, 4, 8)) == D(2026, 4, 14)


def test_orthodox_easter_2027_is_on_2_may():
    assert not workdays.is_working_day(D(2027, 4, 30))  # Good Friday
    assert not workdays.is_working_day(D(2027, 5, 3))  # Easter Monday
    assert workdays.next_working_day(D(2027, 4, 29)) == D(2027, 5, 4)


def test_17_may_is_a_holiday_since_2025():
    assert not workdays.is_working_day(D(2027, 5, 17))  # a Monday
    assert workdays.holiday_name(D(2027, 5, 17))
    assert workdays.next_working_day(D(2027, 5, 14)) == D(2027, 5, 18)


def test_within_days_rolls_a_deadline_off_a_holiday():
    # 7 days after 10 May 2027 is 17 May (holiday) -> 18 May.
    assert workdays.within_days(D(2027, 5, 10), 7) == D(2027, 5, 18)
    assert workdays.within_days(D(2026, 11, 2), 7) == D(2026, 11, 9)


def test_within_working_days_counts_only_working_days():
    # From Wednesday 8 April 2026: 14th (Tue), 15th, 16th.
    assert workdays.within_working_days(D(2026, 4, 8), 3) == D(2026, 4, 16)
    assert workdays.working_days_between(D(2026, 4, 8), D(2026, 4, 16)) == 3


def test_days_before_rolls_back_to_a_working_day():
    # 10 days before Wednesday 27 May 2026 is Sunday 17 May (holiday, weekend) -> Friday 15 May.
    assert workdays.days_before(D(2026, 5, 27), 10) == D(2026, 5, 15)


def test_weekends_are_not_working_days():
    assert not workdays.is_working_day(D(2026, 11, 21))  # Saturday
    assert workdays.next_working_day(D(2026, 11, 20)) == D(
        2026, 11, 24
    )  # 23 Nov is St George's day
