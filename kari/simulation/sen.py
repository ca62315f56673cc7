"""The SEN track of a simulated round (A36-A41), through :mod:`kari.sen`'s services only.

On the simulated clock, each step on its statutory day:

- before registration opens: the minister forms a territorial expert team (A36.1) and sets
  the SEN windows and trial days (A37.2, A40.1); the team assesses each SEN applicant and
  issues its conclusion signed by three members within 3 days (A36.2; one a day late,
  **injected**);
- in the registration window, beside their general registration: the SEN registration, online
  or at a centre, of at most three programmes with reserved places (A37.1-A37.7); each chosen
  institution records the documents within 4 working days (A37.5, A37.10; one late,
  **injected**); the ministry's unit confirms the SEN status (A37.11);
- the working day after the window: the minister names the hosts and distributes the SEN
  applicants to them (A39.1); each host's head creates its exam commission (A40.3);
- after the general distribution: the practical trials on the minister's days, each chosen
  programme scored with a recommendation (A40.2-A40.6), the packages to the ministry (A40.7),
  the ministerial commission's distribution within the reserved places (A40.8), the minister's
  signed act (A40.9, A40.10); the placements open for enrolment and each head fixes the
  documents' deadline within 5 days (A41.1). The general ranking then counts the places net of
  the SEN enrolments (A26.3) and leaves the placed applicants out; the enrolment stage enrols
  them with everyone else (A41.2, A41.3).
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from kari import workdays
from kari.accounts import services as accounts
from kari.accounts.roles import OrgKind, Role
from kari.enrolment import services as enrolment
from kari.enrolment.models import ProgrammeTerms
from kari.sen import rules as sen_rules
from kari.sen import selectors as sen_selectors
from kari.sen import services as sen
from kari.sen.models import Channel, SenRegistration, SenStatus, Stage

from . import phones
from .world import PASSWORD

MIN_SEN = 3  # at least three SEN applicants, so the track runs in a small simulation too
RATES = {
    "hearing": 0.25,  # the conclusion finds a hearing impairment: an audiogram (A37.10(c.a))
    "sight": 0.25,  # a sight impairment: an ophthalmologist's certificate (A37.10(c.b))
    "behavioural": 0.2,  # a behavioural or emotional disorder: a specialist's (A37.10(d))
    "recommended": 0.85,  # the exam commission recommends enrolment on a programme (A40.5)
}
TRIAL = [
    ("სამუშაო ადგილის მომზადება", 10),
    ("ძირითადი ოპერაციის შესრულება", 10),
    ("უსაფრთხოების წესების დაცვა", 5),
]
ANALYSIS = "ექსპერტთა გუნდის დასკვნა და წარმოდგენილი დოკუმენტები გაანალიზებულია (A40.7)."
REASONS = (
    "გათვალისწინებულია პროგრამის მოთხოვნები, ექსპერტთა გუნდის დასკვნა და აპლიკანტის ინტერესები."
)
REASONS_CROWDED = REASONS + " ადგილებზე მეტი რეგისტრანტია: მხედველობაში მიღებულია რეგისტრაციის დრო."


@dataclass
class SenPerson:
    """What a SEN applicant's simulated life holds beyond the general registration."""

    person: object
    programmes: list
    hearing: bool
    sight: bool
    behavioural: bool
    assessment_id: int | None = None
    registration_id: int | None = None
    registered_on: dt.date | None = None
    recommended: dict = field(default_factory=dict)  # programme code -> bool


@dataclass
class SenTrack:
    officer: object = None
    distributor: object = None
    experts: list = field(default_factory=list)
    people: list = field(default_factory=list)  # SenPerson, in the order drawn
    hosts: dict = field(default_factory=dict)  # institution pk -> commission member
    act: object = None
    counts: dict = field(default_factory=dict)
    late_documents: int | None = None  # the registration whose documents are injected late


def _staff(sim, username, org, roles):
    if sim.world.make_staff is not None:  # the demo's accounts (kari demo --phase simulated)
        return sim.world.make_staff(username, org, roles)
    return accounts.create_staff(
        None,
        username=username,
        password=PASSWORD,
        organisation=org,
        roles=roles,
        full_name_ka=f"სიმულაციის თანამშრომელი {username}",
        email=f"{username}@sim.kari.ge",
    )


def trial_days(closes: dt.date) -> tuple[dt.date, dt.date]:
    """The minister's trial days (A40.1): the third and fourth working days after the window,
    after the hosts are named (A39.1) and before the general test."""
    return workdays.within_working_days(closes, 3), workdays.within_working_days(closes, 4)


# ---------------------------------------------------------------- before registration


def stage_assessment(sim) -> dict:
    """The minister forms the expert team (A36.1) and sets the SEN schedule (A37.2, A40.1); the
    team assesses each SEN applicant and issues the conclusion within 3 days (A36.2), one a
    working day late (injected)."""
    r = sim.round
    rng = random.Random(sim.seed * 41 + 7)
    flagged = [p for p in sim.people if p.sen]
    if len(flagged) < MIN_SEN:
        rest = [p for p in sim.people if not p.sen]
        for p in rng.sample(rest, k=min(len(rest), MIN_SEN - len(flagged))):
            p.sen = True
    track = sim.sen = SenTrack()
    for p in sim.people:
        if p.sen:
            track.people.append(
                SenPerson(
                    p,
                    list(p.programmes[: sen_rules.MAX_PROGRAMMES]),
                    hearing=rng.random() < RATES["hearing"],
                    sight=rng.random() < RATES["sight"],
                    behavioural=rng.random() < RATES["behavioural"],
                )
            )
    ministry = sim.staff("ministry").organisation
    track.officer = _staff(sim, "sen-officer", ministry, [Role.SEN_OFFICER])
    track.distributor = _staff(sim, "sen-commission", ministry, [Role.SEN_DISTRIBUTION])
    team = accounts.create_organisation(
        None,
        code="sim-experts",
        kind=OrgKind.EXPERT_TEAM,
        name_ka="ექსპერტთა ტერიტორიული გუნდი",
        name_en="Territorial expert team",
        municipality=ministry.municipality,
        address=ministry.address,
    )
    track.experts = [_staff(sim, f"sen-expert-{n}", team, [Role.SEN_EXPERT]) for n in (1, 2, 3)]
    sim.clock.set(r.registration_opens - dt.timedelta(days=7), 9)
    today = sim.clock.today()
    sen.form_team(
        track.officer, team, act_number=f"01/ექსპ-{r.year}", formed_on=today, members=track.experts
    )
    t1, t2 = trial_days(r.registration_closes)
    sen.set_schedule(
        track.officer,
        r,
        Stage.PRIMARY,
        registration_opens=r.registration_opens,
        registration_closes=r.registration_closes,
        test_starts=t1,
        test_ends=t2,
        max_minutes=120,
    )
    lead = track.experts[0]
    assessments = []
    for sp in track.people:
        sim.clock.tick(900)
        a = sen.request_assessment(
            lead,
            sp.person.number,
            requested_on=today,
            requested_by="representative" if rng.random() < 0.6 else "applicant",
        )
        sp.assessment_id = a.pk
        sen.write_conclusion(
            lead,
            a,
            findings="ფუნქციური და აკადემიური უნარები შეფასებულია; რეკომენდებულია ადაპტირებული "
            "გარემო და დამატებითი დრო.",
            hearing=sp.hearing,
            sight=sp.sight,
            behavioural=sp.behavioural,
            environment=["extra_time", "quiet_room"] if sp.behavioural else ["step_free"],
        )
        assessments.append(a)
    sim.clock.set(workdays.next_working_day(today), 10)
    late = assessments[-1]
    for a in assessments:
        for e in track.experts:
            sen.sign_conclusion(e, a)
            sim.clock.tick(60)
        if a.pk != late.pk:
            sen.issue_conclusion(lead, a)
    sim.clock.set(workdays.next_working_day(late.due), 10)
    sen.issue_conclusion(lead, late)
    sim.injected_late.append(("sen.conclusion_issued", late.pk, "A36.2"))
    track.counts = {"SEN applicants": len(track.people), "conclusions": len(assessments)}
    return {
        "expert team members": len(track.experts),
        "conclusions issued": len(assessments),
        "issued late (injected)": 1,
        "SEN trial days": f"{t1:%d.%m}-{t2:%d.%m}",
    }


# ---------------------------------------------------------------- in the registration window


def plan_registration(sim, general: list, days: list) -> list:
    """SEN events for the registration loop, as (day, minute, kind, person, payload): each SEN
    applicant registers in the SEN track before the general registration, and each chosen
    institution records the documents within 4 working days (one of them a day late).

    Before, not after: the expert team's request (A36.2) creates the applicant's record from
    the civil registry without contacts, and the general registration sends its code to the
    contacts on record, so it cannot be confirmed until the SEN registration has filled them
    in (a defect reported in docs/simulation.md)."""
    rng = random.Random(sim.seed * 43 + 11)
    first = {}
    for day, minute, p in general:
        first[p.number] = min(first.get(p.number, (day, minute)), (day, minute))
    closes = sim.round.registration_closes
    events = []
    late_candidates = []
    for sp in sim.sen.people:
        day0, minute0 = first[sp.person.number]
        day = rng.choice([d for d in days if d <= day0])
        minute = rng.randint(9 * 60, 20 * 60)
        if day == day0:
            minute = min(minute, minute0 - 10)
        events.append((day, minute, "sen_register", sp, None))
        institutions = sorted({code_institution(sim, c) for c in sp.programmes})
        due = sen_rules.documents_due(day)
        for inst in institutions:
            k = rng.randint(0, 3)  # working days after the registration (A37.5: within 4)
            when = workdays.within_working_days(day, k) if k else workdays.on_or_after(day)
            when = min(when, closes)
            events.append((when, minute + 30 if when == day else 600, "sen_documents", sp, inst))
        late_on = workdays.next_working_day(due)
        if late_on <= closes:
            late_candidates.append((day, sp, institutions[0], late_on))
    if late_candidates:
        day, sp, inst, late_on = min(late_candidates, key=lambda x: (x[0], x[1].person.number))
        events = [
            e for e in events if not (e[2] == "sen_documents" and e[3] is sp and e[4] == inst)
        ]
        events.append((late_on, 660, "sen_documents_late", sp, inst))
        sim.sen.late_documents = sp.person.number
    return events


def code_institution(sim, code: str) -> int:
    if not hasattr(sim, "_programme_institution"):
        sim._programme_institution = {p.code: p.institution_id for p in sim.world.programmes}
    return sim._programme_institution[code]


def register(sim, sp: SenPerson, clerks: list, n: int) -> None:
    """A37.1-A37.6: online (the ID card as the second fact) or at a centre, confirmed by the
    one-time code read on the phone."""
    p = sp.person
    data = {
        "personal_number": p.number,
        "document_number": p.record["document_number"],
        "phone": p.phone,
        "email": f"{p.number}@applicant.sim.kari.ge",
        "programmes": sp.programmes,
    }
    clerk = None if p.online else clerks[n % len(clerks)]
    channel = Channel.ONLINE if clerk is None else Channel.CENTRE
    pending = sen.start_registration(clerk, data, sim.round, channel=channel)
    sim.clock.tick(45)
    reg = sen.confirm_registration(pending.code_id, phones.last_code(p.phone))
    sp.registration_id, sp.registered_on = reg.pk, sim.clock.today()


def record_documents(sim, sp: SenPerson, institution_id: int, *, late: bool = False) -> int:
    """A37.10: the institution records the documents the conclusion requires as received."""
    from kari.catalogue.models import Institution

    inst = Institution.objects.get(pk=institution_id)
    reg = SenRegistration.objects.get(pk=sp.registration_id)
    admin = sim.world.admins[institution_id]
    kinds = sen_rules.required_documents(
        hearing=sp.hearing, sight=sp.sight, behavioural=sp.behavioural
    )
    for kind in kinds:
        sen.record_document(
            admin,
            reg,
            inst,
            kind,
            received_on=sim.clock.today(),
            signatures=3 if kind == "conclusion" else None,
        )
        sim.clock.tick(20)
    if late:
        sim.injected_late.append(("sen.document_received", reg.pk, "A37.5"))
    return len(kinds)


def confirm_statuses(sim) -> int:
    """A37.11: during the window the ministry's unit confirms the SEN status."""
    sim.clock.set(sim.round.registration_closes, 21, 45)
    n = 0
    for sp in sim.sen.people:
        reg = SenRegistration.objects.get(pk=sp.registration_id)
        sen.set_status(sim.sen.officer, reg, SenStatus.CONFIRMED)
        sim.clock.tick(5)
        n += 1
    return n


# ---------------------------------------------------------------- after the window


def stage_hosts(sim) -> dict:
    """A39.1: the working day after the window the minister names the hosts (each applicant's
    first choice's institution) and distributes the SEN applicants to them; A40.3: each host's
    head creates its exam commission."""
    from kari.catalogue.models import Institution

    r, track = sim.round, sim.sen
    sim.clock.set(workdays.next_working_day(r.registration_closes), 8)
    regs = SenRegistration.objects.in_bulk([sp.registration_id for sp in track.people])
    hosts = {
        i.pk: i
        for i in Institution.objects.filter(
            pk__in={code_institution(sim, sp.programmes[0]) for sp in track.people}
        ).select_related("organisation")
    }
    assignments = {
        regs[sp.registration_id]: hosts[code_institution(sim, sp.programmes[0])]
        for sp in track.people
    }
    # A39.1: the minister's act (its number and date, the hosts, the distribution)
    act = sen.issue_hosts_act(
        track.officer,
        r,
        Stage.PRIMARY,
        number=f"SEN-C-{r.year}-{sim.seed}",
        issued_on=sim.clock.today(),
        hosts=list(hosts.values()),
        assignments=assignments,
    )
    sim.clock.tick(1800)
    # A40.4: the minister's scoring form for every programme an SEN applicant chose
    from kari.catalogue.models import Programme

    for p in Programme.objects.filter(
        code__in={c for sp in track.people for c in sp.programmes}
    ).order_by("code"):
        sen.set_scoring_form(
            track.officer,
            p,
            act_number=f"SEN-F-{r.year}-{p.code}",
            issued_on=sim.clock.today(),
            activities=[{"name": a, "max_score": top} for a, top in TRIAL],
        )
    sim.clock.tick(600)
    # the heads act side by side, each on its own time: the day's clock does not add up every
    # host's minutes (at 10,000 applicants that would run into the test days)
    begins = sim.clock.now()
    for pk in sorted(hosts):
        inst = hosts[pk]
        sim.clock.jump_to(begins)
        member = _staff(
            sim, f"sen-trial-{inst.code}", inst.organisation, [Role.SEN_EXAM_COMMISSION]
        )
        sen.create_commission(
            sim.world.admins[pk],
            inst,
            r,
            Stage.PRIMARY,
            act_number=f"{inst.code.upper()}-SEN-1",
            members=[member],
        )
        track.hosts[pk] = member
        sim.clock.tick(600)
        sen.acquaint_applicants(sim.world.admins[pk], inst, act)  # A39.2
    sim.clock.jump_to(begins + dt.timedelta(minutes=15))
    return {"SEN applicants hosted": len(assignments), "host institutions": len(hosts)}


def stage_trials_and_act(sim) -> dict:
    """A40: the trials on the minister's days, a recommendation per chosen programme, the
    packages to the ministry the next working day, the ministerial commission's distribution
    within the reserved places (A40.8: in registration order where a programme is
    oversubscribed, A40.6) and the minister's signed, published act (A40.9, A40.10); A41.1:
    the placements open and each head fixes the documents' deadline within 5 days."""
    from kari.catalogue.models import Programme

    r, track = sim.round, sim.sen
    rng = random.Random(sim.seed * 47 + 13)
    t1, t2 = trial_days(r.registration_closes)
    regs = SenRegistration.objects.in_bulk([sp.registration_id for sp in track.people])
    programmes = {
        p.code: p
        for p in Programme.objects.filter(
            code__in={c for sp in track.people for c in sp.programmes}
        )
    }
    crowded = {
        c.programme.code
        for c in sen_selectors.oversubscription(r, Stage.PRIMARY).values()
        if c.oversubscribed
    }
    trials = recommended = 0
    # each host's commission tests its applicants on the two days from 09:30 to 17:30, the
    # hosts side by side; a host with many trials spaces them closer (at most 15 minutes)
    day_of = {sp.registration_id: (t1 if n % 2 == 0 else t2) for n, sp in enumerate(track.people)}
    load = Counter(
        (regs[sp.registration_id].host_id, day_of[sp.registration_id])
        for sp in track.people
        for _ in sp.programmes
    )
    done: Counter = Counter()
    for sp in track.people:
        day = day_of[sp.registration_id]
        reg = regs[sp.registration_id]
        member = track.hosts[reg.host_id]
        for code in sp.programmes:
            key = (reg.host_id, day)
            step = min(900.0, 8 * 3600 / load[key])
            sim.clock.jump(day, 9, 30)
            sim.clock.tick(step * done[key])
            done[key] += 1
            ok = rng.random() < RATES["recommended"]
            sen.score_trial(
                member,
                reg,
                programmes[code],
                tested_on=day,
                minutes=rng.randint(40, 110),
                scores=[
                    {"activity": a, "score": rng.randint(top // 3, top), "max": top}
                    for a, top in TRIAL
                ],
                recommended=ok,
                reasons=REASONS_CROWDED if code in crowded else REASONS,
                documents_analysis=ANALYSIS,
            )
            sp.recommended[code] = ok
            trials += 1
            recommended += ok
    from kari.catalogue.models import Institution

    sim.clock.set(workdays.next_working_day(t2), 11)
    for pk, member in sorted(track.hosts.items()):
        sen.send_package(member, Institution.objects.get(pk=pk), r, Stage.PRIMARY)
        sim.clock.tick(600)
    sim.clock.set(workdays.next_working_day(sim.clock.today()), 10)
    reserve = sen_selectors.reserved_places(r, Stage.PRIMARY)
    code_of = dict(Programme.objects.filter(pk__in=reserve).values_list("pk", "code"))
    reserved = {code_of[pk]: n for pk, n in reserve.items() if n}
    taken: dict[str, int] = {}
    placements = {}
    for sp in sorted(
        track.people, key=lambda s: (regs[s.registration_id].registered_at, s.registration_id)
    ):
        for code in sp.programmes:  # the applicant's order; the reserve decides
            if sp.recommended.get(code) and taken.get(code, 0) < reserved.get(code, 0):
                placements[regs[sp.registration_id]] = programmes[code]
                taken[code] = taken.get(code, 0) + 1
                break
    act = sen.distribute(
        track.distributor, r, Stage.PRIMARY, number=f"SEN-01/{r.year}", placements=placements
    )
    sim.clock.tick(3600 * 3)
    act = track.act = sen.issue_act(track.officer, act)
    sim.clock.tick(3600)
    opened = enrolment.open_from_sen_act(sim.staff("emis"), act)
    sim.clock.set(workdays.next_working_day(sim.clock.today()), 10)
    fixed = 0
    for code in sorted({p.code for p in placements.values()}):
        programme = programmes[code]
        terms = ProgrammeTerms.objects.get(round=r, programme=programme)
        fixed += enrolment.fix_sen_terms(
            sim.world.admins[programme.institution_id],
            act,
            programme,
            submit_until=terms.submit_until,
            # A41.2: studies begin after the documents' deadline; the head fixes the day
            # when the general terms did not.
            studies_start=terms.studies_start or terms.submit_until + dt.timedelta(days=60),
            act_number=f"SEN-T-{code}",
            act_date=sim.clock.today(),
        )
        sim.clock.tick(600)
    track.counts.update({"trials": trials, "recommended": recommended, "placed": len(placements)})
    return {
        "trials": trials,
        "recommended": recommended,
        "oversubscribed programmes": len(crowded),
        "placed by the minister's act": len(placements),
        "placements opened": opened,
        "documents' deadlines fixed": fixed,
    }


def summary(sim) -> dict:
    """The SEN track's figures for the report: the counts, the injected lateness, and per
    programme with a placement its reserve and placements (A40.8)."""
    from kari.catalogue.models import AnnouncementLine, AnnouncementStatus
    from kari.sen.models import Placement

    track = sim.sen
    if track is None:
        return {}
    r = sim.round
    reserve = dict(
        AnnouncementLine.objects.filter(
            announcement__round=r, announcement__status=AnnouncementStatus.CONFIRMED
        ).values_list("programme__code", "sen_places")
    )
    placed: dict[str, int] = {}
    for code in Placement.objects.filter(act__round=r).values_list("programme__code", flat=True):
        placed[code] = placed.get(code, 0) + 1
    return {
        "applicants": len(track.people),
        "registered": sum(1 for sp in track.people if sp.registration_id),
        "trials": track.counts.get("trials", 0),
        "recommended": track.counts.get("recommended", 0),
        "placed": sum(placed.values()),
        "act": track.act.number if track.act else "",
        "act_issued_on": track.act.issued_on.isoformat() if track.act else "",
        "reserve_total": sum(reserve.values()),
        "programmes": [
            {"code": code, "reserve": reserve.get(code, 0), "placed": n}
            for code, n in sorted(placed.items())
        ],
        "injected_late": [
            {"act": kind, "object": pk, "citation": citation}
            for kind, pk, citation in sim.injected_late
            if kind.startswith("sen.")
        ],
    }
