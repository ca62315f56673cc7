"""Test day at the exam centre: check-in (A19, A20), breaches (A20.6, A21), presence (A22)."""

import datetime as dt

from django.db import transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.models import Organisation
from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.errors import RuleError, ValidationError, field_error
from kari.registration.models import Registration

from .. import selectors
from ..models import (
    BreachCategory,
    DistributionStatus,
    ExamCentre,
    ExamSession,
    Incident,
    IncidentKind,
    Presence,
    PresenceKind,
    Sitting,
    SittingStatus,
)


def _at(session: ExamSession, t: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(session.date, t))


def find_sitting(
    actor, session: ExamSession, centre: ExamCentre, *, personal_number: str = "", token: str = ""
) -> Sitting:
    """The applicant's sitting in this session at this centre.

    Found by personal number or the QR token.
    """
    authorize(actor, "exam.check_in", NATIONAL)
    qs = (
        Sitting.objects.issued()
        .at(centre, session)
        .select_related("assignment__registration__applicant", "assignment__centre", "session")
    )
    if token:
        qs = qs.filter(assignment__registration__invitation__token=token)
    else:
        qs = qs.filter(assignment__registration__applicant__personal_number=personal_number.strip())
    sitting = qs.first()
    if sitting is None:
        raise field_error(
            "personal_number",
            _("No applicant with this invitation sits this session at this centre (A19.1)."),
        )
    return sitting


def _loaded(model, pk, db):
    """An instance of ``model`` with only its primary key read, as ``.only("pk")`` gives: any
    other field is read from the database when first used, so it is the row itself, without a
    join or a query for what nobody reads (the audit entry's object and organisation name a
    registration and the centre's host by their ids)."""
    return model.from_db(db, ["id"], [pk])


def _final_sitting(sitting: Sitting) -> Sitting:
    """The sitting, locked; only sittings of issued invitations exist on test day (A17.3, A19.1).

    Locked: the sitting, its assignment and distribution, and the session, as ever; read with
    it, unlocked, the session's test (the audit entry names it) and the centre. The
    registration and the centre's host are the rows of their ids, read only if used (their
    ids are what the audit entry stores): two joins fewer, which PostgreSQL plans faster."""
    rows = list(
        Sitting.objects.select_for_update(
            of=("self", "assignment", "assignment__distribution", "session")
        )
        .select_related(
            "assignment__distribution",
            "session__skills_test",
            "session__subject",
            "assignment__centre",
        )
        # one row by its key: no LIMIT (as .get() adds), which PostgreSQL plans slower here
        .filter(pk=sitting.pk)
        .order_by()
    )
    if not rows:
        raise Sitting.DoesNotExist("Sitting matching query does not exist.")
    sitting = rows[0]
    if not sitting.assignment.distribution.is_final:
        raise RuleError(_("This applicant has no invitation for this session."), citation="A19.1")
    a = sitting.assignment
    a.registration = _loaded(Registration, a.registration_id, sitting._state.db)
    a.centre.host = _loaded(Organisation, a.centre.host_id, sitting._state.db)
    return sitting


def _sittings_of(sitting: Sitting):
    """Every issued sitting of this applicant in the round (all the test's sessions)."""
    return Sitting.objects.issued().filter(
        assignment__registration_id=sitting.assignment.registration_id
    )


def _incidents(sitting: Sitting):
    return Incident.objects.filter(
        sitting__in=_sittings_of(sitting).values("pk"),
    )


def _removals(sitting: Sitting):
    """The A21.2 removals of this applicant from the testing, in any session."""
    return Incident.objects.filter(
        kind=IncidentKind.REMOVAL,
        sitting__assignment__registration_id=sitting.assignment.registration_id,
        sitting__assignment__distribution__status=DistributionStatus.FINAL,
    )


def _removed(sitting: Sitting) -> bool:
    return _removals(sitting).exists()


def _removal_refused() -> RuleError:
    return RuleError(
        _(
            "This applicant was removed from the testing for a repeated breach; "
            "they sit no further session (A21.2)."
        ),
        citation="A21.2",
    )


def _refusal(sitting: Sitting, now, documents_shown: bool, verified_by: str) -> RuleError | None:
    """Why this sitting cannot be checked in now (A19.1, A20.1-3), if anything but a removal
    stands in the way; the first reason, in the order the rules are checked."""
    s = sitting.session
    if sitting.status != SittingStatus.EXPECTED:
        return RuleError(
            _("This applicant is already recorded as “%(status)s”.")
            % {"status": sitting.get_status_display()}
        )
    if now < _at(s, s.check_in_opens):
        return RuleError(
            _("Check-in opens at %(t)s.") % {"t": f"{s.check_in_opens:%H:%M}"}, citation="A20.1"
        )
    if now > _at(s, s.check_in_closes):
        return RuleError(
            _("Check-in closed at %(t)s: nobody is admitted after that.")
            % {"t": f"{s.check_in_closes:%H:%M}"},
            citation="A20.2",
        )
    if not documents_shown and not verified_by.strip():
        return field_error(
            "verified_by",
            _(
                "Without an ID document the applicant is admitted only "
                "after NAEC, EMIS or the institution verifies the data: "
                "name who verified."
            ),
            "A20.3",
        )
    return None


@transaction.atomic
def admit(
    actor, sitting: Sitting, *, documents_shown: bool = True, verified_by: str = "", now=None
) -> Sitting:
    """A19.1-2: admit an applicant who shows an ID document and the invitation.

    A20.2: nobody is admitted after check-in closes. A20.3: without documents, only after the
    data are verified by NAEC, EMIS or the institution; who verified is recorded. Admitting an
    applicant who is already in is a no-op (scanning twice is idempotent).
    """
    authorize(actor, "exam.check_in", NATIONAL)
    sitting = _final_sitting(sitting)
    if sitting.status == SittingStatus.CHECKED_IN:
        return sitting
    now = now or timezone.now()
    s = sitting.session
    refusal = _refusal(sitting, now, documents_shown, verified_by)
    if refusal is not None:
        # the removal (A21.2) is the reason given first, whatever else stands in the way
        raise _removal_refused() if _removed(sitting) else refusal
    sitting.status = SittingStatus.CHECKED_IN
    sitting.checked_in_at, sitting.checked_in_by = now, actor
    sitting.verified_by = "" if documents_shown else verified_by.strip()
    # the A21.2 check in the write itself (read after the locks, as a query of its own would
    # be): nothing else stands in the way here, so a removal is the one reason to refuse
    admitted = (
        Sitting.objects.filter(pk=sitting.pk)
        .exclude(Exists(_removals(sitting)))
        .update(
            status=sitting.status,
            checked_in_at=now,
            checked_in_by=actor,
            verified_by=sitting.verified_by,
        )
    )
    if not admitted:
        raise _removal_refused()
    record(
        actor,
        "exam.check_in",
        sitting,
        after={"session": str(s), "documents": documents_shown, "verified_by": sitting.verified_by},
        reason="A20.3" if not documents_shown else "A19.1",
    )
    return sitting


@transaction.atomic
def refuse_entry(actor, sitting: Sitting, *, reason: str, now=None) -> Sitting:
    """A20.2: refuse entry to an applicant who arrives after check-in closes (or other grounds)."""
    authorize(actor, "exam.check_in", NATIONAL)
    sitting = _final_sitting(sitting)
    if sitting.status != SittingStatus.EXPECTED:
        raise RuleError(_("Only an applicant who has not checked in can be refused entry."))
    if not reason.strip():
        raise field_error("reason", _("Say why entry is refused."), "A20.2")
    sitting.status = SittingStatus.REFUSED
    sitting.save(update_fields=["status"])
    record(actor, "exam.refuse", sitting, after={"session": str(sitting.session)}, reason=reason)
    return sitting


@transaction.atomic
def mark_no_shows(actor, session: ExamSession, centre: ExamCentre, *, now=None) -> int:
    """A20.4: when the session starts, everyone not checked in is absent, with no extra test."""
    authorize(actor, "exam.check_in", NATIONAL)
    now = now or timezone.now()
    if now < _at(session, session.starts_at):
        raise RuleError(
            _("No-shows are marked when the session starts, at %(t)s.")
            % {"t": f"{session.starts_at:%H:%M}"},
            citation="A20.4",
        )
    qs = Sitting.objects.issued().at(centre, session).filter(status=SittingStatus.EXPECTED)
    n = qs.update(status=SittingStatus.ABSENT)
    record(
        actor,
        "exam.no_shows",
        session,
        after={"centre": centre.code, "absent": n},
        reason=_("No-show: no right to an extra test (A20.4)"),
        # the host by its id, as the entry stores it (no query for a centre read without it)
        organisation=_loaded(Organisation, centre.host_id, centre._state.db),
    )
    return n


@transaction.atomic
def report_breach(actor, sitting: Sitting, *, category: str, note: str = "", now=None) -> Incident:
    """A21: a breach of A20.6 earns a warning; a repeated breach removes the applicant."""
    authorize(actor, "exam.check_in", NATIONAL)
    sitting = _final_sitting(sitting)
    if sitting.status != SittingStatus.CHECKED_IN:
        raise RuleError(
            _("Only an applicant sitting the test can be warned or removed."), citation="A21"
        )
    if category not in BreachCategory.values:
        raise field_error("category", _("Choose the breach from the list (A20.6)."), "A20.6")
    # A21: the warning and the repeated breach count across the applicant's sittings of the
    # round (the test is the skills test and every subject, A7.1), not per session.
    warned = _incidents(sitting).filter(kind=IncidentKind.WARNING).exists()
    kind = IncidentKind.REMOVAL if warned else IncidentKind.WARNING
    incident = Incident.objects.create(
        sitting=sitting,
        kind=kind,
        category=category,
        note=note.strip(),
        at=now or timezone.now(),
        by=actor,
    )
    later = 0
    if kind == IncidentKind.REMOVAL:
        sitting.status = SittingStatus.REMOVED
        sitting.save(update_fields=["status"])
        # A21.2: removed from the testing, so from every session still to come.
        later = (
            _sittings_of(sitting)
            .filter(status=SittingStatus.EXPECTED)
            .update(status=SittingStatus.REMOVED)
        )
    record(
        actor,
        f"exam.{kind}",
        sitting,
        after={"category": category, "note": note.strip(), "later_sessions_removed": later},
        reason="A21",
    )
    return incident


@transaction.atomic
def record_presence(
    actor,
    session: ExamSession,
    centre: ExamCentre,
    *,
    kind: str,
    full_name: str,
    document: str,
    now=None,
) -> Presence:
    """A22: record an observer or pass holder present in the room."""
    authorize(actor, "exam.check_in", NATIONAL)
    errors = {}
    if kind not in PresenceKind.values:
        errors["kind"] = [
            _(
                "Only NAEC staff, authorised ministry observers and NAEC pass holders "
                "may be present (A22)."
            )
        ]
    if not full_name.strip():
        errors["full_name"] = [_("Enter the full name.")]
    if not document.strip():
        errors["document"] = [_("Enter the pass or authorisation number (A22).")]
    if session.pk not in {
        s.pk for s in selectors.hosted_sessions(centre, selectors.round_sessions(session.round))
    }:
        errors["__all__"] = [_("This exam centre does not host this session.")]
    if errors:
        raise ValidationError(errors)
    p = Presence.objects.create(
        session=session,
        centre=centre,
        kind=kind,
        full_name=full_name.strip(),
        document=document.strip(),
        at=now or timezone.now(),
        recorded_by=actor,
    )
    record(actor, "exam.presence", p, after={"kind": kind, "name": p.full_name}, reason="A22")
    return p
