"""Deadlines, checks and texts of enrolment (A29-A32), without writes."""

import calendar
import datetime as dt

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from kari import workdays

ENROL_DAYS = 2  # A29.2: within 2 days of the ranking act and the documents
ENTRY_DAYS = 3  # A29.4: within 3 days of the contract
SEN_TERMS_DAYS = 5  # A41.1: within 5 days of the minister's act
SEN_ENTRY_DAYS = 3  # A41.3: within 3 days of the contract
VOUCHER_MINIMUM = 5  # A30, A31: fewer than five voucher-funded students
ADULT_AGE = 18
MAX_UPLOAD = 5 * 1024 * 1024
# The types accepted for uploads, recognised by their first bytes, not by the name given.
SIGNATURES = {b"%PDF-": "application/pdf", b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png"}
NON_GEORGIAN_TESTS = {"ru", "az", "hy"}  # A4.2, A29.3

CHALLENGE = _(
    "How to challenge: with an administrative complaint to the institution or a claim in court "
    "(General Administrative Code of Georgia, Administrative Procedure Code of Georgia) within "
    "one month of receiving it, by %(date)s."
)


def enrol_by(ranking_act: dt.date, documents_complete: dt.date) -> dt.date:
    """A29.2: 2 days after the later of the ranking act and the documents, on a working day."""
    return workdays.within_days(max(ranking_act, documents_complete), ENROL_DAYS)


def entry_by(contract_signed: dt.date) -> dt.date:
    """A29.4: 3 days after the contract, on a working day."""
    return workdays.within_days(contract_signed, ENTRY_DAYS)


def sen_terms_by(act_issued: dt.date) -> dt.date:
    """A41.1: 5 days after the minister's act (A40.9), on a working day."""
    return workdays.within_days(act_issued, SEN_TERMS_DAYS)


def sen_entry_by(contract_signed: dt.date) -> dt.date:
    """A41.3: 3 days after the contract, on a working day."""
    return workdays.within_days(contract_signed, SEN_ENTRY_DAYS)


def before_studies(day: dt.date, studies_start: dt.date) -> bool:
    """A41.2: „სწავლის დაწყებამდე“, before studies begin: the day itself is too late."""
    return day < studies_start


def add_month(day: dt.date) -> dt.date:
    """The same day a month later (the last day of a shorter month)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def challenge_by(notified: dt.date) -> dt.date:
    """A month from notice, rolled to a working day."""
    return workdays.on_or_after(add_month(notified))


def challenge_text(notified: dt.date) -> str:
    return str(CHALLENGE) % {"date": challenge_by(notified).strftime("%d.%m.%Y")}


def _challenge_in_language(notified: dt.date) -> str:
    return challenge_text(notified)


# For notices: translated when the notice is written, in each of its languages.
challenge_notice = lazy(_challenge_in_language, str)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def is_minor(birth: dt.date, day: dt.date) -> bool:
    return age_on(birth, day) < ADULT_AGE


def starts_with_georgian_module(test_language: str) -> bool:
    """A29.3: admitted on a Russian, Azerbaijani or Armenian test."""
    return test_language in NON_GEORGIAN_TESTS


def upload_type(head: bytes) -> str | None:
    """The accepted type these first bytes belong to, or None."""
    return next((t for magic, t in SIGNATURES.items() if head.startswith(magic)), None)
