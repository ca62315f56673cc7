"""Demo data of the appeals chapter (A23-A25): the round's commission; on the exams phase's test
day two complaints filed at check-in; in the results phase (test days over, NAEC's results
taken in) both decided, one upheld with a re-mark entered by NAEC and a violator's zero.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kari.appeals import services
from kari.appeals.models import OverrideKind, Position
from kari.errors import RuleError
from kari.exams.models import Assignment, ExamSession, Sitting, SittingStatus
from kari.exams.services import checkin

STATEMENTS = [
    (
        "rights",
        "მეზობელ სამუშაო ადგილზე მჯდომი აპლიკანტი მთელი ტესტის განმავლობაში ხმამაღლა "
        "ლაპარაკობდა და მუშაობაში ხელს მიშლიდა; ზედამხედველმა არ გააჩერა.",
    ),
    (
        "others",
        "ორი აპლიკანტი ერთმანეთს პასუხებს კარნახობდა (მეორე რიგი).",
    ),
]


def commission(naec_officer, round_, members):
    """A23.1: the director's act creates the commission: chair, deputy, secretary, 2 members."""
    positions = [
        Position.CHAIR,
        Position.DEPUTY,
        Position.SECRETARY,
        Position.MEMBER,
        Position.MEMBER,
    ]
    return services.constitute(
        naec_officer,
        round_,
        act_number="01/215",
        act_date=round_.test_starts - dt.timedelta(days=7),
        members=list(zip(members, positions, strict=True)),
    )


def _aware(day, t, minutes=0):
    return timezone.make_aware(dt.datetime.combine(day, t)) + dt.timedelta(minutes=minutes)


def _first_room(round_):
    """The first session's sittings at the exam centre with the most applicants in it."""
    session = ExamSession.objects.filter(round=round_).order_by("date", "starts_at").first()
    sittings = (
        Sitting.objects.issued()
        .filter(session=session)
        .select_related("assignment__centre", "assignment__registration__applicant", "session")
    )
    rooms = {}
    for s in sittings:
        rooms.setdefault(s.assignment.centre_id, []).append(s)
    room = max(rooms.values(), key=len)
    return session, sorted(room, key=lambda s: s.pk)


def file_two(proctor, round_, *, now=None) -> list:
    """Two applicants of the first session are checked in and complain (A25.1-A25.3)."""
    session, room = _first_room(round_)
    at = now or _aware(session.date, session.check_in_opens, 10)
    named = room[2].assignment.registration.number if len(room) > 2 else ""
    out = []
    for sitting, (ground, text) in zip(room[:2], STATEMENTS, strict=True):
        if sitting.status == SittingStatus.EXPECTED:
            try:
                checkin.admit(proctor, sitting, now=at)
            except RuleError:  # the demo built outside today's check-in hours (A20.1)
                at = _aware(session.date, session.check_in_opens, 10)
                checkin.admit(proctor, sitting, now=at)
        out.append(
            services.file_complaint(
                proctor,
                sitting,
                ground=ground,
                statement=text,
                others=named,
                id_shown=True,
                invitation_shown=True,
                now=at,
            )
        )
    return out


@transaction.atomic
def admit_everyone(proctor, round_) -> None:
    """Every invited applicant checked in at each session (the results phase's past test days)."""
    for s in (
        Sitting.objects.issued()
        .of_round(round_)
        .filter(status=SittingStatus.EXPECTED)
        .select_related("session")
    ):
        checkin.admit(proctor, s, now=_aware(s.session.date, s.session.check_in_opens, 5))


def results_file(round_, rng) -> bytes:
    """NAEC's results file (A26.1): everyone completed, scores out of 30."""
    assignments = list(
        Assignment.objects.issued()
        .of_round(round_)
        .select_related("registration__applicant", "registration__subject_group")
        .prefetch_related("registration__subject_group__subjects")
    )
    codes = sorted(
        {
            s.code
            for a in assignments
            if a.registration.subject_group_id
            for s in a.registration.subject_group.subjects.all()
        }
    )
    lines = [",".join(["personal_number", "status", "skills_score", *codes])]
    for a in assignments:
        reg = a.registration
        mine = {s.code for s in reg.subject_group.subjects.all()} if reg.subject_group_id else set()
        scores = [str(rng.randint(8, 30)) if c in mine else "" for c in codes]
        lines.append(
            ",".join([reg.applicant.personal_number, "completed", str(rng.randint(8, 30)), *scores])
        )
    return "\n".join(lines).encode()


def decide_both(naec_officer, commission_, complaints) -> None:
    """The commission receives both, meets with four of five present, upholds the first (the
    violator's work scored zero, the complainant's re-marked, the new score entered by NAEC) and
    rejects the second."""
    members = {m.position: m for m in commission_.active_members() if m.position != "member"}
    chair, secretary = members[Position.CHAIR], members[Position.SECRETARY]
    upheld, rejected = complaints
    filed = upheld.filed_at
    for c in complaints:
        services.receive(secretary.user, c, now=filed + dt.timedelta(hours=3))
    meeting = services.convene(chair.user, commission_, at=filed + dt.timedelta(days=1))
    present = list(commission_.active_members().order_by("pk"))[:4]
    services.take_attendance(chair.user, meeting, present=present)
    decided_at = filed + dt.timedelta(days=1, hours=1)
    complainants = [c.registration_id for c in complaints]
    violator = (
        Sitting.objects.filter(
            session=upheld.sitting.session, assignment__centre=upheld.sitting.assignment.centre
        )
        .exclude(assignment__registration__in=complainants)
        .order_by("pk")
        .first()
    )
    motion = services.put_to_vote(
        chair.user,
        meeting,
        upheld,
        outcome="upheld",
        reasons="ზედამხედველის ოქმით დადასტურდა, რომ მეზობელი აპლიკანტი ხელს უშლიდა.",
        votes={m.pk: True for m in present},
        zero=[violator.assignment.registration],
        remark=True,
        now=decided_at,
    )
    services.put_to_vote(
        chair.user,
        meeting,
        rejected,
        outcome="rejected",
        reasons="ზედამხედველის ოქმით და აპლიკანტების ახსნა-განმარტებით დარღვევა არ დადასტურდა.",
        votes={m.pk: i != 3 for i, m in enumerate(present)},
        now=decided_at + dt.timedelta(minutes=20),
    )
    for o in motion.decision.overrides.filter(kind=OverrideKind.REMARK):
        services.enter_remark(naec_officer, o, score="27", now=decided_at + dt.timedelta(days=1))
