"""The appeals commission's documents: the complaint receipt (A25.1) and the decision (A24.5).

Bilingual, Georgian first, so the labels are fixed strings; the caller gives a
:class:`ComplaintReceipt` or a :class:`DecisionDocument` of display-ready values. The decision
is rendered unsigned here; the caller signs the bytes (PAdES) with the body's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf.enums import XPos, YPos

from . import pdf as kpdf
from .closing import verify_and_sign

__all__ = [
    "ComplaintReceipt",
    "DecisionDocument",
    "DecisionVote",
    "render_decision",
    "render_receipt",
]


@dataclass(frozen=True)
class ComplaintReceipt:
    """What the applicant takes home when the proctor records the complaint (A25.1-A25.3)."""

    number: str
    round_label: str
    applicant: str
    personal_number: str
    centre: str
    session: str
    ground: str  # bilingual, "ქართული / English"
    statement: str
    others: str
    attachments: int
    filed_at: str
    filed_by: str
    handover_due: str
    verify_url: str


@dataclass(frozen=True)
class DecisionVote:
    member: str
    position: str  # bilingual
    vote: str  # bilingual


@dataclass(frozen=True)
class DecisionDocument:
    """The commission's decision on one complaint, with the votes (A24.4, A24.5, A25.4)."""

    number: str
    complaint_number: str
    round_label: str
    commission_act: str
    meeting: str
    presiding: str
    secretary: str
    applicant: str
    ground: str  # bilingual
    outcome: str  # bilingual
    effects: Sequence[str]
    reasons: str
    votes: Sequence[DecisionVote]
    withdrawn: Sequence[str]
    tally: str
    decided_at: str
    notice_due: str
    verify_url: str


RECEIPT_TITLE = "პრეტენზიის მიღების ქვითარი / Receipt of a complaint"
RECEIPT_FIELDS = [
    ("number", "პრეტენზიის ნომერი / Complaint number"),
    ("round_label", "ტური / Round"),
    ("applicant", "აპლიკანტი / Applicant"),
    ("personal_number", "პირადი ნომერი / Personal number"),
    ("centre", "საგამოცდო ცენტრი / Exam centre"),
    ("session", "სესია / Session"),
    ("ground", "საფუძველი (მუხ. 25.3) / Ground (A25.3)"),
    ("statement", "რა მოხდა / What happened"),
    ("others", "სხვა აპლიკანტები / Other applicants concerned"),
    ("attachments", "თანდართული ფაილები / Files attached"),
    ("filed_at", "წარდგენის დრო / Filed at"),
    ("filed_by", "მიიღო ზედამხედველმა / Received by the proctor"),
    ("handover_due", "საპრეტენზიო კომისიას გადაეცემა არაუგვიანეს / Reaches the commission by"),
]
RECEIPT_NOTE = (
    "პრეტენზია 24 საათში გადაეცემა საპრეტენზიო კომისიას (მუხ. 25.1); კომისია გადაწყვეტილებას "
    "იღებს 5 დღის ვადაში (მუხ. 24.3), ცენტრი მას 2 დღის ვადაში გაცნობებთ (მუხ. 25.5). / The "
    "complaint reaches the appeals commission within 24 hours (A25.1); the commission decides "
    "within 5 days (A24.3) and NAEC tells you the decision within 2 days (A25.5)."
)
SIGNATURES = [
    "ზედამხედველის ხელმოწერა / Proctor's signature",
    "აპლიკანტის ხელმოწერა / Applicant's signature",
]

DECISION_TITLE = "საპრეტენზიო კომისიის გადაწყვეტილება / Decision of the appeals commission"
DECISION_FIELDS = [
    ("number", "გადაწყვეტილების ნომერი / Decision number"),
    ("complaint_number", "პრეტენზიის ნომერი / Complaint number"),
    ("round_label", "ტური / Round"),
    ("commission_act", "კომისია შექმნილია აქტით / Commission created by act"),
    ("meeting", "სხდომა / Session"),
    ("presiding", "სხდომას უძღვებოდა / Presiding"),
    ("secretary", "მდივანი / Secretary"),
    ("applicant", "აპლიკანტი / Applicant"),
    ("ground", "საფუძველი / Ground"),
    ("outcome", "გადაწყვეტილება / Decision"),
    ("reasons", "დასაბუთება / Reasons"),
    ("decided_at", "მიღების დრო / Decided at"),
    ("notice_due", "აპლიკანტს ეცნობება არაუგვიანეს (მუხ. 25.5) / Applicant told by (A25.5)"),
]
EFFECTS = "შედეგზე გავლენა (მუხ. 25.4) / Effects on the results (A25.4)"
NO_EFFECTS = "შედეგი არ იცვლება / The results do not change"
VOTES = "კენჭისყრა (მუხ. 24.4) / Votes (A24.4)"
VOTE_HEADINGS = ["წევრი / Member", "თანამდებობა / Position", "ხმა / Vote"]
VOTE_WIDTHS = [70, 52, 52]
WITHDRAWN = "ინტერესთა კონფლიქტის გამო არ მონაწილეობდა / Withdrew for a conflict of interest"
DECISION_SIGNATURE = ["თავმჯდომარის ხელმოწერა (მუხ. 24.5) / Chair's signature (A24.5)"]


def render_receipt(r: ComplaintReceipt) -> bytes:
    """The A25.1 receipt of a complaint as PDF bytes, with its number and a QR code."""
    pdf = kpdf.new_document(f"{RECEIPT_TITLE} {r.number}", footer=f"კარი / Kari · {r.number}")
    kpdf.heading(pdf, RECEIPT_TITLE)
    kpdf.field_table(pdf, [(label, str(getattr(r, key))) for key, label in RECEIPT_FIELDS])
    pdf.ln(3)
    kpdf.style(pdf, kpdf.SMALL_SIZE)
    pdf.multi_cell(0, 4, RECEIPT_NOTE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    kpdf.style(pdf, kpdf.BODY_SIZE)
    verify_and_sign(pdf, r.verify_url, SIGNATURES, gap=12)
    return bytes(pdf.output())


def render_decision(d: DecisionDocument) -> bytes:
    """The A24.5 decision as PDF bytes (unsigned: the caller signs them)."""
    pdf = kpdf.new_document(f"{DECISION_TITLE} {d.number}", footer=f"კარი / Kari · {d.number}")
    kpdf.heading(pdf, DECISION_TITLE)
    kpdf.field_table(pdf, [(label, str(getattr(d, key))) for key, label in DECISION_FIELDS])
    pdf.ln(4)
    kpdf.heading(pdf, EFFECTS, size=11)
    for line in d.effects or [NO_EFFECTS]:
        pdf.multi_cell(0, 5, f"• {line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    kpdf.heading(pdf, VOTES, size=11)
    rows = [[v.member, v.position, v.vote] for v in d.votes]
    kpdf.grid_table(pdf, VOTE_HEADINGS, rows, VOTE_WIDTHS)
    pdf.ln(2)
    pdf.multi_cell(0, 5, d.tally, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if d.withdrawn:
        pdf.multi_cell(
            0, 5, f"{WITHDRAWN}: {', '.join(d.withdrawn)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    verify_and_sign(pdf, d.verify_url, DECISION_SIGNATURE, gap=12)
    return bytes(pdf.output())
