"""The ranking document (A27.5, A27.8): one programme's part, and the national summary.

Georgian first with English under it, as the other documents; the caller gives display-ready
values (:class:`RankingSheet`, :class:`RankingSummary`). NAEC's signature (PAdES) is added by
:mod:`.signing` after rendering; the document prints the signatory's name and the seal image.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf.enums import XPos, YPos

from . import pdf as kpdf

TITLE = "რანჟირების დოკუმენტი / Ranking document"
ADMITTED = "ადგილი მოიპოვეს / Placed applicants"
HEADINGS = [
    "№",
    "პირადი ნომერი / Personal number",
    "გვარი, სახელი / Name",
    "ქულა / Score",
    "არჩევანი / Choice",
]
WIDTHS = [10, 38, 76, 24, 26]
TIE = (
    "* თანაბარქულიანობის წესით დამატებული ადგილი (მუხ. 27.9) / "
    "* place added by the tie rule (A27.9)"
)
NOBODY = "ადგილი არავის მიეცა / Nobody was placed"
SIGNED_BY = "ხელმოწერილია ელექტრონულად / Signed electronically:"


@dataclass(frozen=True)
class RankedApplicant:
    personal_number: str
    name: str
    score: str
    choice: int
    by_tie_rule: bool


@dataclass(frozen=True)
class RankingSheet:
    """One programme's part of the ranking document."""

    round_label: str
    stage_label: str
    version: int
    approved_on: dt.date
    body: str  # the approving body, e.g. "შეფასებისა და გამოცდების ეროვნული ცენტრი"
    signatory: str  # the director's (or the institution head's) name
    institution: str
    programme_code: str
    programme_name: str
    places: int
    cutoff: str  # "—" when nobody was placed
    extra_places: int
    admitted: Sequence[RankedApplicant]
    reason: str = ""  # a correction's reason


@dataclass(frozen=True)
class SummaryLine:
    institution: str
    programme_code: str
    programme_name: str
    places: int
    admitted: int
    cutoff: str
    extra_places: int


@dataclass(frozen=True)
class RankingSummary:
    """The national ranking: one line per programme, and the SHA-256 of the national XLSX."""

    round_label: str
    version: int
    approved_on: dt.date
    body: str
    signatory: str
    lines: Sequence[SummaryLine]
    xlsx_sha256: str
    reason: str = ""


def _facts(
    sheet: RankingSheet | RankingSummary, extra: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    rows = [
        ("ტური / Round", sheet.round_label),
        ("ვერსია / Version", str(sheet.version)),
        ("დამტკიცდა / Approved", sheet.approved_on.strftime("%d.%m.%Y")),
        ("დამამტკიცებელი / Approved by", sheet.body),
        *extra,
    ]
    if sheet.reason:
        rows.append(("შესწორების მიზეზი / Reason for the correction", sheet.reason))
    return rows


def _signature(pdf: kpdf.KariPDF, sheet: RankingSheet | RankingSummary) -> None:
    pdf.ln(6)
    kpdf.ensure_space(pdf, 20)
    pdf.multi_cell(
        0,
        5,
        f"{SIGNED_BY} {sheet.signatory}, {sheet.body}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def ranking_sheet(sheet: RankingSheet) -> bytes:
    """A27.5: one programme's ranking list as PDF bytes (to be signed)."""
    return kpdf.render(
        f"{TITLE} {sheet.programme_code}",
        f"კარი / Kari · {sheet.programme_code} · v{sheet.version}",
        lambda pdf: _sheet(pdf, sheet),
    )


def _sheet(pdf: kpdf.KariPDF, sheet: RankingSheet) -> None:
    pdf.set_creation_date(dt.datetime.combine(sheet.approved_on, dt.time(12), tzinfo=dt.UTC))
    kpdf.heading(pdf, TITLE)
    kpdf.field_table(
        pdf,
        _facts(
            sheet,
            [
                ("საფეხური / Stage", sheet.stage_label),
                ("დაწესებულება / Institution", sheet.institution),
                ("პროგრამა / Programme", f"{sheet.programme_name} ({sheet.programme_code})"),
                ("ადგილები / Places", str(sheet.places)),
                ("გამსვლელი ქულა / Cut-off", sheet.cutoff),
                ("დამატებითი ადგილები (მუხ. 27.9) / Extra places (A27.9)", str(sheet.extra_places)),
            ],
        ),
    )
    pdf.ln(4)
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
    _signature(pdf, sheet)


SUMMARY_HEADINGS = [
    "დაწესებულება / Institution",
    "პროგრამა / Programme",
    "ადგილები / Places",
    "ადგილი მიეცა / Placed",
    "გამსვლელი / Cut-off",
    "დამატ. / Extra",
]
SUMMARY_WIDTHS = [46, 58, 18, 20, 20, 12]


def ranking_summary(summary: RankingSummary) -> bytes:
    """A27.5: the national ranking summary (the XLSX's checksum in it) as PDF bytes."""
    footer = f"კარი / Kari · v{summary.version}"
    return kpdf.render(TITLE, footer, lambda pdf: _summary(pdf, summary))


def _summary(pdf: kpdf.KariPDF, summary: RankingSummary) -> None:
    pdf.set_creation_date(dt.datetime.combine(summary.approved_on, dt.time(12), tzinfo=dt.UTC))
    kpdf.heading(pdf, TITLE)
    kpdf.field_table(
        pdf,
        _facts(
            summary,
            [
                ("პროგრამები / Programmes", str(len(summary.lines))),
                ("XLSX SHA-256", summary.xlsx_sha256),
            ],
        ),
    )
    pdf.ln(4)
    rows = [
        [
            line.institution,
            f"{line.programme_name} ({line.programme_code})",
            str(line.places),
            str(line.admitted),
            line.cutoff,
            str(line.extra_places),
        ]
        for line in summary.lines
    ]
    if rows:
        kpdf.grid_table(
            pdf,
            SUMMARY_HEADINGS,
            rows,
            SUMMARY_WIDTHS,
            align=["LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"],
        )
    _signature(pdf, summary)
