"""The helpers every document shares: pages, text and bilingual labels, tables, QR codes.

Every document prints with the DejaVu fonts (:mod:`.fonts`) in Kari's colours and sizes. Labels are
bilingual, written ``"ქართული / English"``: the helpers print the Georgian part first in the body
colour and the English part smaller or grey.

Only documented fpdf2 and segno calls are used here. Text placed at a position goes through
:func:`text`, which memoises string widths (fpdf2 measures them afresh on every call) and line
breaks (fpdf2's own, from a ``multi_cell`` dry run): the bulk invitation cards repeat the same
labels thousands of times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from PIL import Image

from .fonts import FONT_FAMILY, CutFontsOutputProducer, add_fonts, cut_fonts_cover, use_cut_fonts

BODY_SIZE = 9.5
SMALL_SIZE = 7.5
INK = 20  # body text, near black
GREY = 110  # secondary text: English halves of labels, captions, footer
RULE = 190  # hairlines between rows
FILL = 240  # table headings
PT = 25.4 / 72  # mm per point

Color = int | tuple[int, int, int]  # a grey level or an RGB triple, 0-255

SEPARATOR = " / "


def split_label(label: str) -> tuple[str, str]:
    """``"ქართული / English"`` -> ``("ქართული", "English")``.

    A label without English -> ``(label, "")``.
    """
    ka, _sep, en = label.partition(SEPARATOR)
    return ka.strip(), en.strip()


# --- Documents -----------------------------------------------------------------------------------


LINE_BREAKS = frozenset({0x0A, 0x0D})  # never printed: multi_cell breaks lines at them


class OutsideCutFonts(Exception):
    """A document on the cut fonts was given a character they lack (see :func:`render`)."""


class KariPDF(FPDF):
    """FPDF with Kari's footer: a free text on the left, "page n / N" on the right.

    On the cut fonts (``cut_cover`` set, :func:`render`) any text with a character they lack
    raises :class:`OutsideCutFonts`: fpdf2 passes every text it prints or measures through
    ``normalize_text``.
    """

    footer_text = ""
    cut_cover: frozenset[int] | None = None

    def normalize_text(self, text: str) -> str:
        cover = self.cut_cover
        if cover is not None and not cover.issuperset(map(ord, text)):
            raise OutsideCutFonts(text)
        return super().normalize_text(text)

    def footer(self) -> None:
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


def set_metadata(pdf: FPDF, title: str) -> None:
    """Title, creator and language of a document."""
    pdf.set_title(title)
    pdf.set_creator("Kari")
    pdf.set_lang("ka")


def new_document(title: str, footer: str = "", *, cut_fonts: bool = False) -> KariPDF:
    """An A4 document with the DejaVu fonts, margins, metadata, ``footer`` on the left of every
    page's footer, and its first page added.

    ``cut_fonts``: the fonts shared by every document of the process (:func:`.fonts.use_cut_fonts`)
    instead of parsed afresh; only through :func:`render`, which handles what they lack."""
    pdf = KariPDF(orientation="portrait", unit="mm", format="A4")
    pdf.footer_text = footer
    if cut_fonts:
        use_cut_fonts(pdf, ())
        pdf.cut_cover = cut_fonts_cover() | LINE_BREAKS
    else:
        add_fonts(pdf)
    pdf.set_margins(left=18, top=16, right=18)
    pdf.set_auto_page_break(auto=True, margin=20)
    set_metadata(pdf, title)
    pdf.set_font(FONT_FAMILY, "", BODY_SIZE)
    pdf.set_text_color(INK)
    pdf.add_page()
    return pdf


def render(title: str, footer: str, build: Callable[[KariPDF], object]) -> bytes:
    """The bytes of the document ``build`` writes on a :func:`new_document` (title, footer).

    It is written on the cut fonts, parsed and serialised once per process (:mod:`.fonts`): the
    plain fonts cost a document some 200 ms of CPU to parse and subset, most of what it costs.
    If it prints a character the cut fonts lack, it is written again on the full fonts, so
    nothing ever prints as a blank box. The layout is the same either way (same glyph widths).
    """
    try:
        pdf = new_document(title, footer, cut_fonts=True)
        build(pdf)
        return bytes(pdf.output(output_producer_class=CutFontsOutputProducer))
    except OutsideCutFonts:
        pdf = new_document(title, footer)
        build(pdf)
        return bytes(pdf.output())


def ensure_space(pdf: FPDF, height: float) -> None:
    """Start a new page unless ``height`` mm still fit above the bottom margin."""
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()


# --- Text at a position --------------------------------------------------------------------------


def style(pdf: FPDF, size: float, bold: bool = False, color: Color = INK) -> None:
    """The font (DejaVu, bold or not, ``size`` pt) and text colour of what is written next."""
    pdf.set_font(FONT_FAMILY, "B" if bold else "", size)
    if isinstance(color, tuple):
        pdf.set_text_color(*color)
    else:
        pdf.set_text_color(color)


_widths: dict[tuple[str, str, float, str], float] = {}
_lines: dict[tuple[str, str, float, str, float], tuple[str, ...]] = {}
_heights: dict[tuple[object, ...], float] = {}


def text_width(pdf: FPDF, text: str) -> float:
    """``text``'s width in mm in the current font (memoised: a font's metrics never change)."""
    key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, text)
    width = _widths.get(key)
    if width is None:
        if len(_widths) > 100_000:
            _widths.clear()
        width = _widths[key] = pdf.get_string_width(text)
    return width


def text(
    pdf: FPDF, x: float, y: float, h: float, value: str, align: str = "L", w: float = 0.0
) -> float:
    """``value`` in the current style in a line box ``h`` mm high at (x, y), vertically centred as
    ``cell()`` does; ``align`` "R" or "C" within ``w``. Returns the x after the text."""
    width = text_width(pdf, value)
    if align == "R":
        x += w - width
    elif align == "C":
        x += (w - width) / 2
    if value:
        pdf.text(x, y + h / 2 + 0.3 * pdf.font_size, value)
    return x + width


def wrap(pdf: FPDF, value: str, width: float) -> tuple[str, ...]:
    """``value`` broken into lines ``width`` mm wide in the current font, as ``multi_cell`` does.

    Memoised: labels and rules are the same on every card, centres and tests repeat.
    """
    key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, value, width)
    lines = _lines.get(key)
    if lines is None:
        if text_width(pdf, value) <= width:
            lines = (value,)
        else:
            lines = tuple(measure_lines(pdf, width, value)) or ("",)
        if len(_lines) > 50_000:
            _lines.clear()
        _lines[key] = lines
    return lines


def measure_height(
    pdf: FPDF,
    width: float,
    line_h: float,
    value: str,
    align: str = "L",
    wrapmode: WrapMode = WrapMode.WORD,
) -> float:
    """The height of ``value`` in a ``multi_cell`` ``width`` wide, in the current font.

    Memoised (a dry run depends on nothing else): labels repeat in every document of a kind."""
    key: tuple[object, ...] = (pdf.font_family, pdf.font_style, pdf.font_size_pt, pdf.c_margin)
    key += (value, width, line_h, align, wrapmode)
    height = _heights.get(key) if width > 0 else None  # width 0: up to the margin, from x
    if height is None:
        result = pdf.multi_cell(
            width,
            line_h,
            value,
            align=align,
            wrapmode=wrapmode,
            dry_run=True,
            output=MethodReturnValue.HEIGHT,
        )
        if len(_heights) > 50_000:
            _heights.clear()
        height = _heights[key] = cast(float, result)
    return height


def measure_lines(pdf: FPDF, width: float, value: str) -> list[str]:
    """The lines ``multi_cell`` breaks ``value`` into at ``width``, in the current font."""
    result = pdf.multi_cell(
        width,
        5,
        value,
        align="L",
        dry_run=True,
        output=MethodReturnValue.LINES,
    )
    return cast(list[str], result)


def paragraph(pdf: FPDF, x: float, y: float, width: float, line_h: float, value: str) -> float:
    """``value`` wrapped to ``width`` from (x, y) in the current style; returns the y below it."""
    for line in wrap(pdf, value, width):
        text(pdf, x, y, line_h, line)
        y += line_h
    return y


def label(
    pdf: FPDF,
    x: float,
    y: float,
    value: str,
    *,
    size: float,
    h: float,
    bold: bool = False,
    color: Color = INK,
    en_size: float | None = None,
    en_color: Color = GREY,
    sep: str = " / ",
    width: float | None = None,
    align: str = "L",
) -> float:
    """A bilingual label on one line in a box ``h`` high at (x, y): the Georgian half in ``color``,
    then ``sep`` and the English half in ``en_color`` (at ``en_size``, default ``size``).

    With ``width``, the label shrinks to fit it and is aligned ("L", "C", "R") within it.
    Returns the x after the label.
    """
    ka, en = split_label(value)
    en_text = f"{sep}{en}" if en else ""
    en_size = size if en_size is None else en_size
    if width is not None:
        style(pdf, size, bold)
        ka_w = text_width(pdf, ka)
        style(pdf, en_size)
        total = ka_w + text_width(pdf, en_text)
        if total > width:
            size, en_size = size * width / total, en_size * width / total
    style(pdf, size, bold, color)
    ka_w = text_width(pdf, ka)
    if width is not None and align != "L":
        style(pdf, en_size, color=en_color)
        total = ka_w + text_width(pdf, en_text)
        x += (width - total) / (2 if align == "C" else 1)
        style(pdf, size, bold, color)
    x = text(pdf, x, y, h, ka)
    if en_text:
        style(pdf, en_size, color=en_color)
        x = text(pdf, x, y, h, en_text)
    return x


# --- Blocks of the flowing documents (printout, protocol) ---------------------------------------


def heading(pdf: FPDF, value: str, size: float = 15, keep_with_next: float = 15) -> None:
    """A bold heading; a bilingual one has its English half on a second, smaller grey line.

    The heading moves to a new page unless ``keep_with_next`` mm of what follows fit under it.
    """
    ka, en = split_label(value)
    ensure_space(pdf, size * 0.9 + keep_with_next)
    pdf.set_x(pdf.l_margin)
    style(pdf, size, bold=True)
    pdf.multi_cell(0, size * 0.5, ka, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if en:
        style(pdf, size * 0.75, color=GREY)
        pdf.multi_cell(0, size * 0.42, en, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    style(pdf, BODY_SIZE)
    pdf.ln(size * 0.2)


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
    for row_label, row_value in rows:
        value = row_value if row_value else "—"
        ka, en = split_label(row_label)
        style(pdf, BODY_SIZE - 1, bold=True)
        ka_w = pdf.get_string_width(ka)
        ka_h = measure_height(pdf, label_w, body_h, ka)
        style(pdf, SMALL_SIZE)
        en_text = f"{SEPARATOR.lstrip()}{en}" if en else ""
        inline = (
            bool(en)
            and ka_h <= body_h + 0.01
            and ka_w + pdf.get_string_width(" " + en_text) <= label_w
        )
        en_h = 0 if inline or not en else measure_height(pdf, label_w, small_h, en)
        style(pdf, BODY_SIZE)
        value_h = measure_height(pdf, value_w, body_h, value)
        row_h = max(ka_h + en_h, value_h) + 2 * pad

        ensure_space(pdf, row_h)
        y0 = pdf.get_y()
        # Label.
        pdf.set_xy(x0 + pad, y0 + pad)
        style(pdf, BODY_SIZE - 1, bold=True)
        if inline:
            pdf.cell(ka_w, body_h, ka)
            style(pdf, SMALL_SIZE, color=GREY)
            pdf.cell(label_w - ka_w, body_h, " " + en_text)
        else:
            pdf.multi_cell(label_w, body_h, ka, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
            if en:
                style(pdf, SMALL_SIZE, color=GREY)
                pdf.multi_cell(label_w, small_h, en, align="L")
        # Value.
        pdf.set_xy(x0 + label_width + pad, y0 + pad)
        style(pdf, BODY_SIZE)
        pdf.multi_cell(value_w, body_h, value, align="L")
        # Hairline under the row.
        pdf.line(x0, y0 + row_h, x0 + pdf.epw, y0 + row_h)
        pdf.set_xy(x0, y0 + row_h)
    style(pdf, BODY_SIZE)


def grid_table(
    pdf: FPDF,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    col_widths: Sequence[float],
    align: Sequence[str] | None = None,
) -> None:
    """A bordered table with a shaded heading row, repeated on every page the table spans."""
    heading_style = FontFace(
        family=FONT_FAMILY, emphasis="BOLD", size_pt=BODY_SIZE - 1.5, color=INK, fill_color=FILL
    )
    style(pdf, BODY_SIZE - 0.5)
    pdf.set_draw_color(RULE)
    pdf.set_line_width(0.2)
    text_align: tuple[str | Align, ...] | str = tuple(align) if align else "LEFT"
    with pdf.table(
        col_widths=col_widths,
        width=pdf.epw,
        headings_style=heading_style,
        text_align=text_align,
        line_height=BODY_SIZE * 0.45,
        padding=(1.2, 1.5),
        repeat_headings=1,
        v_align="TOP",
    ) as table:
        for cells in [headings, *rows]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    style(pdf, BODY_SIZE)


def signature_lines(pdf: FPDF, labels: Sequence[str], gap: float = 14, line_w: float = 0.3) -> None:
    """Lines to sign on, side by side from the current y, each with its bilingual label under it;
    the cursor ends under them."""
    width = (pdf.epw - gap * (len(labels) - 1)) / len(labels)
    y = pdf.get_y()
    pdf.set_draw_color(INK)
    pdf.set_line_width(line_w)
    for i, value in enumerate(labels):
        x = pdf.l_margin + i * (width + gap)
        pdf.line(x, y, x + width, y)
        label(pdf, x + pdf.c_margin, y + 1.2, value, size=SMALL_SIZE, h=3.6)
    pdf.set_xy(pdf.l_margin, y + 6)


# --- QR codes ------------------------------------------------------------------------------------

QR_BORDER = 4  # modules of quiet zone, as the standard asks
QR_SCALE = 4  # pixels per module: viewers smooth an upscaled 1-pixel module into a blur


def qr_image(url: str, mask: int | None = None) -> Image.Image:
    """The QR code of ``url`` (error correction M) as a greyscale image with its quiet zone.

    ``mask`` None lets segno choose the data mask (it scores all eight, about 6 ms); a fixed mask
    gives an equally valid code that every reader decodes.
    """
    code = segno.make_qr(url, error="m", mask=mask)
    dark = np.array(code.matrix, dtype=np.uint8)
    light = np.pad(1 - dark, QR_BORDER, constant_values=1) * np.uint8(255)
    return Image.fromarray(light.repeat(QR_SCALE, axis=0).repeat(QR_SCALE, axis=1))


def qr(pdf: FPDF, url: str, x: float, y: float, size_mm: float, mask: int | None = None) -> None:
    """The QR code of ``url``, ``size_mm`` square (quiet zone included), top left at (x, y)."""
    pdf.image(qr_image(url, mask), x=x, y=y, w=size_mm, h=size_mm, alt_text=url)
