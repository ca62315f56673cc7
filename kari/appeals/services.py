"""Every write of the appeals chapter (A23-A25): one transaction each, a permission check, the
rules, an audit entry, and the notices after commit.

- ``constitute``, ``change_membership``: the commission and its members (A23.1)
- ``file_complaint``: the proctor records a complaint on the test day (A25.1-A25.3)
- ``receive``: the commission's receipt, stamped late after 24 hours (A25.1)
- ``convene``, ``take_attendance``, ``declare_conflict``: sessions (A24.1, A24.2, A24.6)
- ``put_to_vote``: a proposal voted on; with a majority of those present it is the decision
  (A24.3-A24.5, A23.2, A25.4), whose notice goes out at once (A25.5)
- ``enter_remark``: NAEC enters the re-marked score (A25.4(b))
"""

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari import notify
from kari.accounts.permissions import NATIONAL, authorize
from kari.accounts.roles import OrgKind, Role
from kari.accounts.signing import sign_document
from kari.audit.log import record
from kari.errors import RuleError, ValidationError, field_error
from kari.exams.cards import site_url
from kari.exams.models import Sitting, SittingStatus
from kari.exams.services.results import MAX_SCORE
from kari.rounds.models import Round
from kari.sms import sms_on_commit

from . import documents, rules
from .models import (
    Attachment,
    Attendance,
    Commission,
    Complaint,
    ComplaintStatus,
    Conflict,
    Decision,
    Ground,
    Meeting,
    Membership,
    Motion,
    Outcome,
    OverrideKind,
    Position,
    ResultOverride,
    Vote,
)

FILED_NOTICE = gettext_lazy(
    "Your complaint %(number)s is recorded. It reaches the appeals commission within 24 hours "
    "and is decided within 5 days: %(url)s"
)
DECISION_NOTICE = gettext_lazy(
    "The appeals commission decided on complaint %(number)s: %(outcome)s. Details: %(url)s"
)
ZERO_NOTICE = gettext_lazy(
    "By decision %(number)s of the appeals commission your work in %(item)s is scored zero "
    "for a breach of the test procedure (A25.4(a)). Details: %(url)s"
)
REMARK_NOTICE = gettext_lazy(
    "Your work in %(item)s was re-marked after decision %(number)s of the appeals commission: "
    "the new score is %(score)s. Details: %(url)s"
)


def _tell(applicant, message, **values) -> None:
    """Email and SMS to an applicant after commit, in Georgian and English."""
    subject = f"Kari: {values.get('number', '')}"
    notify.email_on_commit([applicant.email], subject, notify.bilingual(message, **values))
    sms_on_commit(applicant.phone, notify.bilingual(message, sep=" / ", **values))


def _cabinet() -> str:
    return site_url("/cabinet/")


def _member_of(actor, commission: Commission) -> Membership:
    m = commission.members.filter(active=True, user=actor).first()
    if m is None:
        raise RuleError(_("Only a member of the appeals commission may do this."), citation="A23.1")
    return m


def _item(sitting: Sitting) -> tuple[str, str]:
    """The test item of a sitting as results key it: "skills" or the subject's code."""
    s = sitting.session
    return ("skills", s.test_label) if s.skills_test_id else (s.subject.code, s.test_label)


# ------------------------------------------------------------------ the commission (A23.1)


def _check_member_user(user, organisation) -> None:
    if user.organisation_id != organisation.pk or Role.COMMISSION_MEMBER not in user.roles:
        raise field_error(
            "members",
            _("%(name)s does not hold the commission-member role at NAEC.")
            % {"name": user.display_name},
            "A23.1",
        )


def _check_act(act_number: str, act_date) -> dict:
    errors = {}
    if not (act_number or "").strip():
        errors["act_number"] = [_("Enter the number of the director's act (A23.1).")]
    if not act_date:
        errors["act_date"] = [_("Enter the date of the director's act (A23.1).")]
    return errors


@transaction.atomic
def constitute(actor, round_: Round, *, act_number: str, act_date, members) -> Commission:
    """A23.1: the NAEC director's act creates the round's commission: a chair, a deputy, a
    secretary and members (``members``: (user, position) pairs)."""
    organisation = actor.organisation
    authorize(actor, "appeals.constitute", organisation)
    if organisation.kind != OrgKind.NAEC:
        raise RuleError(_("The appeals commission is created by NAEC."), citation="A23.1")
    Round.objects.select_for_update().get(pk=round_.pk)
    if Commission.objects.filter(round=round_).exists():
        raise RuleError(_("This round already has an appeals commission."))
    errors = _check_act(act_number, act_date)
    members = list(members)
    positions = [p for _u, p in members]
    for p in (Position.CHAIR, Position.DEPUTY, Position.SECRETARY):
        if positions.count(p) != 1:
            errors.setdefault("members", []).append(
                _("The commission needs exactly one %(position)s.")
                % {"position": Position(p).label}
            )
    if len({u.pk for u, _p in members}) != len(members):
        errors.setdefault("members", []).append(_("A person is named twice."))
    if errors:
        raise ValidationError(errors)
    for user, _p in members:
        _check_member_user(user, organisation)
    c = Commission.objects.create(
        round=round_,
        organisation=organisation,
        act_number=act_number.strip(),
        act_date=act_date,
        created_at=timezone.now(),
        created_by=actor,
    )
    for user, position in members:
        Membership.objects.create(
            commission=c, user=user, position=position, act_number=c.act_number, act_date=act_date
        )
    record(
        actor,
        "appeals.constitute",
        c,
        after={
            "act": c.act_number,
            "act_date": act_date,
            "members": [f"{u.display_name} ({p})" for u, p in members],
        },
        reason="A23.1",
    )
    return c


@transaction.atomic
def change_membership(
    actor, commission: Commission, *, user, position: str, act_number: str, act_date
) -> Membership | None:
    """A23.1: an act appoints ``user`` to ``position``, moves them to it, or (position "")
    ends their membership; the act's number and date are kept and audited."""
    authorize(actor, "appeals.constitute", commission.organisation)
    errors = _check_act(act_number, act_date)
    if position and position not in Position.values:
        errors["position"] = [_("Choose a position.")]
    if errors:
        raise ValidationError(errors)
    current = commission.members.select_for_update().filter(active=True, user=user).first()
    if position:
        _check_member_user(user, commission.organisation)
        if position != Position.MEMBER:
            holder = commission.members.filter(active=True, position=position).exclude(user=user)
            if holder.exists():
                raise field_error(
                    "position",
                    _("%(name)s holds this position: end that membership first.")
                    % {"name": holder.first().name},
                )
    elif current is None:
        raise field_error("user", _("This person is not a member."))
    before = {"position": current.position} if current else None
    if current is not None:
        current.active = False
        current.ended_act_number, current.ended_act_date = act_number.strip(), act_date
        current.save(update_fields=["active", "ended_act_number", "ended_act_date"])
    new = None
    if position:
        new = Membership.objects.create(
            commission=commission,
            user=user,
            position=position,
            act_number=act_number.strip(),
            act_date=act_date,
        )
    record(
        actor,
        "appeals.membership",
        commission,
        before=before,
        after={
            "member": user.display_name,
            "position": position or None,
            "act": act_number.strip(),
            "act_date": act_date,
        },
        reason="A23.1",
    )
    return new


# ------------------------------------------------------------------ filing (A25.1-A25.3)

MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"%PDF": "application/pdf"}


def _sniff(head: bytes) -> str | None:
    return next((t for magic, t in MAGIC.items() if head.startswith(magic)), None)


def _read_files(files) -> list[tuple[str, bytes, str]]:
    files = [f for f in files or [] if f]
    if len(files) > rules.MAX_ATTACHMENTS:
        raise field_error(
            "files", _("At most %(n)s files may be attached.") % {"n": rules.MAX_ATTACHMENTS}
        )
    out = []
    for f in files:
        data = f.read(rules.MAX_ATTACHMENT_BYTES + 1)
        if len(data) > rules.MAX_ATTACHMENT_BYTES:
            raise field_error(
                "files",
                _("%(name)s is larger than %(mb)s MB.")
                % {"name": f.name, "mb": rules.MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            )
        kind = _sniff(data[:8])
        if kind is None:
            raise field_error(
                "files", _("%(name)s is not a JPEG, PNG or PDF file.") % {"name": f.name}
            )
        out.append((f.name[:200], data, kind))
    return out


@transaction.atomic
def file_complaint(
    actor,
    sitting: Sitting,
    *,
    ground: str,
    statement: str,
    others: str = "",
    id_shown: bool,
    invitation_shown: bool,
    files=(),
    now=None,
) -> Complaint:
    """A25.1-A25.3: the proctor records an applicant's complaint in the exam-centre building on
    the test day, after seeing the ID document and the invitation; the applicant gets a receipt.

    Any applicant of the session who is there may complain, one refused entry or removed too;
    one who did not show is not there.
    """
    authorize(actor, "appeals.file", NATIONAL)
    now = now or timezone.now()
    sitting = (
        Sitting.objects.select_for_update(of=("self",))
        .select_related("session", "assignment__distribution", "assignment__registration")
        .get(pk=sitting.pk)
    )
    if not sitting.assignment.distribution.is_final:
        raise RuleError(_("This applicant has no invitation for this session."), citation="A19.1")
    if sitting.status == SittingStatus.ABSENT:
        raise RuleError(
            _("The applicant did not come to the test: a complaint is filed in the building."),
            citation="A25.1",
        )
    if timezone.localdate(now) != sitting.session.date:
        raise RuleError(
            _("A complaint is filed on the test day, %(d)s.")
            % {"d": f"{sitting.session.date:%d.%m.%Y}"},
            citation="A25.1",
        )
    errors = {}
    if not id_shown:
        errors["id_shown"] = [
            _(
                "The applicant shows the ID document (birth certificate, ID card, residence "
                "permit or passport) (A25.2)."
            )
        ]
    if not invitation_shown:
        errors["invitation_shown"] = [_("The applicant shows the invitation (A25.2).")]
    if ground not in Ground.values:
        errors["ground"] = [_("Choose the ground of the complaint (A25.3).")]
    if not statement.strip():
        errors["statement"] = [_("Write down what happened.")]
    if errors:
        raise ValidationError(errors)
    attached = _read_files(files)
    round_ = sitting.session.round
    Round.objects.select_for_update().get(pk=round_.pk)
    seq = Complaint.objects.filter(round=round_).count() + 1
    c = Complaint.objects.create(
        round=round_,
        sitting=sitting,
        registration=sitting.assignment.registration,
        number=f"P-{round_.year}-{round_.pk}-{seq:05d}",
        token=secrets.token_urlsafe(18),
        ground=ground,
        statement=statement.strip(),
        others=others.strip(),
        id_shown=True,
        invitation_shown=True,
        filed_at=now,
        filed_by=actor,
    )
    for name, data, kind in attached:
        a = Attachment(complaint=c, name=name, size=len(data), content_type=kind)
        a.file.save(
            f"{c.number}-{secrets.token_hex(4)}{rules.ATTACHMENT_TYPES[kind]}",
            ContentFile(data),
            save=False,
        )
        a.save()
    record(
        actor,
        "appeals.file",
        c,
        after={
            "ground": ground,
            "session": str(sitting.session),
            "sitting_status": sitting.status,
            "attachments": len(attached),
            "others_named": bool(c.others),
        },
        reason="A25.1",
    )
    _tell(sitting.assignment.registration.applicant, FILED_NOTICE, number=c.number, url=_cabinet())
    return c


@transaction.atomic
def receive(actor, complaint: Complaint, *, now=None) -> Complaint:
    """A25.1: the complaint reaches the commission; after 24 hours the receipt is stamped late.
    The 5 days of A24.3 count from this receipt."""
    commission = _commission(complaint.round)
    authorize(actor, "appeals.sit", commission.organisation)
    _member_of(actor, commission)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != ComplaintStatus.FILED:
        raise RuleError(_("The commission already has this complaint."))
    now = now or timezone.now()
    complaint.status = ComplaintStatus.RECEIVED
    complaint.received_at, complaint.received_by = now, actor
    complaint.received_late = now > complaint.handover_due
    complaint.save(update_fields=["status", "received_at", "received_by", "received_late"])
    record(
        actor,
        "appeals.receive",
        complaint,
        after={
            "late": complaint.received_late,
            "handover_due": complaint.handover_due,
            "decision_due": complaint.decision_due,
        },
        reason="A25.1",
    )
    return complaint


def _commission(round_) -> Commission:
    c = Commission.objects.filter(round=round_).select_related("organisation").first()
    if c is None:
        raise RuleError(_("NAEC has not created the appeals commission yet."), citation="A23.1")
    return c


# ------------------------------------------------------------------ sessions (A24)


@transaction.atomic
def convene(actor, commission: Commission, *, at: dt.datetime) -> Meeting:
    """A24.1-A24.2: the chair convenes and runs the session; the deputy when the chair cannot."""
    authorize(actor, "appeals.sit", commission.organisation)
    m = _member_of(actor, commission)
    if m.position not in (Position.CHAIR, Position.DEPUTY):
        raise RuleError(
            _("The chair convenes the session; the deputy when the chair cannot act."),
            citation="A24.1",
        )
    Commission.objects.select_for_update().get(pk=commission.pk)
    number = (commission.meetings.aggregate(n=Max("number"))["n"] or 0) + 1
    meeting = Meeting.objects.create(
        commission=commission, number=number, at=at, convened_by=actor, presiding=m
    )
    record(
        actor,
        "appeals.convene",
        meeting,
        after={"number": number, "at": at, "presiding": m.name, "position": m.position},
        reason="A24.2" if m.position == Position.DEPUTY else "A24.1",
    )
    return meeting


def _presiding(actor, meeting: Meeting) -> Membership:
    authorize(actor, "appeals.sit", meeting.organisation)
    m = _member_of(actor, meeting.commission)
    if m.pk not in {meeting.presiding_id, meeting.secretary_id}:
        raise RuleError(
            _("Only the member presiding over the session or its secretary records this."),
            citation="A24.2",
        )
    return m


@transaction.atomic
def take_attendance(actor, meeting: Meeting, *, present, stand_in=None) -> Meeting:
    """Who is present. When the secretary is absent, a present member stands in on the chair's
    instruction (A24.6). Quorum is counted against the full membership (A24.4)."""
    authorize(actor, "appeals.sit", meeting.organisation)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if _member_of(actor, meeting.commission).pk != meeting.presiding_id:
        raise RuleError(
            _("The member presiding over the session takes the attendance."), citation="A24.2"
        )
    members = list(meeting.commission.active_members())
    ids = {m.pk for m in members}
    present_ids = {m.pk for m in present}
    if not present_ids <= ids:
        raise field_error("present", _("Only members of the commission attend."))
    if meeting.presiding_id not in present_ids:
        raise field_error("present", _("The member presiding over the session is present."))
    secretary = next((m for m in members if m.position == Position.SECRETARY), None)
    stands_in = False
    if secretary is not None and secretary.pk in present_ids:
        chosen = secretary
    else:
        if stand_in is None:
            raise field_error(
                "stand_in",
                _("The secretary is not present: name the member who stands in (A24.6)."),
                "A24.6",
            )
        if stand_in.pk not in present_ids or stand_in.pk == meeting.presiding_id:
            raise field_error(
                "stand_in",
                _("The stand-in is a present member other than the one presiding (A24.6)."),
                "A24.6",
            )
        chosen, stands_in = stand_in, True
    meeting.attendance.all().delete()
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, membership=m, present=m.pk in present_ids) for m in members]
    )
    meeting.secretary, meeting.secretary_stands_in = chosen, stands_in
    meeting.attendance_taken, meeting.full_membership = True, len(members)
    meeting.save(
        update_fields=["secretary", "secretary_stands_in", "attendance_taken", "full_membership"]
    )
    record(
        actor,
        "appeals.attendance",
        meeting,
        after={
            "present": sorted(m.name for m in members if m.pk in present_ids),
            "full_membership": len(members),
            "quorum": rules.has_quorum(len(members), len(present_ids)),
            "secretary": chosen.name,
            "stands_in": stands_in,
        },
        reason="A24.6" if stands_in else "A24.4",
    )
    return meeting


@transaction.atomic
def declare_conflict(actor, complaint: Complaint, membership: Membership, *, note: str = ""):
    """A member with a conflict of interest withdraws from this complaint: neither present nor
    voting on it, while the quorum stays a majority of the full membership."""
    commission = _commission(complaint.round)
    authorize(actor, "appeals.sit", commission.organisation)
    _member_of(actor, commission)
    if membership.commission_id != commission.pk or not membership.active:
        raise field_error("membership", _("Only members of the commission attend."))
    # Locked as the vote locks it: a withdrawal comes before the vote or not at all.
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status == ComplaintStatus.DECIDED:
        raise RuleError(_("The commission has decided this complaint: nobody withdraws now."))
    conflict, created = Conflict.objects.get_or_create(
        complaint=complaint,
        membership=membership,
        defaults={"note": note.strip()[:300], "declared_at": timezone.now()},
    )
    if created:
        record(actor, "appeals.conflict", complaint, after={"member": membership.name})
    return conflict


def tally(meeting: Meeting, complaint: Complaint) -> dict:
    """Who may vote on ``complaint`` in ``meeting``: the present members less the withdrawn."""
    withdrawn = set(complaint.conflicts.values_list("membership_id", flat=True))
    present = [m for m in meeting.present() if m.pk not in withdrawn]
    return {
        "present": present,
        "withdrawn": [m for m in meeting.present() if m.pk in withdrawn],
        "full": meeting.full_membership,
        "quorum": rules.has_quorum(meeting.full_membership, len(present)),
    }


def _check_motion(complaint: Complaint, outcome: str, zero, remark: bool) -> dict:
    errors: dict[str, list] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [_("Choose the proposed decision.")]
    elif complaint.ground == Ground.OTHER and outcome != Outcome.DECLINED:
        errors["outcome"] = [
            _(
                "The commission reviews only complaints about procedural violations: this one "
                "is declined (A23.2)."
            )
        ]
    elif complaint.ground != Ground.OTHER and outcome == Outcome.DECLINED:
        errors["outcome"] = [
            _("This complaint is about the test procedure (A25.3): uphold or reject it.")
        ]
    elif outcome == Outcome.UPHELD and not zero and not remark:
        errors["outcome"] = [
            _(
                "An upheld complaint scores a violator's work zero, re-marks the complainant's "
                "work, or both (A25.4)."
            )
        ]
    if outcome != Outcome.UPHELD and (zero or remark):
        errors.setdefault("outcome", []).append(
            _("Only an upheld complaint changes results (A25.4).")
        )
    if remark and complaint.ground != Ground.RIGHTS:
        errors["remark"] = [
            _(
                "A re-mark follows a confirmed violation of the complainant's rights "
                "(A25.3(a), A25.4(b))."
            )
        ]
    s = complaint.sitting
    for reg in zero:
        if reg.pk == complaint.registration_id:
            errors["zero"] = [_("The complainant is not the violator.")]
        elif not Sitting.objects.filter(
            session=s.session, assignment__centre=s.assignment.centre, assignment__registration=reg
        ).exists():
            errors["zero"] = [
                _("The violator sat the same session at the same exam centre (A25.4(a)).")
            ]
    return errors


@transaction.atomic
def put_to_vote(
    actor,
    meeting: Meeting,
    complaint: Complaint,
    *,
    outcome: str,
    reasons: str,
    votes: dict,
    zero=(),
    remark: bool = False,
    now=None,
) -> Motion:
    """A24.4: a proposed decision on ``complaint`` is voted on by the members present (``votes``:
    membership pk -> in favour). Without quorum nothing is decided; with a majority of those
    present in favour the proposal is the commission's decision, signed by the member presiding
    (A24.5), with its effects on the results (A25.4) and the notices (A25.5)."""
    # Locks, always in this order: the session (its attendance cannot change under the vote,
    # and its votes are put one at a time), the complaint, then the commission (_decide).
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("commission__organisation")
        .get(pk=meeting.pk)
    )
    _presiding(actor, meeting)
    now = now or timezone.now()
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related(
            "sitting__session__subject", "sitting__assignment__centre", "registration__applicant"
        )
        .get(pk=complaint.pk)
    )
    if complaint.status != ComplaintStatus.RECEIVED:
        raise RuleError(
            _("Only a complaint the commission has received and not yet decided is voted on.")
        )
    if not meeting.attendance_taken:
        raise RuleError(_("Take the attendance first."), citation="A24.4")
    zero = list(zero)
    errors = _check_motion(complaint, outcome, zero, remark)
    if not reasons.strip():
        errors["reasons"] = [_("Give the reasons.")]
    if errors:
        raise ValidationError(errors)
    t = tally(meeting, complaint)
    if not t["quorum"]:
        raise RuleError(
            _(
                "No quorum: %(present)s of %(full)s members are present and free to vote; a "
                "majority of the full membership is needed."
            )
            % {"present": len(t["present"]), "full": t["full"]},
            citation="A24.4",
        )
    voters = {m.pk: m for m in t["present"]}
    withdrawn = {m.pk: m for m in t["withdrawn"]}
    votes = {int(k): bool(v) for k, v in votes.items()}
    for pk in votes:
        if pk in withdrawn:
            raise field_error(
                "votes",
                _("%(name)s declared a conflict of interest and withdrew: the vote is refused.")
                % {"name": withdrawn[pk].name},
            )
        if pk not in voters:
            raise field_error("votes", _("Only members present at the session vote."), "A24.4")
    missing = [m.name for pk, m in voters.items() if pk not in votes]
    if missing:
        raise field_error(
            "votes", _("Every member present votes: %(names)s.") % {"names": ", ".join(missing)}
        )
    in_favour = sum(votes.values())
    motion = Motion.objects.create(
        meeting=meeting,
        complaint=complaint,
        outcome=outcome,
        remark=remark,
        reasons=reasons.strip(),
        at=now,
        present=len(voters),
        in_favour=in_favour,
        against=len(voters) - in_favour,
        passed=rules.passes(in_favour, len(voters)),
    )
    motion.zero.set(zero)
    Vote.objects.bulk_create(
        [Vote(motion=motion, membership_id=pk, in_favour=v) for pk, v in votes.items()]
    )
    record(
        actor,
        "appeals.vote",
        complaint,
        after={
            "meeting": meeting.number,
            "proposal": outcome,
            "present": len(voters),
            "in_favour": in_favour,
            "withdrawn": len(withdrawn),
            "passed": motion.passed,
        },
        reason="A24.4",
    )
    if motion.passed:
        _decide(actor, meeting, complaint, motion, now)
    return motion


def _decide(actor, meeting: Meeting, complaint: Complaint, motion: Motion, now) -> Decision:
    round_ = complaint.round
    # The round's decisions are numbered in sequence: two sessions deciding at once must not
    # both take the same number, so the commission is locked before counting.
    Commission.objects.select_for_update().get(pk=meeting.commission_id)
    seq = Decision.objects.filter(complaint__round=round_).count() + 1
    d = Decision.objects.create(
        complaint=complaint,
        motion=motion,
        number=f"D-{round_.year}-{round_.pk}-{seq:04d}",
        token=secrets.token_urlsafe(18),
        outcome=motion.outcome,
        decided_at=now,
        signed_by=meeting.presiding,
        notified_at=now,  # the notices below leave when this transaction commits (A25.5)
    )
    item, label = _item(complaint.sitting)
    for reg in motion.zero.select_related("applicant"):
        ResultOverride.objects.create(
            decision=d,
            round=round_,
            registration=reg,
            kind=OverrideKind.ZERO,
            item=item,
            item_label=label,
            score=Decimal(0),
            entered_at=now,
            entered_by=actor,
        )
        _tell(reg.applicant, ZERO_NOTICE, number=d.number, item=label, url=_cabinet())
    if motion.remark:
        ResultOverride.objects.create(
            decision=d,
            round=round_,
            registration=complaint.registration,
            kind=OverrideKind.REMARK,
            item=item,
            item_label=label,
        )
    complaint.status = ComplaintStatus.DECIDED
    complaint.save(update_fields=["status"])
    # A24.5: signed (PAdES) with the document key of the body the commission belongs to, NAEC
    # (A23.1: the director's act creates it); the PDF names the member who signed as chair.
    signed = sign_document(
        meeting.commission.organisation,
        documents.decision_pdf(d),
        reason=f"A24.5 {d.number}: {meeting.presiding.name}",
    )
    d.pdf.save(f"{d.number}.pdf", ContentFile(signed), save=True)
    record(
        actor,
        "appeals.decide",
        d,
        after={
            "complaint": complaint.number,
            "outcome": d.outcome,
            "zero": motion.zero.count(),
            "remark": motion.remark,
            "decision_due": complaint.decision_due,
            "on_time": timezone.localdate(now) <= complaint.decision_due,
            "notice_due": d.notice_due,
        },
        reason="A24.5",
    )
    _tell(
        complaint.registration.applicant,
        DECISION_NOTICE,
        number=complaint.number,
        outcome=str(Outcome(d.outcome).label),
        url=_cabinet(),
    )
    return d


# ------------------------------------------------------------------ effects (A25.4)


@transaction.atomic
def enter_remark(actor, override: ResultOverride, *, score, now=None) -> ResultOverride:
    """A25.4(b): NAEC enters the score of the re-marked work; the applicant is told."""
    override = (
        ResultOverride.objects.select_for_update(of=("self",))
        .select_related("decision__complaint", "registration__applicant")
        .get(pk=override.pk)
    )
    authorize(actor, "appeals.remark", override.organisation)
    if override.kind != OverrideKind.REMARK:
        raise RuleError(_("Only a re-mark takes a new score."))
    try:
        value = Decimal(str(score).replace(",", "."))
    except InvalidOperation:
        value = None
    if value is None or not Decimal(0) <= value <= MAX_SCORE:
        raise field_error("score", _("A score is between 0 and %(max)s.") % {"max": MAX_SCORE})
    before = {"score": override.score}
    override.score = value
    override.entered_at, override.entered_by = now or timezone.now(), actor
    override.save(update_fields=["score", "entered_at", "entered_by"])
    record(
        actor,
        "appeals.remark",
        override,
        before=before,
        after={"score": value, "item": override.item, "decision": override.decision.number},
        reason="A25.4(b)",
    )
    _tell(
        override.registration.applicant,
        REMARK_NOTICE,
        number=override.decision.number,
        item=override.item_label,
        score=f"{value:g}",
        url=_cabinet(),
    )
    return override
