"""The ranking document (A27.5, A27.8): one programme's part, and the national summary.

Georgian first with English under it, as the other documents; the caller gives display-ready
values (:class:`RankingSheet`, :class:`RankingSummary`). NAEC's signature (PAdES) is added by
:mod:`.signing` after rendering; the document prints the signatory's name and the seal image.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
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
        admitted_table(pdf, sheet.admitted)
        if any(a.by_tie_rule for a in sheet.admitted):
            pdf.ln(2)
            pdf.multi_cell(0, 4.5, TIE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.multi_cell(0, 5, NOBODY, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _signature(pdf, sheet)


# --- The list of the admitted -------------------------------------------------------------------
#
# Drawn directly (text at a position, one hairline per row, the column rules once per page) rather
# than with fpdf2's table(): a national ranking prints some 90,000 rows, and fpdf2's table lays out
# every cell as a paragraph (about 4.5 ms of CPU a row against 0.3 ms here).

ALIGN = ("C", "L", "L", "R", "C")  # the columns of HEADINGS
CELL_SIZE = kpdf.BODY_SIZE - 0.5  # pt
HEAD_SIZE = kpdf.BODY_SIZE - 1.5
LINE_H = kpdf.BODY_SIZE * 0.45  # mm, a line of a cell
PAD_X, PAD_Y = 1.5, 1.2  # mm, inside a cell


def _headings(
    pdf: kpdf.KariPDF,
    y: float,
    headings: Sequence[str],
    widths: Sequence[float],
    align: Sequence[str],
) -> float:
    """The shaded heading row at ``y`` (Georgian bold, the English grey under it); returns the y
    below it."""
    x0 = pdf.l_margin
    cells = []
    for heading, width in zip(headings, widths, strict=True):
        ka, en = kpdf.split_label(heading)
        size = HEAD_SIZE  # smaller in a narrow column, so that no word breaks
        kpdf.style(pdf, size, bold=True)
        while size > 5 and any(kpdf.text_width(pdf, w) > width - 2 * PAD_X for w in ka.split()):
            size -= 0.5
            kpdf.style(pdf, size, bold=True)
        ka_lines = kpdf.wrap(pdf, ka, width - 2 * PAD_X)
        kpdf.style(pdf, size - 0.5)
        en_lines = kpdf.wrap(pdf, en, width - 2 * PAD_X) if en else ()
        cells.append((size, ka_lines, en_lines))
    ka_h, en_h = HEAD_SIZE * 0.42, (HEAD_SIZE - 0.5) * 0.42
    height = max(len(k) * ka_h + len(e) * en_h for _s, k, e in cells) + 2 * PAD_Y
    pdf.set_fill_color(kpdf.FILL)
    pdf.rect(x0, y, sum(widths), height, style="DF")
    x = x0
    for (size, ka_lines, en_lines), width, how in zip(cells, widths, align, strict=True):
        line_y = y + PAD_Y
        kpdf.style(pdf, size, bold=True)
        for line in ka_lines:
            kpdf.text(pdf, x + PAD_X, line_y, ka_h, line, how, width - 2 * PAD_X)
            line_y += ka_h
        kpdf.style(pdf, size - 0.5, color=kpdf.GREY)
        for line in en_lines:
            kpdf.text(pdf, x + PAD_X, line_y, en_h, line, how, width - 2 * PAD_X)
            line_y += en_h
        x += width
    # Text is painted in the fill colour: with both the same, fpdf2 writes no colour per text.
    kpdf.style(pdf, CELL_SIZE)
    pdf.set_fill_color(kpdf.INK)
    return y + height


def _column_rules(pdf: kpdf.KariPDF, widths: Sequence[float], top: float, bottom: float) -> None:
    x = pdf.l_margin
    pdf.line(x, top, x, bottom)
    for width in widths:
        x += width
        pdf.line(x, top, x, bottom)


def rows_table(
    pdf: kpdf.KariPDF,
    headings: Sequence[str],
    widths: Sequence[float],
    align: Sequence[str],
    rows: Iterable[Sequence[str]],
) -> None:
    """A ruled table of one-line rows, the heading row repeated on every page; the cursor ends
    under it. A value too long for its column wraps (the row grows); ``align`` "L", "C", "R"."""
    x0 = pdf.l_margin
    row_h = LINE_H + 2 * PAD_Y
    # Where each cell's text starts, and the width it is aligned in.
    xs = [x0 + sum(widths[:i]) + PAD_X for i in range(len(widths))]
    ws = [w - 2 * PAD_X for w in widths]
    cols = list(zip(xs, ws, align, strict=True))
    right = x0 + sum(widths)
    pdf.set_draw_color(kpdf.RULE)
    pdf.set_line_width(0.2)
    kpdf.ensure_space(pdf, 14 + row_h)  # the heading row and a first row together
    top = y = pdf.get_y()
    y = _headings(pdf, y, headings, widths, align)
    for cells in rows:
        lines = [
            (v,) if kpdf.text_width(pdf, v) <= w else kpdf.wrap(pdf, v, w)
            for v, w in zip(cells, ws, strict=True)
        ]
        height = row_h + (max(map(len, lines)) - 1) * LINE_H
        if y + height > pdf.page_break_trigger:
            _column_rules(pdf, widths, top, y)
            pdf.add_page()
            pdf.set_draw_color(kpdf.RULE)
            pdf.set_line_width(0.2)
            top = y = pdf.get_y()
            y = _headings(pdf, y, headings, widths, align)
        for (x, w, how), cell_lines in zip(cols, lines, strict=True):
            line_y = y + PAD_Y
            for line in cell_lines:
                kpdf.text(pdf, x, line_y, LINE_H, line, how, w)
                line_y += LINE_H
        y += height
        pdf.line(x0, y, right, y)
    _column_rules(pdf, widths, top, y)
    kpdf.style(pdf, kpdf.BODY_SIZE)
    pdf.set_xy(x0, y)


def admitted_table(pdf: kpdf.KariPDF, admitted: Sequence[RankedApplicant]) -> None:
    """The admitted, one row each (№, personal number, name, score with ``*`` for the tie rule,
    choice), as :func:`rows_table`."""
    rows = (
        (
            str(n),
            a.personal_number,
            a.name,
            f"{a.score} *" if a.by_tie_rule else a.score,
            str(a.choice),
        )
        for n, a in enumerate(admitted, start=1)
    )
    rows_table(pdf, HEADINGS, WIDTHS, ALIGN, rows)


SUMMARY_HEADINGS = [
    "დაწესებულება / Institution",
    "პროგრამა / Programme",
    "ადგილები / Places",
    "ადგილი მიეცა / Placed",
    "გამსვლელი / Cut-off",
    "დამატ. / Extra",
]
SUMMARY_WIDTHS = [46, 58, 18, 20, 20, 12]
SUMMARY_ALIGN = ("L", "L", "R", "R", "R", "R")


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
        rows_table(pdf, SUMMARY_HEADINGS, SUMMARY_WIDTHS, SUMMARY_ALIGN, rows)
    _signature(pdf, summary)
