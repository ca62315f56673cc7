"""The stages of a simulated round, each on its statutory day, each through the services.

Every stage is a function ``stage(sim) -> dict`` of counts; the runner times it and shows its
progress. ``Sim`` carries the world, the round, the clock, the simulated people and the
ledger of what the simulation did on purpose (the lateness it injected, the behaviours it
chose), which the checks compare with what Kari stored.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from kari import workdays
from kari.appeals import services as appeals
from kari.appeals.models import OverrideKind, Position
from kari.catalogue import services as catalogue
from kari.catalogue.models import Announcement, AnnouncementStatus, SkillsTest, Subject
from kari.enrolment import rules as enrolment_rules
from kari.enrolment import services as enrolment
from kari.enrolment.models import Enrolment, RequiredDocument
from kari.enrolment.models import Status as EnrolmentStatus
from kari.errors import RuleError
from kari.exams import services as exams
from kari.exams.models import Assignment, ExamSession, Sitting, SittingStatus
from kari.exams.services import checkin, handovers, invitations
from kari.exams.services.results import import_results
from kari.ranking import services as ranking_services
from kari.ranking.services import documents as ranking_documents
from kari.registration import services as registration
from kari.registration.models import Registration
from kari.rounds import services as rounds
from kari.rounds.deadlines import deadline
from kari.rounds.models import Round

from . import parallel, phones
from . import sen as sen_track
from .world import World, session_plan

# The behaviours simulated and their rates (docs/simulation.md).
RATES = {
    "online": 0.8,  # registers online; the rest at a registration centre (A15.1)
    "changes_list": 0.15,  # changes the ranked list within the registration window (A15.5)
    "carried": 0.03,  # carries over last round's scores, no retake (A28.1)
    "sen": 0.02,  # special educational needs (A40)
    "adapted": 0.02,  # needs an adapted environment (A17.2)
    "absent": 0.05,  # does not come to the test (A20.4)
    "warned": 0.02,  # one breach: a warning (A21.1)
    "removed": 0.005,  # a repeated breach: removed (A21.2)
    "not_finished": 0.01,  # NAEC reports the test not finished (A26.1)
    "complains": 0.004,  # files a complaint at the exam centre (A25.1)
    "reranks": 0.10,  # changes the list in the re-ranking window (A26.2)
    "declines": 0.08,  # declines the place (A29.2)
    "lapses": 0.04,  # misses the documents deadline (A29.2)
    "late_announcement": 0.05,  # an institution misses the announcement deadline (A13.5)
    "returned": 0.10,  # the quality centre returns an announcement (A13.6)
}
DOCUMENTS = ["პირადობის მოწმობის ასლი", "საბაზო განათლების დამადასტურებელი დოკუმენტი"]
CLAUSES = (
    "1. დაწესებულება უზრუნველყოფს პროფესიული საგანმანათლებლო პროგრამის განხორციელებას.\n"
    "2. პროფესიული სტუდენტი ვალდებულია დაიცვას დაწესებულების შინაგანაწესი."
)


@dataclass
class Person:
    """A simulated applicant: who they are and what they will do."""

    record: dict
    parent: dict
    ability: float
    online: bool
    group: tuple = ()
    programmes: list = field(default_factory=list)
    foreign_language: str = ""
    municipality: str = ""
    carried: bool = False
    sen: bool = False
    adapted: bool = False
    changes_list: bool = False
    absent: bool = False
    breaches: int = 0
    not_finished: bool = False
    complains: bool = False
    reranks: bool = False
    declines: bool = False
    lapses: bool = False
    phone: str = ""
    registration_id: int | None = None
    registered_at: dt.datetime | None = None

    @property
    def number(self) -> str:
        return self.record["personal_number"]


@dataclass
class Sim:
    seed: int
    applicants: int
    world: World
    clock: object
    rng: random.Random
    workers: int = 1
    year: int = 2027  # the round's spring
    round: Round | None = None
    previous: tuple = ()
    people: list = field(default_factory=list)
    by_registration: dict = field(default_factory=dict)
    # what the simulation did on purpose
    injected_late: list = field(default_factory=list)  # (kind, object id, what)
    refused: list = field(default_factory=list)  # (what, citation) refused as the law says
    missing: dict = field(default_factory=dict)  # stage -> why it could not run
    ranking: object = None
    complaints: list = field(default_factory=list)
    decided: list = field(default_factory=list)
    upheld: list = field(default_factory=list)
    late_institutions: list = field(default_factory=list)
    sen: object = None  # the SEN track (kari.simulation.sen.SenTrack)
    # CPU seconds of the worker processes' database backends (kari.simulation.parallel), and
    # of this process's backends closed before the workers were forked
    worker_db_cpu_seconds: float = 0.0
    db_cpu_closed: float = 0.0

    def staff(self, name):
        return self.world.staff[name]


# ---------------------------------------------------------------- the schedule


def schedule(seed: int, year: int = 2027) -> dict:
    """Spring 2027: the registration window crosses 3 and 8 March, the test days 9 April, the
    re-ranking and the ranking Orthodox Easter (30 April - 3 May) and 9 and 12 May. Another
    year's spring (the demo's, ``kari demo --phase simulated``) has the same shape."""
    w = workdays.on_or_after
    announcement = w(dt.date(year, 2, 12) + dt.timedelta(days=seed % 3))
    opens = w(dt.date(year, 3, 1))
    closes = w(opens + dt.timedelta(days=24))
    test_starts = w(closes + dt.timedelta(days=14))
    test_ends = workdays.within_working_days(test_starts, 4)  # five test days
    results = workdays.within_days(test_ends, 5)  # A26.1: NAEC's results, published (A26.2)
    rr_open = workdays.next_working_day(results)
    rr_close = w(rr_open + dt.timedelta(days=4))
    ranking = workdays.within_days(workdays.next_working_day(rr_close), 7)
    enrol_start = w(ranking + dt.timedelta(days=3))
    return {
        "announcement_deadline": announcement,
        "registration_opens": opens,
        "registration_closes": closes,
        "test_starts": test_starts,
        "test_ends": test_ends,
        "results_published": results,
        "reranking_opens": rr_open,
        "reranking_closes": rr_close,
        "ranking_date": ranking,
        "enrolment_starts": enrol_start,
        "enrolment_ends": w(enrol_start + dt.timedelta(days=14)),
        "subsequent_registration_opens": opens,
        "subsequent_registration_closes": closes,
    }


def stage_schedule(sim: Sim) -> dict:
    """The ministry sets the round's schedule (A15.2, A18.1)."""
    sched = schedule(sim.seed, sim.year)
    sim.clock.set(sched["announcement_deadline"] - dt.timedelta(days=30), 10)
    sim.round = rounds.create_round(
        sim.staff("ministry"), year=sim.year, season="spring", reason="simulation", **sched
    )
    holidays = sorted(
        {
            str(workdays.holiday_name(d))
            for n in range((sched["enrolment_ends"] - sched["announcement_deadline"]).days)
            if workdays.holiday_name(d := sched["announcement_deadline"] + dt.timedelta(days=n))
        }
    )
    return {"rounds": 1, "holidays crossed": len(holidays)}


# ---------------------------------------------------------------- announcements


def stage_announcements(sim: Sim) -> dict:
    """Institutions announce their programmes and places before the deadline (A13.1); some
    miss it and are refused (A13.5); the quality centre returns a few whose places differ
    from the authorisation (A13.6), which are corrected, and confirms the rest (A13.3), one
    of them a day late (injected)."""
    r, w, rng = sim.round, sim.world, sim.rng
    quality = sim.staff("quality")
    late = max(1, round(len(w.institutions) * RATES["late_announcement"]))
    sim.late_institutions = [i.pk for i in w.institutions[-late:]]
    on_time = [i for i in w.institutions if i.pk not in sim.late_institutions]
    returned = {i.pk for i in rng.sample(on_time, k=max(1, round(len(on_time) * 0.1)))}
    sim.clock.set(r.announcement_deadline - dt.timedelta(days=10), 9)
    programmes_of: dict[int, list] = {}
    for p in w.programmes:
        programmes_of.setdefault(p.institution_id, []).append(p)
    for inst in on_time:
        admin = w.admins[inst.pk]
        lines = {}
        for p in programmes_of[inst.pk]:
            places = p.authorised_places + (5 if inst.pk in returned else 0)
            lines[p.code] = (places, -(-places // 10))
        catalogue.set_places(admin, inst, r, lines)
        ann = catalogue.announcement_for(inst, r)
        catalogue.submit_announcement(admin, ann)
        sim.clock.tick(600)
    sim.clock.set(workdays.next_working_day(r.announcement_deadline), 10)
    for inst in w.institutions[-late:]:  # A13.5: after the deadline, no admission this round
        try:
            catalogue.set_places(
                w.admins[inst.pk],
                inst,
                r,
                {p.code: (p.authorised_places, 1) for p in programmes_of[inst.pk]},
            )
        except RuleError:
            sim.refused.append(("late announcement", "A13.5"))
    confirm_due = deadline(r, "confirmation").date
    pending = list(
        Announcement.objects.filter(round=r, status=AnnouncementStatus.SUBMITTED).order_by("pk")
    )
    late_confirmation = pending[-1].pk
    for ann in pending:
        if ann.institution_id in returned:
            catalogue.flag_announcement(
                quality,
                ann,
                "ადგილების რაოდენობა განსხვავდება ავტორიზაციის საბჭოს გადაწყვეტილებისგან.",
            )
            admin = w.admins[ann.institution_id]
            catalogue.set_places(
                admin,
                ann.institution,
                r,
                {
                    p.code: (p.authorised_places, -(-p.authorised_places // 10))
                    for p in programmes_of[ann.institution_id]
                },
            )
            catalogue.submit_announcement(admin, Announcement.objects.get(pk=ann.pk))
        if ann.pk != late_confirmation:
            catalogue.confirm_announcement(quality, Announcement.objects.get(pk=ann.pk))
        sim.clock.tick(300)
    sim.clock.set(workdays.next_working_day(confirm_due), 10)
    catalogue.confirm_announcement(quality, Announcement.objects.get(pk=late_confirmation))
    sim.injected_late.append(("announcement.confirm", late_confirmation, "A13.3"))
    confirmed = Announcement.objects.filter(round=r, status=AnnouncementStatus.CONFIRMED)
    return {
        "institutions": len(w.institutions),
        "announced late (refused)": late,
        "returned and corrected": len(returned),
        "confirmed": confirmed.count(),
    }


# ---------------------------------------------------------------- the people


def plan_people(sim: Sim) -> None:
    """Each person's choices, drawn once from the seed."""
    from kari.catalogue.models import AnnouncementLine, Municipality

    rng = random.Random(sim.seed * 7919 + 1)
    lines = (
        AnnouncementLine.objects.filter(
            announcement__round=sim.round, announcement__status=AnnouncementStatus.CONFIRMED
        )
        .select_related("programme__institution__organisation__municipality", "programme__field")
        .order_by("programme__code")
    )
    groups: dict[tuple, list] = {}
    for line in lines:
        p = line.programme
        groups.setdefault((p.skills_test_id, p.subject_group_id, p.field.direction_id), []).append(
            p
        )
    keys = sorted(groups, key=lambda k: groups[k][0].code)
    weights = [sum(p.authorised_places for p in groups[k]) for k in keys]
    carrying = carried_scores_ranked()
    if not carrying:
        sim.missing["carried"] = (
            "the ranking does not read imported carried-over scores yet "
            "(kari.ranking.inputs does not use carried_scores on main): no applicant carries"
        )
    centre_munis = sorted({c.municipality.code for c in sim.world.centres})
    all_munis = sorted(Municipality.objects.exclude(lat=None).values_list("code", flat=True))
    for n, record in enumerate(sim.world.people):
        key = rng.choices(keys, weights)[0]
        group = groups[key]
        chosen = rng.sample(group, k=min(len(group), rng.randint(1, 4)))
        language = next((p.foreign_language for p in chosen if p.foreign_language != "any"), "en")
        chosen = [p for p in chosen if p.foreign_language in ("any", language)] or chosen[:1]
        home = chosen[0].institution.organisation.municipality.code
        u = rng.random
        person = Person(
            record=record,
            phone=f"+995599{n:06d}",  # one phone each (up to a million applicants)
            parent=sim.world.parents[record["personal_number"]],
            ability=rng.gauss(0, 1),
            online=u() < RATES["online"],
            group=key,
            programmes=[p.code for p in chosen],
            foreign_language=language,
            municipality=home
            if u() < 0.7
            else rng.choice(centre_munis if u() < 0.8 else all_munis),
            carried=u() < RATES["carried"] and carrying,
            sen=u() < RATES["sen"],
            adapted=u() < RATES["adapted"],
            changes_list=u() < RATES["changes_list"],
        )
        if not person.carried:
            x = u()
            person.absent = x < RATES["absent"]
            person.breaches = (
                2
                if RATES["absent"] <= x < RATES["absent"] + RATES["removed"]
                else 1
                if x < RATES["absent"] + RATES["removed"] + RATES["warned"]
                else 0
            )
            person.not_finished = not person.absent and not person.breaches
            person.not_finished = person.not_finished and u() < RATES["not_finished"]
            person.complains = (
                not person.absent and person.breaches == 0 and u() < RATES["complains"]
            )
        person.reranks = u() < RATES["reranks"]
        x = u()
        person.declines = x < RATES["declines"]
        person.lapses = RATES["declines"] <= x < RATES["declines"] + RATES["lapses"]
        person.alternatives = [
            p.code
            for p in rng.sample(group, k=min(len(group), rng.randint(1, 4)))
            if p.foreign_language in ("any", language)
        ]
        sim.people.append(person)


def carried_scores_ranked() -> bool:
    """Whether the ranking reads carried-over scores (A28.1) through the registration app's
    ``carried_scores`` (the ranking branch does; main's ranking reads only a Kari round's)."""
    from kari.ranking import inputs

    return hasattr(inputs, "carried_scores")


def _score(ability: float, rng: random.Random) -> int:
    return max(0, min(30, round(17 + 5 * ability + rng.gauss(0, 3))))


def stage_earlier_scores(sim: Sim) -> dict:
    """NAEC takes in the scores of the round held before Kari (A28.1, first year): the
    carrying applicants sat it and were not admitted."""
    from kari.catalogue.models import SubjectGroup

    carriers = [p for p in sim.people if p.carried]
    if not carriers:
        return {"carried scores": 0}
    rng = random.Random(sim.seed * 31 + 5)
    groups = {g.pk: g for g in SubjectGroup.objects.prefetch_related("subjects")}
    tests = dict(SkillsTest.objects.values_list("pk", "code"))
    codes = sorted(Subject.objects.values_list("code", flat=True))
    head = [
        "personal_number",
        "skills_test",
        "subject_group",
        "test_language",
        "foreign_language_code",
        "skills_score",
        *codes,
        "admitted",
    ]
    rows = [",".join(head)]
    for p in carriers:
        test_id, group_id = p.group[:2]
        group = groups.get(group_id)
        mine = {s.code for s in group.subjects.all()} if group else set()
        needs_language = any(c in ("foreign_language",) for c in mine)
        rows.append(
            ",".join(
                [
                    p.number,
                    tests[test_id],
                    group.code if group else "",
                    "ka",
                    p.foreign_language if needs_language else "",
                    str(_score(p.ability, rng)),
                    *[str(_score(p.ability, rng)) if c in mine else "" for c in codes],
                    "no",
                ]
            )
        )
    sim.clock.set(sim.round.registration_opens - dt.timedelta(days=7), 11)
    n = registration.import_earlier_scores(
        sim.staff("naec"),
        "\n".join(rows).encode(),
        "csv",
        year=sim.year - 1,
        season="autumn",
        filename=f"autumn-{sim.year - 1}.csv",
    )
    return {"carried scores": n}


# ---------------------------------------------------------------- registration


def _data(p: Person, programmes: list[str]) -> dict:
    return {
        "personal_number": p.number,
        "document_number": p.record["document_number"],
        "phone": p.phone,
        "email": f"{p.number}@applicant.sim.kari.ge",
        "exam_municipality": p.municipality,
        "test_language": "ka",
        "foreign_language": p.foreign_language,
        "adapted_environment": "ეტლით გადაადგილება" if p.adapted else "",
        "programmes": programmes,
        "carried_over": p.carried,
        "retakes_test": False,
    }


def _register(sim: Sim, p: Person, data: dict, clerk=None) -> Registration:
    """Start, read the code on the phone, confirm: as the applicant (and the clerk) would."""
    channel = "online" if clerk is None else "centre"
    pending = registration.start(clerk, data, sim.round, channel=channel)
    phone = data.get("phone") or registration_phone(p)
    code = phones.last_code(phone)
    sim.clock.tick(45)
    reg = registration.confirm_pending(pending.code_id, code)
    return reg


def registration_phone(p: Person) -> str:
    from kari.registration.models import Applicant

    return Applicant.objects.values_list("phone", flat=True).get(personal_number=p.number)


def stage_registration(sim: Sim, progress) -> dict:
    """Applicants register online or at a centre across the window, some change their lists
    (A15.3-A15.6); the window's days cross Georgian holidays. The people act side by side
    (``kari.simulation.parallel``): each one's flows in the order planned, at their instants."""
    r, rng = sim.round, random.Random(sim.seed * 13 + 2)
    days = []
    d = r.registration_opens
    while d <= r.registration_closes:
        days.append(d)
        d += dt.timedelta(days=1)
    plan = []
    for p in sim.people:
        day = rng.choice(days)
        plan.append((day, rng.randint(9 * 60, 21 * 60), p))
        if p.changes_list:
            later = [x for x in days if x >= day]
            plan.append((rng.choice(later), rng.randint(9 * 60, 21 * 60) + 1, p))
    plan.sort(key=lambda x: (x[0], x[1], x[2].number))
    # the SEN applicants' registrations and documents (A37), after their general registration
    events = [(day, minute, p.number, 0, "general", p, None) for day, minute, p in plan]
    for day, minute, kind, sp, arg in sen_track.plan_registration(sim, plan, days):
        events.append((day, minute, sp.person.number, 1, kind, sp, arg))
    events.sort(key=lambda x: x[:4])
    # each person's events, numbered in the window's order (the number picks the clerk)
    of_person: dict[str, list] = {}
    for n, event in enumerate(events, 1):
        of_person.setdefault(event[2], []).append((n, event))
    items = [(p.number, of_person[p.number]) for p in sim.people if p.number in of_person]
    total = len(events)
    results = parallel.run(
        sim, items, lambda sim, part: _register_people(sim, part, progress, total)
    )
    by_number = {p.number: p for p in sim.people}
    sen_of = {sp.person.number: sp for sp in sim.sen.people} if sim.sen else {}
    changes = online = sen_registered = sen_documents = registered = 0
    for (number, _events), res in zip(items, results, strict=True):
        p = by_number[number]
        p.programmes = res["programmes"]
        if res["registration_id"] is not None:
            p.registration_id, p.registered_at = res["registration_id"], res["registered_at"]
            sim.by_registration[p.registration_id] = p
            registered += 1
            online += p.online
        changes += res["changes"]
        if res["sen"] is not None:
            sp = sen_of[number]
            sp.registration_id, sp.registered_on = res["sen"]
            sen_registered += 1
        sen_documents += res["sen_documents"]
        sim.injected_late.extend(res["injected_late"])
    confirmed = sen_track.confirm_statuses(sim)
    return {
        "registered": registered,
        "online": online,
        "at a centre": registered - online,
        "list changes": changes,
        "carried scores": sum(p.carried for p in sim.people),
        "SEN registrations": sen_registered,
        "SEN documents recorded": sen_documents,
        "SEN status confirmed": confirmed,
    }


def _register_people(sim: Sim, items: list, progress, total: int) -> list[dict]:
    """One process's share of the registration window: its people's events in the window's
    order, each at its own planned instant; what each person did, in the items' order."""
    r, clerks = sim.round, sim.world.clerks
    out = []
    mine = []
    for i, (_number, events) in enumerate(items):
        out.append(
            {
                "registration_id": None,
                "registered_at": None,
                "programmes": None,
                "changes": 0,
                "sen": None,
                "sen_documents": 0,
                "injected_late": [],
            }
        )
        mine += [(n, i, event) for n, event in events]
    mine.sort(key=lambda x: x[0])
    for k, (n, i, (day, minute, _number, _order, kind, p, arg)) in enumerate(mine, 1):
        res = out[i]
        sim.clock.jump(day, minute // 60, minute % 60)
        if kind == "sen_register":
            sen_track.register(sim, p, clerks, n)
            res["sen"] = (p.registration_id, p.registered_on)
            continue
        if kind.startswith("sen_documents"):
            before = len(sim.injected_late)
            res["sen_documents"] += sen_track.record_documents(
                sim, p, arg, late=kind == "sen_documents_late"
            )
            res["injected_late"] += sim.injected_late[before:]  # merged by the parent
            del sim.injected_late[before:]
            continue
        if res["registration_id"] is not None:  # a change of the list (A15.5)
            programmes = list(reversed(p.programmes))
            if len(programmes) == 1:
                continue
            pending = registration.start(None, _data(p, programmes), r, channel="online")
            sim.clock.tick(30)
            registration.confirm_pending(pending.code_id, phones.last_code(registration_phone(p)))
            p.programmes = programmes
            res["changes"] += 1
        else:
            clerk = None if p.online else clerks[n % len(clerks)]
            data = _data(p, p.programmes)
            reg = _register(sim, p, data, clerk)
            res["registration_id"], res["registered_at"] = reg.pk, sim.clock.now()
        if k % 50 == 0 or k == len(mine):
            progress(n, total)
    for (number, events), res in zip(items, out, strict=True):
        person = events[0][1][5]
        person = person if isinstance(person, Person) else person.person
        assert person.number == number
        res["programmes"] = list(person.programmes)
    return out


# ---------------------------------------------------------------- before the test


def stage_preparation(sim: Sim) -> dict:
    """Before the test: NAEC's sessions (A18), the appeals commission (A23.1), the institutions'
    documents and deadlines and contract templates (A29.1, A29.2), the year's voucher threshold
    (A30.1)."""
    r, w = sim.round, sim.world
    naec = sim.staff("naec")
    items = [("skills_test", t) for t in SkillsTest.objects.order_by("code")]
    items += [("subject", s) for s in Subject.objects.order_by("code")]
    for (kind, test), (day, start) in zip(items, session_plan(r, items), strict=True):
        at = dt.datetime.combine(day, start)
        exams.save_session(
            naec,
            r,
            {
                "date": day,
                "starts_at": start,
                "check_in_opens": (at - dt.timedelta(minutes=75)).time(),
                "check_in_closes": (at - dt.timedelta(minutes=15)).time(),
                "duration_minutes": 90,
                "skills_test": test if kind == "skills_test" else None,
                "subject": test if kind == "subject" else None,
            },
        )
    positions = [
        Position.CHAIR,
        Position.DEPUTY,
        Position.SECRETARY,
        Position.MEMBER,
        Position.MEMBER,
    ]
    appeals.constitute(
        naec,
        r,
        act_number="01/215",
        act_date=sim.clock.today(),
        members=list(zip(w.commission, positions, strict=True)),
    )
    confirmed = set(
        Announcement.objects.filter(round=r, status=AnnouncementStatus.CONFIRMED).values_list(
            "institution_id", flat=True
        )
    )
    terms = 0
    for inst in w.institutions:
        if inst.pk not in confirmed:
            continue
        admin = w.admins[inst.pk]
        enrolment.save_contract_template(admin, inst, CLAUSES)
        for p in w.programmes:
            if p.institution_id == inst.pk:
                enrolment.fix_terms(
                    admin,
                    p,
                    r,
                    documents=DOCUMENTS,
                    submit_until=workdays.within_days(r.enrolment_starts, 7),
                    duration_months=12,
                )
                terms += 1
    enrolment.set_voucher_threshold(sim.staff("ministry"), r, "primary", "30")
    return {"sessions": len(items), "commission members": 5, "programme terms": terms}


def stage_distribution(sim: Sim) -> dict:
    """EMIS hands NAEC the registration data (A12.3(c)), distributes after registration closes
    (A17.2), hands over centres and registrants (A17.2(a), one working day late: injected),
    NAEC agrees, the invitations are issued (A17.3), the distribution handed over (A17.4)."""
    r = sim.round
    emis, naec = sim.staff("emis"), sim.staff("naec")
    sim.clock.set(workdays.next_working_day(r.registration_closes), 9)
    handovers.export(emis, r, "registration_data", "csv")
    d = exams.distribute(emis, r)
    late_day = workdays.next_working_day(deadline(r, "centres_to_naec").date)
    sim.clock.set(late_day, 10)
    _blob, h = handovers.export(emis, r, "centres_to_naec", "csv")
    sim.injected_late.append(("handover.centres_to_naec", h.pk, "A17.2(a)"))
    sim.clock.tick(3600)
    exams.agree_distribution(naec, d)
    job = exams.start_invitations(emis, d, queue=False)
    invitations.run_job(job.pk, workers=sim.workers)
    sim.clock.tick(3600)
    handovers.export(emis, r, "distribution_to_naec", "csv")
    return {
        "distributed": d.assignments.count(),
        "in preferred municipality": d.stats.get("preferred"),
        "invitations": job.total,
    }


# ---------------------------------------------------------------- the test days


def _aware(day, t, minutes=0):
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, t)) + dt.timedelta(minutes=minutes)


def stage_exams(sim: Sim, progress) -> dict:
    """Each session: proctors check in who comes (A19, A20), mark the no-shows when it starts
    (A20.4), warn and remove for breaches (A21); complaints are filed in the building (A25.1)
    and received by the commission's secretary the same day (A25.2)."""
    r = sim.round
    proctor = sim.staff("proctor")
    secretary = next(m for m in sim.world.commission if m.username == "commission-3")
    sessions = list(ExamSession.objects.filter(round=r).order_by("date", "starts_at"))
    counts = {"checked in": 0, "no-shows": 0, "warnings": 0, "removals": 0, "complaints": 0}
    breached: dict[int, int] = {}
    complained = set()
    for n, s in enumerate(sessions, 1):
        sittings = list(
            Sitting.objects.issued()
            .filter(session=s)
            .select_related("assignment__centre", "assignment__registration", "session")
            # the people's order, not the ids' (kari.simulation.parallel): the same breaches
            # and complaints first whatever the number of workers
            .order_by("assignment__registration__applicant__personal_number")
        )
        sim.clock.at_time(_aware(s.date, s.check_in_opens, 5))
        coming = [
            x
            for x in sittings
            if not sim.by_registration[x.assignment.registration_id].absent
            and x.status == SittingStatus.EXPECTED
        ]
        # each centre's proctors check its applicants in two seconds apart, the centres side
        # by side (kari.simulation.parallel); a large centre closer together, so that its last
        # applicant is in a minute before check-in closes (A20.2)
        opens, queued, items = sim.clock.now(), {}, []
        window = (_aware(s.date, s.check_in_closes, -1) - opens).total_seconds()
        size = Counter(x.assignment.centre_id for x in coming)
        for x in coming:
            centre = x.assignment.centre_id
            k = queued[centre] = queued.get(centre, -1) + 1
            step = min(2.0, window / size[centre])
            items.append((opens + dt.timedelta(seconds=step * k), x))
        counts["checked in"] += len(parallel.run(sim, items, _admit))
        sim.clock.at_time(_aware(s.date, s.starts_at))
        for centre in sorted({x.assignment.centre for x in sittings}, key=lambda c: c.pk):
            counts["no-shows"] += checkin.mark_no_shows(proctor, s, centre)
        sim.clock.tick(1800)
        for sitting in sittings:
            p = sim.by_registration[sitting.assignment.registration_id]
            reg_id = sitting.assignment.registration_id
            if p.breaches > breached.get(reg_id, 0):
                sitting.refresh_from_db()
                if sitting.status != SittingStatus.CHECKED_IN:
                    continue
                incident = checkin.report_breach(proctor, sitting, category="device")
                breached[reg_id] = breached.get(reg_id, 0) + 1
                counts["warnings" if incident.kind == "warning" else "removals"] += 1
            elif p.complains and reg_id not in complained:
                sitting.refresh_from_db()
                if sitting.status != SittingStatus.CHECKED_IN:
                    continue
                c = appeals.file_complaint(
                    proctor,
                    sitting,
                    ground="rights",
                    statement="მეზობელი აპლიკანტი ხმამაღლა ლაპარაკობდა და ხელს მიშლიდა.",
                    id_shown=True,
                    invitation_shown=True,
                )
                complained.add(reg_id)
                sim.complaints.append(c)
                counts["complaints"] += 1
        last_today = n == len(sessions) or sessions[n].date != s.date
        if last_today:  # A25.2, A24.3: received the same day, decided within 5 days
            today = [c for c in sim.complaints if c.sitting.session.date == s.date]
            if today:
                sim.clock.at_time(_aware(s.date, dt.time(19, 0)))
                for c in today:
                    appeals.receive(secretary, c)
                sim.clock.at_time(_aware(s.date, dt.time(19, 30)))
                decide(sim, today)
        progress(n, len(sessions))
    return counts


def _admit(sim: Sim, part: list) -> list:
    proctor = sim.staff("proctor")
    for at, sitting in part:
        sim.clock.jump_to(at)
        checkin.admit(proctor, sitting)
    return [True] * len(part)


def decide(sim: Sim, complaints: list) -> None:
    """The commission meets the evening the complaints are received (A24: quorum, votes),
    upholds the round's first complaint with a re-mark of the complainant's work (A25.4(b)),
    rejects the others; NAEC enters the re-marked score."""
    from kari.appeals.models import Commission

    commission = Commission.objects.get(round=sim.round)
    members = {m.position: m for m in commission.active_members() if m.position != "member"}
    chair = members[Position.CHAIR]
    meeting = appeals.convene(chair.user, commission, at=sim.clock.now())
    present = list(commission.active_members().order_by("pk"))[:4]
    appeals.take_attendance(chair.user, meeting, present=present)
    for c in complaints:
        sim.clock.tick(600)
        first = not sim.upheld
        motion = appeals.put_to_vote(
            chair.user,
            meeting,
            c,
            outcome="upheld" if first else "rejected",
            reasons="ზედამხედველის ოქმით დადასტურდა." if first else "დარღვევა არ დადასტურდა.",
            votes={m.pk: True for m in present},
            remark=first,
        )
        sim.decided.append(c.pk)
        if first:
            sim.upheld.append(c.pk)
            sim.clock.tick(1800)
            for o in motion.decision.overrides.filter(kind=OverrideKind.REMARK):
                appeals.enter_remark(sim.staff("naec"), o, score="27")


def stage_appeals(sim: Sim) -> dict:
    """What the commission decided during the test days (A24.3: within 5 days of receipt)."""
    return {
        "complaints": len(sim.complaints),
        "decided": len(sim.decided),
        "upheld with a re-mark": len(sim.upheld),
    }


def stage_results(sim: Sim) -> dict:
    """NAEC's results on the A26.1 day: absent, removed, not finished, scores; published to
    the applicants (A26.2)."""
    r, rng = sim.round, random.Random(sim.seed * 17 + 3)
    assignments = list(
        Assignment.objects.issued()
        .of_round(r)
        .select_related("registration__applicant", "registration__subject_group")
        .prefetch_related("registration__subject_group__subjects", "sittings")
        # the scores drawn in the people's order, not the ids' (which depend on how the
        # registrations ran side by side, kari.simulation.parallel)
        .order_by("registration__applicant__personal_number")
    )
    codes = sorted(Subject.objects.values_list("code", flat=True))
    lines = [",".join(["personal_number", "status", "skills_score", *codes])]
    counts = {"completed": 0, "absent": 0, "removed": 0, "not_finished": 0}
    for a in assignments:
        reg = a.registration
        p = sim.by_registration[reg.pk]
        statuses = {s.status for s in a.sittings.all()}
        if SittingStatus.REMOVED in statuses:
            status = "removed"
        elif statuses == {SittingStatus.ABSENT}:
            status = "absent"
        elif p.not_finished:
            status = "not_finished"
        else:
            status = "completed"
        counts[status] += 1
        mine = {s.code for s in reg.subject_group.subjects.all()} if reg.subject_group_id else set()
        done = status == "completed"
        scores = [str(_score(p.ability, rng)) if done and c in mine else "" for c in codes]
        skills = str(_score(p.ability, rng)) if done else ""
        lines.append(",".join([reg.applicant.personal_number, status, skills, *scores]))
    sim.clock.set(deadline(r, "results").date, 12)
    import_results(sim.staff("naec"), r, "\n".join(lines).encode(), "csv", filename="naec.csv")
    return counts


def stage_reranking(sim: Sim, progress) -> dict:
    """In the re-ranking window some applicants with scores reorder or replace programmes
    within the test they sat (A26.2)."""
    from kari.registration.models import ScoreRecord

    r = sim.round
    with_scores = set(
        ScoreRecord.objects.filter(registration__round=r)
        .exclude(scores={})
        .values_list("registration_id", flat=True)
    )
    movers = [p for p in sim.people if p.reranks and p.registration_id in with_scores]
    days = [
        r.reranking_opens + dt.timedelta(days=i)
        for i in range((r.reranking_closes - r.reranking_opens).days + 1)
    ]
    rng = random.Random(sim.seed * 19 + 4)
    plan = sorted(
        ((rng.choice(days), rng.randint(540, 1260), p) for p in movers),
        key=lambda x: (x[0], x[1], x[2].number),
    )
    results = parallel.run(sim, plan, lambda sim, part: _rerank(sim, part, progress, len(plan)))
    changed = 0
    for (_day, _minute, p), res in zip(plan, results, strict=True):
        if res == "refused":
            sim.refused.append(("re-ranking", "A26.2"))
        elif res is not None:
            p.programmes = res
            changed += 1
    return {"lists changed": changed}


def _rerank(sim: Sim, part: list, progress, total: int) -> list:
    """One process's share of the re-ranking window, each change at its planned instant: per
    person the new list, "refused", or None (nothing to change)."""
    r = sim.round
    out: list = []
    for n, (day, minute, p) in enumerate(part, 1):
        new = list(dict.fromkeys(p.alternatives + p.programmes))[:4]
        if new == p.programmes:
            new = list(reversed(p.programmes))
        if new == p.programmes:
            out.append(None)
            continue
        sim.clock.jump(day, minute // 60, minute % 60)
        try:
            pending = registration.start(
                None,
                {
                    "personal_number": p.number,
                    "document_number": p.record["document_number"],
                    "programmes": new,
                },
                r,
                channel="online",
            )
        except (RuleError, ValidationError):
            out.append("refused")
            continue
        sim.clock.tick(30)
        registration.confirm_pending(pending.code_id, phones.last_code(registration_phone(p)))
        out.append(new)
        if n % 50 == 0 or n == len(part):
            progress(n, len(part))
    return out


# ---------------------------------------------------------------- ranking


def stage_ranking(sim: Sim) -> dict:
    """EMIS freezes the final lists the working day after the window (A26.3); NAEC records its
    formula, builds, checks and approves the ranking (A27.1-A27.4, A27.9), signs and sends the
    documents (A27.5); EMIS enters it into the management system and confirms (A27.6)."""
    r = sim.round
    emis, naec = sim.staff("emis"), sim.staff("naec")
    sim.clock.set(deadline(r, "final_lists").date, 10)
    ranking_services.record_formula(
        naec,
        r,
        {
            "act_number": "02/77",
            "act_date": sim.clock.today(),
            "test_weight": "1",
            "competition_weight": "1",
        },
    )
    lists = ranking_services.freeze_final_lists(emis, r)
    sim.clock.set(workdays.next_working_day(sim.clock.today()), 10)
    ranking = ranking_services.build_ranking(naec, r)
    sim.clock.tick(7200)
    ranking = ranking_services.approve_ranking(naec, ranking)
    sim.clock.tick(3600)
    ranking = ranking_documents.sign_documents(naec, ranking, workers=sim.workers)
    sim.clock.set(workdays.next_working_day(sim.clock.today()), 10)
    ranking = ranking_documents.enter_into_management_system(emis, ranking)
    sim.clock.tick(3600)
    ranking = ranking_documents.confirm_entry(emis, ranking)
    sim.ranking = ranking
    return {
        "in the final lists": lists.applicants,
        "admitted": ranking.admitted_count,
        "extra places (ties)": sum(ranking.programmes.values_list("extra_places", flat=True)),
    }


# ---------------------------------------------------------------- enrolment


def _reply(sim: Sim, part: list, docs: dict, progress, total: int) -> list[list[str]]:
    """One process's share of the placements (whole institutions): each applicant's reply at
    its instant: "declined", "enrolled" (documents and the contract), or "" (lapses)."""
    w, out, done = sim.world, [], 0
    for placements in part:
        replies = []
        for at, e, p in placements:
            sim.clock.jump_to(at)
            admin = w.admins[e.programme.institution_id]
            if p.declines:
                enrolment.close(admin, e, declined=True, reason="აპლიკანტმა უარი თქვა ადგილზე")
                replies.append("declined")
                continue
            if p.lapses:
                replies.append("")
                continue
            for doc in docs.get(e.programme_id, []):
                enrolment.mark_document(admin, e, doc, received=True)
            e.refresh_from_db()
            kwargs = {}
            born = enrolment.birth_date(e.applicant)
            if enrolment_rules.is_minor(born, sim.clock.today()):
                kwargs = {
                    "representative_personal_number": p.parent["personal_number"],
                    "representative_relation": "მშობელი",
                }
            enrolment.sign_contract(admin, e, funding="voucher", **kwargs)
            replies.append("enrolled")
            done += 1
            if done % 50 == 0:
                progress(done, total)
        out.append(replies)
    return out


def stage_enrolment(sim: Sim, progress) -> dict:
    """The placements open (A29.1); applicants submit documents, sign contracts (a parent for a
    minor, A29.2), some decline or miss the deadline; each institution issues its act (A29.2),
    enters its students into the management system (A29.4) and offers the voucher options
    where a programme has fewer than five voucher students (A30, A31)."""
    r, w = sim.round, sim.world
    sim.clock.set(r.enrolment_starts, 9)
    enrolment.open_from_ranking(sim.staff("emis"), r)
    placements = list(
        Enrolment.objects.filter(round=r)
        .select_related("programme__institution", "applicant", "round")
        .order_by("pk")
    )
    # A placement of the minister's SEN act hangs on the act's placement (A41), not on a
    # general registration: its person is found by the applicant's general registration.
    general = dict(
        Registration.objects.filter(round=r, stage="primary").values_list("applicant_id", "pk")
    )
    docs = {}
    for d in RequiredDocument.objects.filter(terms__round=r).order_by("position"):
        docs.setdefault(d.terms.programme_id, []).append(d)
    counts = {
        "placements": len(placements),
        "of them by the SEN act (A41)": sum(1 for e in placements if e.sen_placement_id),
        "enrolled": 0,
        "declined": 0,
        "lapsed": 0,
    }
    sim.clock.tick(3600 * 3)
    # the placements' replies, one a minute (closer when there are many: within the day), each
    # institution's in order in one process, the institutions side by side
    # (kari.simulation.parallel)
    start = sim.clock.now()
    step = min(60.0, 8 * 3600 / max(1, len(placements)))
    of_institution: dict[int, list] = {}
    for n, e in enumerate(placements):
        p = sim.by_registration[e.registration_id or general[e.applicant_id]]
        at = start + dt.timedelta(seconds=n * step)
        of_institution.setdefault(e.programme.institution_id, []).append((at, e, p))
    items = [of_institution[i.pk] for i in w.institutions if i.pk in of_institution]
    total = len(placements)
    for replies in parallel.run(
        sim, items, lambda sim, part: _reply(sim, part, docs, progress, total)
    ):
        for reply in replies:
            if reply:
                counts[reply] += 1
    for inst in w.institutions:
        if Enrolment.objects.filter(
            round=r, programme__institution=inst, status=EnrolmentStatus.DOCUMENTS
        ).exists():
            enrolment.issue_act(w.admins[inst.pk], inst, r)
            enrolment.enter_into_management_system(w.admins[inst.pk], inst, r)
    due = max(
        RequiredDocument.objects.filter(terms__round=r).values_list(
            "terms__submit_until", flat=True
        )
    )
    sim.clock.set(workdays.next_working_day(due), 10)
    for e in placements:
        p = sim.by_registration[e.registration_id or general[e.applicant_id]]
        if p.lapses:
            enrolment.close(
                w.admins[e.programme.institution_id],
                e,
                declined=False,
                reason="დოკუმენტები ვადაში არ წარუდგენია",
            )
            counts["lapsed"] += 1
    offered = 0
    for inst in w.institutions:
        offered += enrolment.offer_voucher_options(w.admins[inst.pk], inst, r)
    counts["voucher options offered"] = offered
    return counts
