"""The round's exam sessions (A18, A19.4), and moving one after force majeure (A18.2)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari import notify
from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.errors import RuleError, ValidationError, field_error
from kari.sms import sms_on_commit

from ..cards import site_url
from ..models import ExamSession, Invitation, InvitationJob
from .common import lock_round, refuse_if_final
from .invitations import rerender_task

RESCHEDULE_NOTICE = gettext_lazy(
    "Your test %(test)s is moved to %(when)s (A18.2). Your invitation is updated: %(url)s"
)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


@transaction.atomic
def save_session(actor, round_, data: dict, session: ExamSession | None = None) -> ExamSession:
    """NAEC schedules one sitting of one test within the round's test days (A18.1, A19.4)."""
    authorize(actor, "exams.sessions", NATIONAL)
    lock_round(round_)
    refuse_if_final(round_)
    errors = {}
    day, starts = data.get("date"), data.get("starts_at")
    opens, closes = data.get("check_in_opens"), data.get("check_in_closes")
    duration = int(data.get("duration_minutes") or 90)
    if day is None or not round_.test_starts <= day <= round_.test_ends:
        errors["date"] = [
            RuleError(
                _("The test day must be within the round's test days, %(a)s–%(b)s.")
                % {"a": f"{round_.test_starts:%d.%m.%Y}", "b": f"{round_.test_ends:%d.%m.%Y}"},
                citation="A18.1",
            ).messages[0]
        ]
    if bool(data.get("skills_test")) == bool(data.get("subject")):
        errors["skills_test"] = [_("Choose either a skills test or a subject (A7.1).")]
    errors.update(
        _timing_errors(
            round_, day, starts, opens, closes, duration, session, check_overlap=not errors
        )
    )
    if errors:
        raise ValidationError(errors)
    before = None if session is None else {"session": str(session)}
    session = session or ExamSession(round=round_)
    for f in ("date", "starts_at", "check_in_opens", "check_in_closes", "skills_test", "subject"):
        setattr(session, f, data.get(f))
    session.duration_minutes = duration
    session.save()
    record(actor, "exam_session.save", session, before=before, after={"session": str(session)})
    return session


def _timing_errors(round_, day, starts, opens, closes, duration, session, *, check_overlap=True):
    """Check-in opens, then closes, no later than the start; no overlap with another session."""
    errors = {}
    if starts and opens and closes and not (opens < closes <= starts):
        errors["check_in_closes"] = [
            _("Check-in opens, then closes, no later than the start (A19.4, A20.2).")
        ]
    if day and starts and check_overlap and not errors:
        begin = _minutes(starts)
        for other in ExamSession.objects.filter(round=round_, date=day).exclude(
            pk=getattr(session, "pk", None)
        ):
            o = _minutes(other.starts_at)
            if begin < o + other.duration_minutes and o < begin + duration:
                errors["starts_at"] = [
                    _(
                        "It overlaps the session at %(t)s (%(test)s); sessions "
                        "of a round never overlap, so no applicant's tests clash."
                    )
                    % {"t": f"{other.starts_at:%H:%M}", "test": other.test_label}
                ]
                break
    return errors


@transaction.atomic
def reschedule_session(
    actor, session: ExamSession, data: dict, *, reason: str, today=None
) -> ExamSession:
    """A18.2: after force majeure or a fault of EMIS or NAEC, NAEC sets a new date and time.

    Allowed after the invitations are issued: the affected applicants' cards are rendered again
    and they are told by email and SMS after commit.
    """
    authorize(actor, "exams.sessions", NATIONAL)
    lock_round(session.round)
    if not reason.strip():
        raise field_error(
            "reason", _("Say what happened (force majeure, or a fault of EMIS or NAEC)."), "A18.2"
        )
    if InvitationJob.objects.active().filter(distribution__round=session.round).exists():
        raise RuleError(
            _(
                "The invitation cards are being rendered: move the session when the "
                "job has finished."
            ),
            citation="A18.2",
        )
    today = today or timezone.localdate()
    day, starts = data.get("date"), data.get("starts_at")
    errors = {}
    if day is None or day < today:
        errors["date"] = [_("Choose a new test day, today or later.")]
    errors.update(
        _timing_errors(
            session.round,
            day,
            starts,
            data.get("check_in_opens"),
            data.get("check_in_closes"),
            session.duration_minutes,
            session,
            check_overlap=not errors,
        )
    )
    if errors:
        raise ValidationError(errors)
    before = {
        "session": str(session),
        "check_in": f"{session.check_in_opens:%H:%M}–{session.check_in_closes:%H:%M}",
    }
    for f in ("date", "starts_at", "check_in_opens", "check_in_closes"):
        setattr(session, f, data[f])
    session.save()
    invs = list(
        Invitation.objects.issued()
        .filter(assignment__sittings__session=session)
        .select_related("registration__applicant")
    )
    rerender_task.enqueue([inv.pk for inv in invs])
    record(
        actor,
        "exam_session.reschedule",
        session,
        before=before,
        after={"session": str(session), "invitations": len(invs)},
        reason=reason,
    )
    when = f"{session.date:%d.%m.%Y} {session.starts_at:%H:%M}"
    for inv in invs:
        person = inv.registration.applicant
        values = {"test": session.test_label, "when": when, "url": site_url("/cabinet/")}
        notify.email_on_commit(
            [person.email], f"Kari: {inv.number}", notify.bilingual(RESCHEDULE_NOTICE, **values)
        )
        sms_on_commit(person.phone, notify.bilingual(RESCHEDULE_NOTICE, sep=" / ", **values))
    return session


@transaction.atomic
def delete_session(actor, session: ExamSession) -> None:
    authorize(actor, "exams.sessions", NATIONAL)
    lock_round(session.round)
    refuse_if_final(session.round)
    if session.sittings.exists():
        raise RuleError(
            _(
                "Applicants are distributed to this session: re-run the distribution "
                "without it first."
            )
        )
    record(actor, "exam_session.delete", session, before={"session": str(session)})
    session.delete()
