"""Statutory deadlines that follow from a round's schedule, each with the body that must act."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kari import workdays
from kari.accounts.roles import OrgKind


@dataclass(frozen=True)
class Deadline:
    key: str
    citation: str
    date: dt.date
    body: str  # an OrgKind
    what: str

    @property
    def body_label(self) -> str:
        return OrgKind(self.body).label


def statutory_deadlines(r) -> list[Deadline]:
    """Every deadline the regulation derives from the schedule of round `r`, by date."""
    reg_closed = r.registration_closes
    a17_2a = workdays.next_working_day(reg_closed)
    a17_2b = workdays.next_working_day(a17_2a)
    a26_3 = workdays.next_working_day(r.reranking_closes)
    a27_1 = workdays.within_days(a26_3, 7)
    items = [
        Deadline(
            "announcement",
            "A13.1",
            r.announcement_deadline,
            OrgKind.INSTITUTION,
            _("Institutions announce admission and enter places"),
        ),
        Deadline(
            "confirmation",
            "A13.3",
            workdays.within_days(r.announcement_deadline, 7),
            OrgKind.QUALITY_CENTRE,
            _("Quality centre confirms the announcements"),
        ),
        Deadline(
            "competition",
            "A9.3",
            workdays.days_before(r.test_starts, 10),
            OrgKind.INSTITUTION,
            _(
                "Competition results of art/sport/tourism and work-based programmes "
                "to EMIS (A9.3, A10.3)"
            ),
        ),
        Deadline(
            "registration_data",
            "A12.3(c)",
            workdays.days_before(r.test_starts, 10),
            OrgKind.EMIS,
            _("EMIS sends NAEC the registration data"),
        ),
        Deadline(
            "distribution",
            "A17.2",
            workdays.within_days(reg_closed, 2),
            OrgKind.EMIS,
            _("Applicants distributed to exam centres"),
        ),
        Deadline(
            "centres_to_naec",
            "A17.2(a)",
            a17_2a,
            OrgKind.EMIS,
            _("EMIS sends NAEC exam centres, registrant numbers, municipalities and tests"),
        ),
        Deadline(
            "numbers_to_emis",
            "A17.2(b)",
            a17_2b,
            OrgKind.NAEC,
            _("NAEC answers with the number of applicants per exam centre"),
        ),
        Deadline(
            "distribution_to_naec",
            "A17.4",
            workdays.within_days(a17_2b, 3),
            OrgKind.EMIS,
            _("EMIS sends NAEC the distribution"),
        ),
        Deadline(
            "sen_enrolments",
            "A12.1(a)",
            workdays.within_days(r.test_ends, 3),
            OrgKind.MINISTRY,
            _("Ministry records the SEN enrolments"),
        ),
        Deadline(
            "results",
            "A26.1",
            workdays.within_days(r.test_ends, 5),
            OrgKind.NAEC,
            _("NAEC sends EMIS the results"),
        ),
        Deadline(
            "final_lists",
            "A26.3",
            a26_3,
            OrgKind.EMIS,
            _("EMIS sends NAEC the final ranked lists and places"),
        ),
        Deadline(
            "ranking",
            "A27.1",
            a27_1,
            OrgKind.NAEC,
            _("NAEC makes and approves the ranking document"),
        ),
        Deadline(
            "ranking_sent",
            "A27.6",
            workdays.within_days(a27_1, 2),
            OrgKind.NAEC,
            _("Electronic ranking document to institutions and EMIS"),
        ),
    ]
    return sorted(items, key=lambda d: (d.date, d.citation))


def deadline(r, key: str) -> Deadline:
    return next(d for d in statutory_deadlines(r) if d.key == key)
