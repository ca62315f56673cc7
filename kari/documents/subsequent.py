"""The subsequent-stage ranking document of an institution (A27.7, A27.8): one programme's
part, approved by the institution head's act with the management system's consent.

Georgian first with English under it, as the other documents; the caller gives display-ready
values (:class:`SubsequentSheet`). The head's signature (PAdES, the institution's key) is added
by the caller after rendering; the document prints the head's name, the act, the QR code of its
check page and the lines of the seal and the signature (A27.8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf.enums import XPos, YPos

from . import pdf as kpdf
from .closing import verify_and_sign
from .ranking import ADMITTED, HEADINGS, NOBODY, TIE, WIDTHS, RankedApplicant

__all__ = ["RankedApplicant", "SubsequentSheet", "render_subsequent"]

TITLE = (
    "რანჟირების დოკუმენტი: პროფესიული საგანმანათლებლო პროგრამის შემდგომი საფეხური / "
    "Ranking document: subsequent stage"
)
BASIS = (
    "საფუძველი: დებულების 27-ე მუხლის მე-7 და მე-8 პუნქტები; თანაბარქულიანობისას - მე-9 "
    "პუნქტი. / Basis: A27.7 and A27.8; ties: A27.9."
)
SIGNED_BY = "ხელმოწერილია ელექტრონულად / Signed electronically:"
SIGNATURES = [
    "დაწესებულების ხელმძღვანელის ხელმოწერა / The institution head's signature",
    "ბეჭედი / Seal",
]


@dataclass(frozen=True)
class SubsequentSheet:
    """One programme's part of an institution's subsequent-stage ranking document."""

    round_label: str
    institution: str
    head: str  # the institution head who approved it by act
    programme_code: str
    programme_name: str
    test_dates: str  # the stage's test, as the head's schedule set it (A18.3)
    places: int
    applicants: int
    cutoff: str  # "—" when nobody was placed
    extra_places: int
    agreed_on: dt.date  # the management system's consent (A27.7)
    act_number: str
    act_date: dt.date
    admitted: Sequence[RankedApplicant]
    verify_url: str


def render_subsequent(sheet: SubsequentSheet) -> bytes:
    """A27.7: one programme's subsequent-stage ranking list as PDF bytes (to be signed)."""
    pdf = kpdf.new_document(
        f"{TITLE} {sheet.programme_code}",
        footer=f"კარი / Kari · {sheet.programme_code} · {sheet.act_number}",
    )
    pdf.set_creation_date(dt.datetime.combine(sheet.act_date, dt.time(12), tzinfo=dt.UTC))
    kpdf.heading(pdf, TITLE, size=13)
    kpdf.field_table(
        pdf,
        [
            ("ტური / Round", sheet.round_label),
            ("დაწესებულება / Institution", sheet.institution),
            ("პროგრამა / Programme", f"{sheet.programme_name} ({sheet.programme_code})"),
            ("ტესტირება / Test", sheet.test_dates),
            ("ადგილები / Places", str(sheet.places)),
            ("აპლიკანტები / Applicants", str(sheet.applicants)),
            ("გამსვლელი ქულა / Cut-off", sheet.cutoff),
            ("დამატებითი ადგილები (მუხ. 27.9) / Extra places (A27.9)", str(sheet.extra_places)),
            (
                "მართვის სისტემის თანხმობა / The management system's consent",
                sheet.agreed_on.strftime("%d.%m.%Y"),
            ),
            (
                "ხელმძღვანელის ინდივიდუალური ადმინისტრაციულ-სამართლებრივი აქტი / "
                "The head's individual administrative act",
                f"№ {sheet.act_number}, {sheet.act_date:%d.%m.%Y}",
            ),
        ],
    )
    pdf.ln(2)
    kpdf.style(pdf, kpdf.SMALL_SIZE)
    pdf.multi_cell(0, 4, BASIS, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    kpdf.style(pdf, kpdf.BODY_SIZE)
    pdf.ln(3)
    kpdf.heading(pdf, ADMITTED, size=11)
    if sheet.admitted:
        rows = [
            [
                str(n),
                a.personal_number,
                a.name,
                a.score + (" *" if a.by_tie_rule else ""),
                str(a.choice),
            ]
            for n, a in enumerate(sheet.admitted, start=1)
        ]
        kpdf.grid_table(
            pdf, HEADINGS, rows, WIDTHS, align=["CENTER", "LEFT", "LEFT", "RIGHT", "CENTER"]
        )
        if any(a.by_tie_rule for a in sheet.admitted):
            pdf.ln(2)
            pdf.multi_cell(0, 4.5, TIE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.multi_cell(0, 5, NOBODY, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.multi_cell(
        0,
        5,
        f"{SIGNED_BY} {sheet.head}, {sheet.institution}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    verify_and_sign(pdf, sheet.verify_url, SIGNATURES, gap=12)
    return bytes(pdf.output())
