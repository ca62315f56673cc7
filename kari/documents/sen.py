"""The SEN track's documents: the registration printout (A37.6, A38.6) listing the documents
to bring (A37.10, A38.9), and the minister's act placing SEN applicants (A40.9, A40.10).

Bilingual, Georgian first; the caller gives display-ready values. The act is rendered unsigned
here; the caller signs the bytes (PAdES) with the ministry's key. The act carries the least
personal data it needs: names, a masked personal number, the programme; no diagnosis, no
document.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf.enums import XPos, YPos

from . import pdf as kpdf
from .closing import verify_and_sign

__all__ = ["SenAct", "SenPlacement", "SenPrintout", "render_act", "render_printout"]


@dataclass(frozen=True)
class SenPrintout:
    number: str
    round_label: str
    stage: str  # bilingual
    applicant: str
    personal_number: str
    phone: str
    email: str  # A38.4(b): a phone or an email address
    registered_at: str  # to the second (A40.6)
    version: int
    clerk: str
    centre: str
    documents_due: str
    programmes: Sequence[tuple[str, str, str]]  # code, name, institution
    documents: Sequence[str]  # bilingual, A37.10 (a)-(e) / A38.9, with A38.10's condition
    verify_url: str


@dataclass(frozen=True)
class SenPlacement:
    applicant: str
    personal_number: str  # masked
    programme: str
    institution: str


@dataclass(frozen=True)
class SenAct:
    number: str
    round_label: str
    stage: str  # bilingual
    issued_on: str
    distributed_on: str
    placements: Sequence[SenPlacement]
    verify_url: str


PRINTOUT_TITLE = (
    "სპეციალური საგანმანათლებლო საჭიროების მქონე აპლიკანტის რეგისტრაციის ამონაბეჭდი / "
    "SEN registration printout"
)
PRINTOUT_FIELDS = [
    ("number", "რეგისტრაციის ნომერი / Registration number"),
    ("round_label", "ტური / Round"),
    ("stage", "საფეხური / Stage"),
    ("applicant", "აპლიკანტი / Applicant"),
    ("personal_number", "პირადი ნომერი / Personal number"),
    ("phone", "ტელეფონი / Phone"),
    ("email", "ელექტრონული ფოსტა / Email"),
    ("registered_at", "რეგისტრაციის დრო (თვე, რიცხვი, საათი, წუთი, წამი) / Registered at"),
    ("version", "ვერსია / Version"),
    ("clerk", "რეგისტრაცია განახორციელა / Registered by"),
    ("centre", "სარეგისტრაციო ცენტრი / Registration centre"),
    ("documents_due", "დოკუმენტების წარდგენის ვადა / Documents due by"),
]
PROGRAMMES = "არჩეული პროგრამები (არაუმეტეს სამისა) / Programmes chosen (at most three)"
PROGRAMME_HEADINGS = ["კოდი / Code", "პროგრამა / Programme", "დაწესებულება / Institution"]
PROGRAMME_WIDTHS = [28, 80, 66]
DOCUMENTS = (
    "4 სამუშაო დღის ვადაში დაწესებულებაში წარსადგენი დოკუმენტები / "
    "Documents to bring to the institution within 4 working days"
)
PRINTOUT_SIGNATURES = [
    "აპლიკანტის ხელმოწერა / Applicant's signature",
    "თანამშრომლის ხელმოწერა / Staff member's signature",
]

ACT_TITLE = (
    "მინისტრის ინდივიდუალური ადმინისტრაციულ-სამართლებრივი აქტი სპეციალური საგანმანათლებლო "
    "საჭიროების მქონე აპლიკანტთა გადანაწილების შესახებ / The minister's act on the placement "
    "of applicants with special educational needs"
)
ACT_FIELDS = [
    ("number", "აქტის ნომერი / Act number"),
    ("round_label", "ტური / Round"),
    ("stage", "საფეხური / Stage"),
    ("distributed_on", "კომისიის გადაწყვეტილება / The commission's decision"),
    ("issued_on", "გამოცემის თარიღი / Issued on"),
]
ACT_BASIS = (
    "საფუძველი: დებულების მე-40 მუხლის მე-8 და მე-9 პუნქტები; გადანაწილება ხდება მე-13 მუხლის "
    "მე-2 პუნქტით დაჯავშნილი ადგილების ფარგლებში. / Basis: A40.8 and A40.9; placements within "
    "the places reserved under A13.2."
)
ACT_HEADINGS = [
    "აპლიკანტი / Applicant",
    "პირადი ნომერი / Personal no.",
    "პროგრამა / Programme",
    "დაწესებულება / Institution",
]
ACT_WIDTHS = [48, 30, 50, 46]
NOBODY = "არავინ / Nobody"
ACT_SIGNATURE = ["მინისტრი / The minister"]


def render_printout(p: SenPrintout) -> bytes:
    """A37.6, A38.6: the printout handed to the applicant, naming the staff member and listing
    the documents of A37.10 / A38.9."""
    pdf = kpdf.new_document(f"{PRINTOUT_TITLE} {p.number}", footer=f"კარი / Kari · {p.number}")
    kpdf.heading(pdf, PRINTOUT_TITLE, size=13)
    kpdf.field_table(pdf, [(label, str(getattr(p, key)) or "—") for key, label in PRINTOUT_FIELDS])
    pdf.ln(3)
    kpdf.heading(pdf, PROGRAMMES, size=11)
    kpdf.grid_table(pdf, PROGRAMME_HEADINGS, [list(row) for row in p.programmes], PROGRAMME_WIDTHS)
    pdf.ln(3)
    kpdf.heading(pdf, DOCUMENTS, size=11)
    for line in p.documents:
        pdf.multi_cell(0, 5, f"• {line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    verify_and_sign(pdf, p.verify_url, PRINTOUT_SIGNATURES, gap=10)
    return bytes(pdf.output())


def render_act(a: SenAct) -> bytes:
    """A40.9: the minister's act (unsigned: the caller signs it with the ministry's key)."""
    pdf = kpdf.new_document(f"SEN act {a.number}", footer=f"კარი / Kari · {a.number}")
    kpdf.heading(pdf, ACT_TITLE, size=12)
    kpdf.field_table(pdf, [(label, str(getattr(a, key))) for key, label in ACT_FIELDS])
    pdf.ln(2)
    kpdf.style(pdf, kpdf.SMALL_SIZE)
    pdf.multi_cell(0, 4, ACT_BASIS, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    kpdf.style(pdf, kpdf.BODY_SIZE)
    pdf.ln(3)
    rows = [[x.applicant, x.personal_number, x.programme, x.institution] for x in a.placements]
    if rows:
        kpdf.grid_table(pdf, ACT_HEADINGS, rows, ACT_WIDTHS)
    else:
        pdf.multi_cell(0, 5, NOBODY, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    verify_and_sign(pdf, a.verify_url, ACT_SIGNATURE, gap=10)
    return bytes(pdf.output())
