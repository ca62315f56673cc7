"""A21: the protocol of an applicant's removal from the test, on NAEC's form.

Bilingual, Georgian first, so its labels are fixed strings, not gettext.
"""

import datetime as dt
from dataclasses import dataclass, field

from . import pdf as kpdf

TITLE = "ტესტიდან მოხსნის ოქმი / Protocol of removal from the test"
FIELDS = [
    ("number", "ოქმის ნომერი / Protocol number"),
    ("applicant", "აპლიკანტი / Applicant"),
    ("personal_number", "პირადი ნომერი / Personal number"),
    ("registration", "რეგისტრაცია / Registration"),
    ("centre", "საგამოცდო ცენტრი / Exam centre"),
    ("session", "სესია / Session"),
]
INCIDENTS = "დარღვევები (მუხლი 20.6, 21) / Breaches (A20.6, A21)"
HEADINGS = ["დრო / Time", "ზომა / Measure", "დარღვევა / Breach", "აღწერა / Note", "ვინ / By"]
WIDTHS = [24, 26, 44, 50, 30]
BASIS = (
    "აპლიკანტი მოხსნილია ტესტიდან განმეორებითი დარღვევის გამო (მუხლი 21). / The applicant is "
    "removed from the test for a repeated breach (A21)."
)
SIGNATURES = [
    "გამომცდელის ხელმოწერა / Proctor's signature",
    "აპლიკანტის ხელმოწერა / Applicant's signature",
]


@dataclass(frozen=True)
class RemovalProtocol:
    number: str
    applicant: str
    personal_number: str
    registration: str
    centre: str
    session: str
    incidents: list = field(default_factory=list)  # (datetime, measure, breach, note, by)


def render_protocol(p: RemovalProtocol) -> bytes:
    pdf = kpdf.new_document(f"{TITLE} {p.number}")
    kpdf.footer_text(pdf, f"კარი / Kari · {p.number}")
    kpdf.heading(pdf, TITLE)
    kpdf.field_table(pdf, [(label, str(getattr(p, key))) for key, label in FIELDS])
    pdf.ln(4)
    kpdf.heading(pdf, INCIDENTS, size=11)
    rows = [
        [
            at.strftime("%d.%m.%Y %H:%M") if isinstance(at, dt.datetime) else str(at),
            measure,
            breach,
            note or "—",
            by,
        ]
        for at, measure, breach, note, by in p.incidents
    ]
    kpdf.grid_table(pdf, HEADINGS, rows, WIDTHS)
    pdf.ln(4)
    pdf.multi_cell(0, 5, BASIS, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(16)
    gap = 14
    line_w = (pdf.epw - gap) / 2
    y = pdf.get_y()
    pdf.set_draw_color(kpdf.INK)
    for i, label in enumerate(SIGNATURES):
        x = pdf.l_margin + i * (line_w + gap)
        pdf.line(x, y, x + line_w, y)
        pdf.set_xy(x, y + 1.2)
        pdf.set_font(kpdf.FONT_FAMILY, "", kpdf.SMALL_SIZE)
        pdf.cell(line_w, 4, label)
    return bytes(pdf.output())
