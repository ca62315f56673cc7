"""The appeals documents built from the database: the complaint receipt (A25.1) and the
commission's decision (A24.5), rendered by ``kari.documents.appeal``."""

from django.urls import reverse
from django.utils import timezone, translation

from kari.documents.appeal import (
    ComplaintReceipt,
    DecisionDocument,
    DecisionVote,
    render_decision,
    render_receipt,
)
from kari.exams.cards import site_url

from .models import Complaint, Decision, Ground, Outcome, OverrideKind, Position


def verify_url(token: str) -> str:
    return site_url(reverse("appeals:verify", args=[token]))


def _both(label) -> str:
    """A choice label as "ქართული / English" for the bilingual documents."""
    texts = []
    for lang in ("ka", "en"):
        with translation.override(lang):
            texts.append(str(label))
    return texts[0] if texts[0] == texts[1] else " / ".join(texts)


def _when(value) -> str:
    return f"{timezone.localtime(value):%d.%m.%Y %H:%M}"


def receipt_pdf(c: Complaint) -> bytes:
    s = c.sitting
    person = c.registration.applicant
    r = c.round
    return render_receipt(
        ComplaintReceipt(
            number=c.number,
            round_label=_both(r),
            applicant=person.full_name,
            personal_number=person.personal_number,
            centre=f"{s.assignment.centre.name_ka}, {s.assignment.centre.address}",
            session=str(s.session),
            ground=_both(Ground(c.ground).label),
            statement=c.statement,
            others=c.others,
            attachments=str(c.attachments.count()),
            filed_at=_when(c.filed_at),
            filed_by=c.filed_by.display_name,
            handover_due=_when(c.handover_due),
            verify_url=verify_url(c.token),
        )
    )


VOTE_WORDS = {True: "მომხრე / In favour", False: "წინააღმდეგი / Against"}


def decision_pdf(d: Decision) -> bytes:
    c, m = d.complaint, d.motion
    meeting = m.meeting
    commission = meeting.commission
    effects = [
        f"{_both(OverrideKind(o.kind).label)}: {o.registration.applicant.full_name} "
        f"({o.registration.number}), {o.item_label}"
        for o in d.overrides.select_related("registration__applicant")
    ]
    votes = [
        DecisionVote(
            member=v.membership.name,
            position=_both(Position(v.membership.position).label),
            vote=VOTE_WORDS[v.in_favour],
        )
        for v in m.votes.select_related("membership__user")
    ]
    withdrawn = [x.membership.name for x in c.conflicts.select_related("membership__user")]
    position = _both(Position(meeting.presiding.position).label)
    secretary = meeting.secretary.name if meeting.secretary else "—"
    if meeting.secretary_stands_in:
        secretary += " (მდივნის მოვალეობის შემსრულებელი / standing in, A24.6)"
    return render_decision(
        DecisionDocument(
            number=d.number,
            complaint_number=c.number,
            round_label=_both(c.round),
            commission_act=f"№ {commission.act_number}, {commission.act_date:%d.%m.%Y}",
            meeting=f"№ {meeting.number}, {_when(meeting.at)}",
            presiding=f"{meeting.presiding.name} ({position})",
            secretary=secretary,
            applicant=f"{c.registration.applicant.full_name} ({c.registration.number})",
            ground=_both(Ground(c.ground).label),
            outcome=_both(Outcome(d.outcome).label),
            effects=effects,
            reasons=m.reasons,
            votes=votes,
            withdrawn=withdrawn,
            tally=(
                f"დამსწრე / Present: {m.present} · მომხრე / In favour: {m.in_favour} · "
                f"წინააღმდეგი / Against: {m.against} · "
                f"სრული შემადგენლობა / Full membership: {meeting.full_membership}"
            ),
            decided_at=_when(d.decided_at),
            notice_due=f"{d.notice_due:%d.%m.%Y}",
            verify_url=verify_url(d.token),
        )
    )
