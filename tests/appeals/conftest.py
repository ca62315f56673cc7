import datetime as dt

import pytest

from kari.accounts.roles import OrgKind, Role
from kari.appeals import services
from kari.appeals.models import Position
from kari.exams.models import Sitting
from kari.exams.services import checkin
from tests.conftest import make_user
from tests.exams.conftest import exam_world, issued  # noqa: F401  (fixtures)


@pytest.fixture
def appeals_world(issued):  # noqa: F811 (the imported fixture)
    """The exam world on its first test day, invitations issued, with a five-member commission
    (chair, deputy, secretary and two members) and three applicants checked in at TB-1."""
    naec_org = issued["orgs"][OrgKind.NAEC][0]
    names = ["chair", "deputy", "secretary", "member-1", "member-2"]
    users = [issued["users"][Role.COMMISSION_MEMBER]] + [
        make_user(f"cm-{n}", naec_org, [Role.COMMISSION_MEMBER]) for n in names[1:]
    ]
    positions = [
        Position.CHAIR,
        Position.DEPUTY,
        Position.SECRETARY,
        Position.MEMBER,
        Position.MEMBER,
    ]
    naec = issued["naec"]
    commission = services.constitute(
        naec,
        issued["round"],
        act_number="01/123",
        act_date=issued["today"],
        members=list(zip(users, positions, strict=True)),
    )
    session, centre = issued["sessions"][0], issued["centres"][0]
    sittings = list(
        Sitting.objects.filter(session=session, assignment__centre=centre)
        .select_related("assignment__registration__applicant")
        .order_by("pk")
    )
    at = lambda hh, mm=0: issued["aware"](session.date, hh, mm)  # noqa: E731
    for s in sittings[:3]:
        checkin.admit(issued["proctor"], s, now=at(8))
    members = {m.user.username: m for m in commission.active_members()}
    by_pos = {m.position: m for m in commission.active_members() if m.position != "member"}
    return {
        **issued,
        "commission": commission,
        "member_users": users,
        "members": list(commission.active_members().order_by("pk")),
        "by_user": members,
        "chair": by_pos[Position.CHAIR],
        "deputy": by_pos[Position.DEPUTY],
        "secretary": by_pos[Position.SECRETARY],
        "session": session,
        "centre": centre,
        "sittings": sittings,
        "at": at,
    }


@pytest.fixture
def received(appeals_world):
    """A complaint (A25.3(a)) filed at 10:00 by the first applicant, received by the secretary."""
    w = appeals_world
    c = services.file_complaint(
        w["proctor"],
        w["sittings"][0],
        ground="rights",
        statement="მეზობელი ხმამაღლა ლაპარაკობდა და ხელს მიშლიდა.",
        others="ადგილი 12",
        id_shown=True,
        invitation_shown=True,
        now=w["at"](10),
    )
    c = services.receive(w["secretary"].user, c, now=w["at"](15))
    return {**w, "complaint": c}


def meet(w, present_idx, *, stand_in=None):
    m = services.convene(w["chair"].user, w["commission"], at=w["at"](16))
    present = [w["members"][i] for i in present_idx]
    services.take_attendance(w["chair"].user, m, present=present, stand_in=stand_in)
    m.refresh_from_db()
    return m


@pytest.fixture
def at_(appeals_world):
    return appeals_world["at"]


__all__ = ["meet", "dt"]
