"""The working-day calendar: Georgian public holidays (the `holidays` package) and weekends.

Deadlines in the regulation count calendar days ("within 7 days", A13.3) or working
days ("the next working day", A17.2(a); "within 4 working days", A37.5). A deadline
that counts calendar days and ends on a non-working day moves to the next working
day (forward deadlines) or the previous one (deadlines *before* an event, A12.3(c)),
so that the body that must act always has a working day to do it.
"""

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GE", years=year)


def holiday_name(day: dt.date) -> str | None:
    return _holidays(day.year).get(day)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: dt.date) -> dt.date:
    """The first working day strictly after `day`."""
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def on_or_after(day: dt.date) -> dt.date:
    return day if is_working_day(day) else next_working_day(day)


def on_or_before(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def within_days(start: dt.date, days: int) -> dt.date:
    """Last day of a period of `days` calendar days after `start`, rolled to a working day."""
    return on_or_after(start + dt.timedelta(days=days))


def within_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start`."""
    day = start
    for _ in range(days):
        day = next_working_day(day)
    return day


def days_before(event: dt.date, days: int) -> dt.date:
    """Latest day to act when the rule says `days` calendar days before `event` (A12.3(c))."""
    return on_or_before(event - dt.timedelta(days=days))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count
