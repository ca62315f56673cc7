"""Statutory deadlines that follow from a round's schedule, each with the body that must act."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kari import workdays
from kari.accounts.roles import OrgKind

from .models import Receipt


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


def receipts(r) -> dict[str, dt.date]:
    """The recorded receipts of round `r`'s hand-overs (deadline key -> date received)."""
    if r.pk is None:
        return {}
    return dict(Receipt.objects.filter(round=r).values_list("key", "received_on"))


def statutory_deadlines(r) -> list[Deadline]:
    """Every deadline the regulation derives from the schedule of round `r`, by date.

    Deadlines the regulation counts from the receipt of a hand-over (მიღებიდან: A17.2(b),
    A17.4, A27.1, A27.6) count from its recorded receipt once there is one, and from the date
    that hand-over is due before that.
    """
    got = receipts(r)
    reg_closed = r.registration_closes
    a17_2a = workdays.next_working_day(reg_closed)
    a17_2b = workdays.next_working_day(got.get("centres_to_naec", a17_2a))
    # A17.2: the distribution is made "in agreement with NAEC" within 2 days of registration
    # closing, but NAEC's numbers (A17.2(b)) may come later; it is then due with them
    # (docs/decisions.md).
    a17_2 = max(workdays.within_days(reg_closed, 2), a17_2b)
    a17_4 = workdays.within_days(got.get("numbers_to_emis", a17_2b), 3)
    a26_3 = workdays.next_working_day(r.reranking_closes)
    a27_1 = workdays.within_days(got.get("final_lists", a26_3), 7)
    a27_5 = workdays.within_days(got.get("ranking_approved", a27_1), 2)
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
            a17_2,
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
            a17_4,
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
            "A27.5",
            a27_5,
            OrgKind.NAEC,
            _("Electronic ranking document to institutions and EMIS"),
        ),
        Deadline(
            "ranking_entered",
            "A27.6",
            workdays.within_days(got.get("ranking_sent", a27_5), 3),
            OrgKind.EMIS,
            _("EMIS enters the ranking document's applicants into the VET management system"),
        ),
    ]
    return sorted(items, key=lambda d: (d.date, d.citation))


def deadline(r, key: str) -> Deadline:
    return next(d for d in statutory_deadlines(r) if d.key == key)
