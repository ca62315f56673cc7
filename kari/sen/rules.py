"""The SEN track's rules (A33-A40) without writes: deadlines from the working-day calendar,
limits, the documents required, and the reading of A40.6."""

import datetime as dt

from kari import workdays

MAX_PROGRAMMES = 3  # A37.4(c), A38.4(f): „არაუმეტეს სამისა“
MIN_EXPERTS = 3  # A36.1: „არანაკლებ 3 ექსპერტისაგან“
MIN_SIGNATURES = 3  # A37.10(a), A38.9(a): „მინიმუმ სამი წევრის ხელმოწერით“
CONCLUSION_DAYS = 3  # A36.2: „მიმართვიდან 3 დღის ვადაში“
DOCUMENT_WORKING_DAYS = 4  # A37.5, A37.10, A38.5, A38.9: „4 სამუშაო დღის ვადაში“
STATUS_CHANGE_DAYS = 5  # A37.9, A38.8: „ვადის დასრულებიდან 5 დღის განმავლობაში“
HOSTS_DAYS = 5  # A39.1: „რეგისტრაციის დასრულებიდან 5 დღის ვადაში“
PACKAGE_DAYS = 3  # A40.7: „ტესტირების დასრულებიდან 3 დღის ვადაში“
DISTRIBUTION_DAYS = 7  # A40.8: „წარდგენიდან 7 დღის ვადაში“

# A37.10 (a)-(e): the documents an institution may receive; which are required depends on the
# conclusion: (a) always; (c.a)/(c.b) for a hearing/sight impairment; (d) for a behavioural or
# emotional disorder; (b) and (e) only "if any" („ასეთის არსებობის შემთხვევაში“).
ALWAYS = ("conclusion",)
IF_ANY = ("learning_plan", "disability")


def conclusion_due(requested_on: dt.date) -> dt.date:
    """A36.2: 3 days from the request, rolled to a working day."""
    return workdays.within_days(requested_on, CONCLUSION_DAYS)


def documents_due(registered_on: dt.date) -> dt.date:
    """A37.5, A37.10, A38.5, A38.9: the 4th working day after the registration."""
    return workdays.within_working_days(registered_on, DOCUMENT_WORKING_DAYS)


def status_change_until(closes: dt.date) -> dt.date:
    """A37.9, A38.8: the ministry may change the SEN status within 5 days after the window."""
    return workdays.within_days(closes, STATUS_CHANGE_DAYS)


def hosts_due(closes: dt.date) -> dt.date:
    """A39.1: the minister names the hosts and distributes within 5 days after registration."""
    return workdays.within_days(closes, HOSTS_DAYS)


def package_due(test_ends: dt.date) -> dt.date:
    """A40.7: scores, document analysis and recommendation reach the ministry within 3 days
    of the end of the testing."""
    return workdays.within_days(test_ends, PACKAGE_DAYS)


def distribution_due(received_on: dt.date) -> dt.date:
    """A40.8: the ministerial commission distributes within 7 days of receiving the packages."""
    return workdays.within_days(received_on, DISTRIBUTION_DAYS)


def in_window(today: dt.date, opens: dt.date, closes: dt.date) -> bool:
    return opens <= today <= closes


def required_documents(
    *,
    hearing: bool,
    sight: bool,
    behavioural: bool,
    stage: str = "primary",
    assessed: bool = False,
    continues_elsewhere: bool = False,
) -> list[str]:
    """The documents the applicant must bring (A37.10, A38.9), by the conclusion's findings.

    A38.10: at the subsequent stage they are required only if the applicant has not been
    assessed by an expert team or continues at another institution."""
    if stage == "subsequent" and assessed and not continues_elsewhere:
        return []
    kinds = list(ALWAYS)
    if hearing:
        kinds.append("audiogram")
    if sight:
        kinds.append("ophthalmologist")
    if behavioural:
        kinds.append("specialist")
    return kinds


def oversubscribed(registrants: int, reserved: int) -> bool:
    """A40.6: more SEN registrants on a programme than its reserved places (A13.2)."""
    return registrants > reserved


def registration_time(value: dt.datetime) -> str:
    """A40.6: the registration time as the rule names it: month, day, hour, minute, second."""
    return f"{value:%d.%m %H:%M:%S}"
