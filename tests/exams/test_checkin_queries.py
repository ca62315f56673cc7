"""Check-in's statements (a regression guard for its cost) and the A21.2 refusal made in the
check-in's own write."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kari.audit.log import verify
from kari.audit.models import AuditEntry
from kari.errors import RuleError
from kari.exams import services
from kari.exams.models import Incident, IncidentKind, Sitting, SittingStatus


@pytest.fixture
def first(issued):
    session, centre = issued["sessions"][0], issued["centres"][0]
    sittings = list(
        Sitting.objects.filter(session=session, assignment__centre=centre).order_by("pk")
    )
    at = lambda hh, mm=0: issued["aware"](session.date, hh, mm)  # noqa: E731
    return {**issued, "session": session, "sittings": sittings, "at": at}


def _statements(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN"))
    ]


def test_a_check_in_locks_once_writes_once_and_appends_one_entry(first):
    proctor, sitting = first["proctor"], first["sittings"][0]
    services.admit(proctor, first["sittings"][1], now=first["at"](8, 0))  # roles read once
    with CaptureQueriesContext(connection) as captured:
        services.admit(proctor, sitting, now=first["at"](8, 0))
    sql = _statements(captured)
    # the lock (with the session's test and the centre), the write with its A21.2 check, the
    # audit entry: the head's lock, then the entry and the head (one statement on PostgreSQL)
    audit = 2 if connection.vendor == "postgresql" else 3
    assert len(sql) == 2 + audit, sql
    assert "exams_incident" in sql[1] and sql[1].startswith("UPDATE")
    entry = AuditEntry.objects.get(action="exam.check_in", object_id=str(sitting.pk))
    registration = sitting.assignment.registration
    assert entry.object_repr == f"{registration} @ {first['session']}"
    assert entry.organisation_id == first["centres"][0].host_id
    assert entry.after == {
        "session": str(first["session"]),
        "documents": True,
        "verified_by": "",
    }
    assert Sitting.objects.get(pk=sitting.pk).status == SittingStatus.CHECKED_IN
    assert verify() == []


def test_a_removal_refuses_the_check_in_in_its_write(first):
    """A removal recorded against a sitting still expected (as a removal recorded elsewhere
    while this check-in waited for its locks would be): refused with A21.2, nothing written."""
    proctor, sittings = first["proctor"], first["sittings"]
    services.admit(proctor, sittings[1], now=first["at"](8, 0))
    reg = sittings[0].assignment.registration_id
    other = Sitting.objects.filter(assignment__registration_id=reg).exclude(pk=sittings[0].pk)[0]
    Incident.objects.create(
        sitting=other,
        kind=IncidentKind.REMOVAL,
        category="device",
        at=first["at"](8, 0),
        by=proctor,
    )
    entries = AuditEntry.objects.count()
    with pytest.raises(RuleError, match="მუხ. 21.2"):
        services.admit(proctor, sittings[0], now=first["at"](8, 0))
    assert Sitting.objects.get(pk=sittings[0].pk).status == SittingStatus.EXPECTED
    assert AuditEntry.objects.count() == entries
    # the removal is the reason given first, before check-in's hours (A20.2)
    with pytest.raises(RuleError, match="მუხ. 21.2"):
        services.admit(proctor, sittings[0], now=first["at"](9, 30))
