"""A small layer over fpdf2 for Kari's printed documents.

Every document uses the DejaVu Sans fonts shipped in ``fonts/`` (they cover Georgian Mkhedruli, so a
fresh machine needs no system fonts), A4 pages, Kari's margins and a footer with page numbers.

Labels may be bilingual, written ``"ქართული / English"``: the helpers print the Georgian part in the
body colour and the English part smaller and grey.
"""

import io
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "DejaVu"
FONT_FILES = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}

BODY_SIZE = 9.5
SMALL_SIZE = 7.5
INK = 20  # body text, near black
GREY = 110  # secondary text: English halves of labels, captions, footer
RULE = 190  # hairlines between rows
FILL = 240  # table headings

SEPARATOR = " / "


class KariPDF(FPDF):
    """FPDF with Kari's footer: a free text on the left, "page n / N" on the right."""

    footer_text = ""

    def footer(self):
        self.set_y(-14)
        self.set_draw_color(RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)
        self.set_font(FONT_FAMILY, "", SMALL_SIZE)
        self.set_text_color(GREY)
        page = f"გვერდი / Page {self.page_no()} / {{nb}}"
        page_w = self.get_string_width(page) + 2
        self.cell(self.epw - page_w, 4, self.footer_text, align="L")
        self.cell(page_w, 4, page, align="R")
        self.set_text_color(INK)


def new_document(title: str) -> KariPDF:
    """An A4 document with the DejaVu fonts, margins, metadata and its first page added."""
    pdf = KariPDF(orientation="portrait", unit="mm", format="A4")
    for style, path in FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style, path)
    pdf.set_margins(left=18, top=16, right=18)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(title)
    pdf.set_creator("Kari")
    pdf.set_lang("ka")
    pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
    pdf.set_text_color(INK)
    pdf.add_page()
    return pdf


def footer_text(pdf: KariPDF, text: str) -> None:
    """Set the text printed on the left of every page's footer.

    The page numbers go on the right.
    """
    pdf.footer_text = text


def split_label(label: str) -> tuple[str, str]:
    """``"ქართული / English"`` -> ``("ქართული", "English")``.

    A label without English -> ``(label, "")``.
    """
    ka, _sep, en = label.partition(SEPARATOR)
    return ka.strip(), en.strip()


def ensure_space(pdf: FPDF, height: float) -> None:
    """Start a new page unless ``height`` mm still fit above the bottom margin."""
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()


def heading(pdf: FPDF, text: str, size: float = 15, keep_with_next: float = 15) -> None:
    """A bold heading; a bilingual one has its English half on a second, smaller grey line.

    The heading moves to a new page unless ``keep_with_next`` mm of what follows fit under it.
    """
    ka, en = split_label(text)
    ensure_space(pdf, size * 0.9 + keep_with_next)
    pdf.set_x(pdf.l_margin)
    pdf.set_font(FONT_FAMILY, "B", size)
    pdf.set_text_color(INK)
    pdf.multi_cell(0, size * 0.5, ka, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if en:
        pdf.set_font(FONT_FAMILY, "", size * 0.75)
        pdf.set_text_color(GREY)
        pdf.multi_cell(0, size * 0.42, en, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(INK)
    pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
    pdf.ln(size * 0.2)


def _measure(pdf: FPDF, width: float, line_h: float, text: str) -> float:
    return pdf.multi_cell(
        width, line_h, text, align="L", dry_run=True, output=MethodReturnValue.HEIGHT
    )


def field_table(pdf: FPDF, rows: list[tuple[str, str]], label_width: float = 74) -> None:
    """Label/value rows separated by hairlines; long values wrap, a row never splits across pages.

    A bilingual label prints on one line when it fits (Georgian, then the English in small grey),
    otherwise the English goes under the Georgian.
    """
    pad = 1.0
    body_h = BODY_SIZE * 0.45
    small_h = SMALL_SIZE * 0.45
    label_w = label_width - 2 * pad
    value_w = pdf.epw - label_width - 2 * pad
    x0 = pdf.l_margin
    pdf.set_draw_color(RULE)
    pdf.set_line_width(0.2)
    for label, value in rows:
        value = value if value else "—"
        ka, en = split_label(label)
        pdf.set_font(FONT_FAMILY, "B", BODY_SIZE - 1)
        ka_w = pdf.get_string_width(ka)
        ka_h = _measure(pdf, label_w, body_h, ka)
        pdf.set_font(FONT_FAMILY, "", SMALL_SIZE)
        en_text = f"{SEPARATOR.lstrip()}{en}" if en else ""
        inline = (
            bool(en)
            and ka_h <= body_h + 0.01
            and ka_w + pdf.get_string_width(" " + en_text) <= label_w
        )
        en_h = 0 if inline or not en else _measure(pdf, label_w, small_h, en)
        pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
        value_h = _measure(pdf, value_w, body_h, value)
        row_h = max(ka_h + en_h, value_h) + 2 * pad

        ensure_space(pdf, row_h)
        y0 = pdf.get_y()
        # Label.
        pdf.set_xy(x0 + pad, y0 + pad)
        pdf.set_font(FONT_FAMILY, "B", BODY_SIZE - 1)
        pdf.set_text_color(INK)
        if inline:
            pdf.cell(ka_w, body_h, ka)
            pdf.set_font(FONT_FAMILY, "", SMALL_SIZE)
            pdf.set_text_color(GREY)
            pdf.cell(label_w - ka_w, body_h, " " + en_text)
        else:
            pdf.multi_cell(label_w, body_h, ka, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
            if en:
                pdf.set_font(FONT_FAMILY, "", SMALL_SIZE)
                pdf.set_text_color(GREY)
                pdf.multi_cell(label_w, small_h, en, align="L")
        # Value.
        pdf.set_xy(x0 + label_width + pad, y0 + pad)
        pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
        pdf.set_text_color(INK)
        pdf.multi_cell(value_w, body_h, value, align="L")
        # Hairline under the row.
        pdf.line(x0, y0 + row_h, x0 + pdf.epw, y0 + row_h)
        pdf.set_xy(x0, y0 + row_h)
    pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
    pdf.set_text_color(INK)


def grid_table(
    pdf: FPDF,
    headings: list[str],
    rows: list[list[str]],
    col_widths: list[float],
    align: list[str] | None = None,
) -> None:
    """A bordered table with a shaded heading row, repeated on every page the table spans."""
    heading_style = FontFace(
        family=FONT_FAMILY, emphasis="BOLD", size_pt=BODY_SIZE - 1.5, color=INK, fill_color=FILL
    )
    pdf.set_font(FONT_FAMILY, "", BODY_SIZE - 0.5)
    pdf.set_text_color(INK)
    pdf.set_draw_color(RULE)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=col_widths,
        width=pdf.epw,
        headings_style=heading_style,
        text_align=tuple(align) if align else "LEFT",
        line_height=BODY_SIZE * 0.45,
        padding=(1.2, 1.5),
        repeat_headings=1,
        v_align="TOP",
    ) as table:
        for cells in [headings, *rows]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.set_font(FONT_FAMILY, "", BODY_SIZE)


def qr(pdf: FPDF, url: str, x: float, y: float, size_mm: float) -> None:
    """A QR code for ``url``, ``size_mm`` square (quiet zone included) with its top left at (x, y).

    segno writes the PNG itself (no Pillow needed for that); fpdf2 embeds it as an image XObject.
    """
    code = segno.make_qr(url, error="m")
    buf = io.BytesIO()
    code.save(buf, kind="png", scale=8, border=4)
    buf.seek(0)
    pdf.image(buf, x=x, y=y, w=size_mm, h=size_mm, alt_text=url)
