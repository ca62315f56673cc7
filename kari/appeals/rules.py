"""The commission's arithmetic and deadlines (A24.3, A24.4, A25.1, A25.5), plain functions.

"Days" are calendar days; a period that ends on a weekend or a Georgian public holiday ends on
the next working day (``kari.workdays.within_days``), as every deadline of the house does.
Deadlines "from receipt" count from the recorded receipt (the commission's hand-over stamp).
"""

import datetime as dt

from django.utils import timezone

from kari import workdays

HANDOVER_HOURS = 24  # A25.1: the complaint reaches the commission within 24 hours
DECISION_DAYS = 5  # A24.3: the commission decides within 5 days
NOTICE_DAYS = 2  # A25.5: NAEC tells the applicant within 2 days

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
}


def _day(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def handover_due(filed_at: dt.datetime) -> dt.datetime:
    """A25.1: the complaint is handed to the commission within 24 hours of filing."""
    return filed_at + dt.timedelta(hours=HANDOVER_HOURS)


def decision_due(received: dt.date | dt.datetime) -> dt.date:
    """A24.3: the decision within 5 days of the commission's receipt."""
    return workdays.within_days(_day(received), DECISION_DAYS)


def notice_due(decided: dt.date | dt.datetime) -> dt.date:
    """A25.5: the applicant is told within 2 days of the decision."""
    return workdays.within_days(_day(decided), NOTICE_DAYS)


def has_quorum(full_membership: int, present: int) -> bool:
    """A24.4: a session may act when a majority of the full membership is present."""
    return full_membership > 0 and 2 * present > full_membership


def passes(in_favour: int, present: int) -> bool:
    """A24.4: a decision needs a majority of the members present (a tie is no majority)."""
    return present > 0 and 2 * in_favour > present
