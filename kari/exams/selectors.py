"""Read-only queries of exam logistics: what each applicant sits, where, and the current state."""

from collections import defaultdict

from django.utils import timezone

from kari.registration.models import Registration
from kari.rounds.models import Round
from kari.rounds.services import current_round

from .models import (
    Assignment,
    Distribution,
    ExamCentre,
    ExamSession,
    Incident,
    IncidentKind,
    ResultImport,
    Sitting,
    SittingStatus,
)


def items_of(reg: Registration) -> list[str]:
    """A7.1-A7.4: the skills test and every subject of the subject group, as item keys."""
    items = []
    if reg.skills_test_id:
        items.append(f"skills:{reg.skills_test.code}")
    if reg.subject_group_id:
        items += [f"subject:{s.code}" for s in reg.subject_group.subjects.all()]
    return sorted(items)


def registrations_to_distribute(round_):
    """Primary-stage registrations of the round whose applicants sit the test (A17.2).

    The institution tests the subsequent stage (A8.2). An applicant who carries scores over
    and did not choose to sit again is not distributed and not expected in the results (A28).
    """
    return (
        Registration.objects.filter(round=round_, stage="primary")
        .exclude(carried_over=True, retakes_test=False)
        .select_related("exam_municipality", "skills_test", "subject_group", "applicant")
        .prefetch_related("subject_group__subjects")
        .order_by("pk")
    )


def hosted_sessions(centre: ExamCentre, sessions: list[ExamSession]) -> list[ExamSession]:
    """A centre hosts the first `sessions_per_day` sessions of each test day, by start time."""
    by_day = defaultdict(list)
    for s in sorted(sessions, key=lambda s: (s.date, s.starts_at)):
        by_day[s.date].append(s)
    return [s for day in sorted(by_day) for s in by_day[day][: centre.sessions_per_day]]


def round_sessions(round_) -> list[ExamSession]:
    return list(ExamSession.objects.filter(round=round_).select_related("skills_test", "subject"))


def active_centres():
    return list(ExamCentre.objects.active().select_related("municipality", "host"))


def current_distribution(round_) -> Distribution | None:
    return Distribution.objects.filter(round=round_).order_by("-number").first()


def current_assignment(reg: Registration) -> Assignment | None:
    d = current_distribution(reg.round)
    if d is None:
        return None
    return (
        Assignment.objects.filter(distribution=d, registration=reg)
        .select_related("centre", "centre__municipality")
        .first()
    )


def current_results(round_):
    imp = ResultImport.objects.current(round_).first()
    return imp, (imp.results.select_related("registration") if imp else None)


def exam_round(request=None, today=None):
    """The round exam logistics works on: ``?round=`` if given, else the latest whose
    registration has closed, else the current round."""
    pk = request.GET.get("round") if request is not None else None
    if pk and str(pk).isdigit():
        r = Round.objects.filter(pk=pk).first()
        if r is not None:
            return r
    today = today or timezone.localdate()
    closed = (
        Round.objects.filter(registration_closes__lt=today).order_by("-registration_closes").first()
    )
    return closed or current_round(today)


def sessions_today(round_, today=None):
    today = today or timezone.localdate()
    return [s for s in round_sessions(round_) if s.date == today]


def round_warnings(sitting) -> list:
    """A21: the warnings this applicant already had in the round, in any of its sessions (a
    new breach after one removes the applicant)."""
    return list(
        Incident.objects.filter(
            kind=IncidentKind.WARNING,
            sitting__in=Sitting.objects.issued()
            .filter(assignment__registration_id=sitting.assignment.registration_id)
            .values("pk"),
        ).order_by("at")
    )


def expected_count(session, centre) -> int:
    """A20.4: how many applicants of the session at the centre are still expected (not checked
    in): the ones that marking the no-shows would mark absent."""
    return (
        Sitting.objects.issued().at(centre, session).filter(status=SittingStatus.EXPECTED).count()
    )
