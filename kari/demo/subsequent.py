"""Demo data of the subsequent stage (``kari demo --phase ranking``), A16, A18.3, A27.7-A27.8.

The demo college (user ``college``, its head) runs two subsequent-stage programmes of one
field: EMIS adds them to the catalogue, the head's act schedules the stage's test (A18.3) on
the last days of the round's season before today, applicants registered at a registration
centre (A16), the head entered the scores of the first programme, made the ranking document
and submitted it to the management system (A27.7): EMIS (user ``emis``) has it to check, the
head's page shows the document and its deadline.

The programmes, the scores and every step go through the services. The two programmes'
places are written into the round's confirmed announcement (demo data, as the generator writes
the announcements), and the ministry's subsequent-stage registration window (A16.2) is open
while the centre registers them, then set back to its dates.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kari.audit.log import record
from kari.catalogue import reference
from kari.catalogue import services as catalogue
from kari.catalogue.models import Announcement, AnnouncementLine
from kari.ranking.services import subsequent
from kari.registration import services as registration
from kari.rounds.models import SEASON_MONTHS

FIELD = "1013"  # catering: a field with programmes at every stage
PROGRAMMES = [
    ("S-1013-01", "მზარეული (მეორე საფეხური)", "Cook (second level)", 2),
    ("S-1013-02", "კონდიტერი (მეორე საფეხური)", "Pastry cook (second level)", 2),
]
SCORES = ["28", "25", "25", "19", "14", "9"]  # a tie at the first programme's cut-off (A27.9)


def _test_days(round_, anchor: dt.date) -> tuple[dt.date, dt.date] | None:
    """The stage's test: two days ending two days before ``anchor``, in the round's season
    (A18.3); None when no such days are left in the season."""
    months = SEASON_MONTHS.get(round_.season, ())
    end = anchor - dt.timedelta(days=2)
    while end.year == round_.year and end.month not in months and end > round_.test_starts:
        end -= dt.timedelta(days=1)
    if end.year != round_.year or end.month not in months:
        return None
    start = end - dt.timedelta(days=1)
    return (start if start.month in months else end), end


@transaction.atomic
def build(round_, institution, users: dict, anchor: dt.date, people: list[dict]) -> dict:
    """``users``: emis, college (the head), clerk; ``people``: civil-registry entries not
    registered for the primary stage."""
    emis, head, clerk = users["emis"], users["college"], users["clerk"]
    days = _test_days(round_, anchor)
    if days is None:
        return {}
    defaults = reference.field_defaults()[FIELD]
    announcement = Announcement.objects.get(institution=institution, round=round_)
    programmes = []
    for code, name_ka, name_en, places in PROGRAMMES:
        p = catalogue.save_programme(
            emis,
            institution,
            {
                "code": code,
                "name_ka": name_ka,
                "name_en": name_en,
                "field": FIELD,
                "stage": "subsequent",
                "skills_test": defaults["skills_test"],
                "subject_group": defaults["subject_group"],
                "foreign_language": "any",
                "authorised_places": places,
            },
            reason="demo data",
        )
        AnnouncementLine.objects.create(
            announcement=announcement, programme=p, places=places, sen_places=0
        )
        programmes.append(p)
    record(
        None,
        "announcement.lines",
        announcement,
        after=[c for c, *_ in PROGRAMMES],
        reason="demo data",
    )
    catalogue.set_subsequent_schedule(
        head,
        institution,
        round_,
        test_starts=days[0],
        test_ends=days[1],
        act_number="01-17/42",
        act_date=round_.registration_opens,
    )
    # A16: registered at a centre while the ministry's window was open (today in Tbilisi,
    # which late in the UTC evening is already the day after the anchor).
    window = (round_.subsequent_registration_opens, round_.subsequent_registration_closes)
    today = timezone.localdate()
    round_.subsequent_registration_opens = min(anchor, today)
    round_.subsequent_registration_closes = max(anchor, today)
    round_.save(update_fields=["subsequent_registration_opens", "subsequent_registration_closes"])
    regs = []
    for n, person in enumerate(people[: len(SCORES)]):
        chosen = [p.code for p in (programmes if n % 3 else reversed(programmes))]
        pending, plain = registration._start(
            clerk,
            {
                "personal_number": person["personal_number"],
                "phone": f"+99559877{n:04d}",
                "email": f"subsequent{n}@demo.kari.ge",
                "education_level": "საბაზო განათლება",
                "qualification": "მზარეულის მესამე დონის კვალიფიკაცია" if n % 2 else "",
                "basic_education_document": f"SB-{2020 + n % 4}-{n:05d}",
                "programmes": chosen,
            },
            round_,
            channel="centre",
            stage="subsequent",
        )
        regs.append(registration.confirm_pending(pending.code_id, plain))
    (
        round_.subsequent_registration_opens,
        round_.subsequent_registration_closes,
    ) = window
    round_.save(update_fields=["subsequent_registration_opens", "subsequent_registration_closes"])
    first = programmes[0]
    subsequent.enter_scores(
        head,
        institution,
        round_,
        [
            {"registration": r.pk, "programme": first.pk, "score": s}
            for r, s in zip(regs, SCORES, strict=False)
        ],
    )
    ranking = subsequent.build_subsequent(head, institution, round_)
    ranking = subsequent.submit_subsequent(head, ranking, today=anchor)
    return {
        "subsequent-stage registrations": len(regs),
        "subsequent-stage document": (
            f"submitted to the management system, {ranking.admitted_count} of "
            f"{ranking.applicants} placed"
        ),
    }
