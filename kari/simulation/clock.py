"""The simulated clock: every service reads the time through ``django.utils.timezone.now``
(and ``localdate``, which calls it); while the clock is installed that returns the simulated
instant, so each step runs on its statutory day and every deadline is computed as it would be
on that day."""

import datetime as dt
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone


class Clock:
    def __init__(self, start: dt.datetime):
        self.at = start if timezone.is_aware(start) else timezone.make_aware(start)

    def now(self) -> dt.datetime:
        return self.at

    def today(self) -> dt.date:
        return timezone.localtime(self.at).date()

    def set(self, day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
        """Move to ``day`` at ``hour:minute`` local time; the clock never goes back."""
        target = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
        self.at = max(self.at, target)
        return self.at

    def jump(self, day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
        """Move to a flow's own planned instant, even back a little: the simulated people's
        flows run side by side (``kari.simulation.parallel``), each at its own instant
        whatever the flows before it in the same process took, so the outcome does not
        depend on how the people are shared among the processes."""
        return self.jump_to(dt.datetime.combine(day, dt.time(hour, minute)))

    def jump_to(self, when: dt.datetime) -> dt.datetime:
        """:meth:`jump` to an instant."""
        self.at = when if timezone.is_aware(when) else timezone.make_aware(when)
        return self.at

    def at_time(self, when: dt.datetime) -> dt.datetime:
        when = when if timezone.is_aware(when) else timezone.make_aware(when)
        self.at = max(self.at, when)
        return self.at

    def tick(self, seconds: float = 1) -> dt.datetime:
        self.at += dt.timedelta(seconds=seconds)
        return self.at

    @contextmanager
    def installed(self):
        with mock.patch.object(timezone, "now", self.now):
            yield self
