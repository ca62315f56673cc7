"""A21: the protocol of an applicant's removal from the test, on NAEC's form.

Bilingual, Georgian first, so its labels are fixed strings; the caller gives a
:class:`~kari.documents.inputs.RemovalProtocol`.
"""

import datetime as dt

from fpdf.enums import XPos, YPos

from . import pdf as kpdf
from .inputs import RemovalProtocol

TITLE = "ტესტიდან მოხსნის ოქმი / Protocol of removal from the test"
FIELDS = [
    ("number", "ოქმის ნომერი / Protocol number"),
    ("applicant", "აპლიკანტი / Applicant"),
    ("personal_number", "პირადი ნომერი / Personal number"),
    ("registration", "რეგისტრაცია / Registration"),
    ("centre", "საგამოცდო ცენტრი / Exam centre"),
    ("session", "სესია / Session"),
]
INCIDENTS = "დარღვევები (მუხ. 20.6, 21) / Breaches (A20.6, A21)"
HEADINGS = ["დრო / Time", "ზომა / Measure", "დარღვევა / Breach", "აღწერა / Note", "ვინ / By"]
WIDTHS = [24, 26, 44, 50, 30]
BASIS = (
    "აპლიკანტი მოხსნილია ტესტიდან განმეორებითი დარღვევის გამო (მუხ. 21). / The applicant is "
    "removed from the test for a repeated breach (A21)."
)
SIGNATURES = [
    "ზედამხედველის ხელმოწერა / Proctor's signature",
    "აპლიკანტის ხელმოწერა / Applicant's signature",
]


def render_protocol(p: RemovalProtocol) -> bytes:
    """The A21 removal protocol as PDF bytes."""
    pdf = kpdf.new_document(f"{TITLE} {p.number}", footer=f"კარი / Kari · {p.number}")
    kpdf.heading(pdf, TITLE)
    kpdf.field_table(pdf, [(label, str(getattr(p, key))) for key, label in FIELDS])
    pdf.ln(4)
    kpdf.heading(pdf, INCIDENTS, size=11)
    rows = [
        [
            i.at.strftime("%d.%m.%Y %H:%M") if isinstance(i.at, dt.datetime) else str(i.at),
            i.measure,
            i.breach,
            i.note or "—",
            i.by,
        ]
        for i in p.incidents
    ]
    kpdf.grid_table(pdf, HEADINGS, rows, WIDTHS)
    pdf.ln(4)
    pdf.multi_cell(0, 5, BASIS, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(16)
    kpdf.signature_lines(pdf, SIGNATURES, line_w=0.2)
    return bytes(pdf.output())
