"""The individual-certification certificate (C4-C5), handed over at the Fund's conference.

One A4 landscape page, Georgian first with the English in smaller grey type. The labels are fixed
bilingual strings, like the registration printout's; the caller gives a
:class:`~kari.documents.inputs.CertificateData` of display-ready values. A ``status_note`` (e.g.
"REVOKED") is stamped large and red across the page, and printed once more by the number.

Everything is laid out at fixed places with auto page break off; text that could be long (names,
the achievement, roles, the URL) shrinks, then wraps, so the certificate always stays one page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import TextMode, WrapMode, XPos, YPos

from . import pdf as kpdf
from .fonts import FONT_FAMILY, add_fonts
from .inputs import CertificateData, Signatory
from .pdf import Color

TITLE = "სერტიფიკატი / Certificate"
TITLE_KA, TITLE_EN = kpdf.split_label(TITLE)
AWARDED_TO = "გადაეცემა / Awarded to"
PROGRAMME = "პროგრამა / Programme"
ISSUED_ON = "გაცემის თარიღი / Date of issue"
NUMBER = "სერტიფიკატის № / Certificate No."
STATUS = "სტატუსი / Status"
VERIFY = "გადაამოწმეთ / Verify:"

PAGE_W, PAGE_H = 297.0, 210.0
OUTER = 8.0  # mm from the page edge to the outer (thick) border line
INNER = 11.0  # ... to the inner (thin) border line
LEFT, RIGHT = 24.0, PAGE_W - 24.0  # content edges
TOP, BOTTOM = 20.0, PAGE_H - 19.0
TEXT_W = 215.0  # width of the centred text column

QR_SIZE = 35.0  # mm, quiet zone included
QR_BLOCK_W = 64.0  # the QR code and its caption, at the bottom right
INFO_W = 62.0  # date of issue and number, at the bottom left
SIGN_GAP = 10.0  # between two signature lines
SIGN_ROOM = 14.0  # blank space above a signature line, to sign in
MIDDLE_BOTTOM = 150.0  # the centred text ends above this at the latest

NAVY = (27, 54, 93)
GOLD = (176, 141, 62)
RED = (200, 30, 30)
PT = 25.4 / 72  # mm per point


def _h(size: float, factor: float = 1.22) -> float:
    """Line height in mm for a font size in points."""
    return size * PT * factor


def _new_pdf(title: str) -> FPDF:
    """A plain A4 landscape FPDF: no footer, the certificate has no page numbers."""
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    add_fonts(pdf)
    pdf.set_margins(left=LEFT, top=TOP, right=PAGE_W - RIGHT)
    pdf.set_auto_page_break(auto=False)
    kpdf.set_metadata(pdf, title)
    pdf.add_page()
    return pdf


_font = kpdf.style


def _fit_size(
    pdf: FPDF, text: str, width: float, size: float, minimum: float, bold: bool = False
) -> float:
    """The largest font size <= ``size`` (down to ``minimum``) at which ``text`` fits on one
    line."""
    pdf.set_font(FONT_FAMILY, "B" if bold else "", size)
    width -= 2 * pdf.c_margin + 0.01  # cells keep a small padding on either side
    text_w = pdf.get_string_width(text)
    if text_w <= width:
        return size
    return max(minimum, math.floor(size * width / text_w * 10) / 10)


_height = kpdf.measure_height


# --- Centred text blocks ------------------------------------------------------------------------
#
# The middle of the certificate is a column of blocks; each is measured first, so the whole column
# can be scaled down (and then vertically centred) to fit between the title and the bottom row.


@dataclass(frozen=True)
class _Block:
    """One block of the column: a centred paragraph ("text"), a bilingual label ("pair") or a
    gold rule ("rule"). ``shrink_to`` lets a one-line text shrink to that size before wrapping."""

    kind: str
    text: str = ""
    size: float = 0.0
    bold: bool = False
    color: Color = kpdf.INK
    gap: float = 0.0
    shrink_to: float | None = None
    width: float = 0.0


def _lines(pdf: FPDF, width: float, text: str) -> int:
    return len(kpdf.measure_lines(pdf, width, text))


def _balanced_width(pdf: FPDF, text: str, width: float) -> float:
    """The narrowest width (down to 60 %) that wraps ``text`` into as few lines as ``width`` does.

    Wrapping at it evens the lines out, so a paragraph never ends with one orphaned word.
    """
    lines = _lines(pdf, width, text)
    if lines <= 1:
        return width
    low, high = width * 0.6, width
    if _lines(pdf, low, text) <= lines:
        return low
    while high - low > 1:
        middle = (low + high) / 2
        if _lines(pdf, middle, text) <= lines:
            high = middle
        else:
            low = middle
    return high + 0.5


def _block_size(pdf: FPDF, block: _Block, scale: float) -> float:
    size = block.size * scale
    if block.shrink_to:
        size = _fit_size(pdf, block.text, TEXT_W, size, block.shrink_to * scale, block.bold)
    return size


def _pair_inline(pdf: FPDF, ka: str, en: str, size: float) -> tuple[bool, float, float]:
    pdf.set_font(FONT_FAMILY, "B", size)
    ka_w = pdf.get_string_width(ka)
    pdf.set_font(FONT_FAMILY, "", size * 0.85)
    en_w = pdf.get_string_width(f" / {en}") if en else 0
    return ka_w + en_w <= TEXT_W, ka_w, en_w


def _measure(pdf: FPDF, block: _Block, scale: float) -> float:
    if block.kind == "rule":
        return 1.0
    if block.kind == "pair":
        size = block.size * scale
        ka, en = kpdf.split_label(block.text)
        inline, _, _ = _pair_inline(pdf, ka, en, size)
        pdf.set_font(FONT_FAMILY, "B", size)
        height = _height(pdf, TEXT_W, _h(size), ka, align="C")
        if en and not inline:
            pdf.set_font(FONT_FAMILY, "", size * 0.85)
            height += _height(pdf, TEXT_W, _h(size * 0.85), en, align="C")
        return height
    size = _block_size(pdf, block, scale)
    pdf.set_font(FONT_FAMILY, "B" if block.bold else "", size)
    return _height(pdf, TEXT_W, _h(size), block.text, align="C")


def _column_height(pdf: FPDF, blocks: list[_Block], scale: float) -> float:
    return sum(block.gap * scale + _measure(pdf, block, scale) for block in blocks)


def _render(pdf: FPDF, block: _Block, scale: float) -> None:
    x0 = (PAGE_W - TEXT_W) / 2
    pdf.set_y(pdf.get_y() + block.gap * scale)
    if block.kind == "rule":
        y = pdf.get_y() + 0.5
        pdf.set_draw_color(*GOLD)
        pdf.set_line_width(0.35)
        half = block.width * scale / 2
        pdf.line(PAGE_W / 2 - half, y, PAGE_W / 2 + half, y)
        pdf.set_y(y + 0.5)
        return
    if block.kind == "pair":
        size = block.size * scale
        ka, en = kpdf.split_label(block.text)
        inline, ka_w, en_w = _pair_inline(pdf, ka, en, size)
        if inline:
            pdf.set_x((PAGE_W - ka_w - en_w) / 2)
            _font(pdf, size, bold=True, color=NAVY)
            pdf.cell(ka_w, _h(size), ka)
            if en:
                _font(pdf, size * 0.85, color=kpdf.GREY)
                pdf.cell(en_w, _h(size), f" / {en}")
            pdf.ln(_h(size))
        else:
            pdf.set_x(x0)
            _font(pdf, size, bold=True, color=NAVY)
            pdf.multi_cell(TEXT_W, _h(size), ka, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
            if en:
                _font(pdf, size * 0.85, color=kpdf.GREY)
                pdf.multi_cell(
                    TEXT_W, _h(size * 0.85), en, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
                )
        return
    size = _block_size(pdf, block, scale)
    _font(pdf, size, bold=block.bold, color=block.color)
    width = _balanced_width(pdf, block.text, TEXT_W)
    pdf.set_x((PAGE_W - width) / 2)
    pdf.multi_cell(width, _h(size), block.text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)


def _column(pdf: FPDF, blocks: list[_Block], top: float, bottom: float) -> None:
    """Render ``blocks`` centred between ``top`` and ``bottom``, shrunk if they would not fit."""
    scale = 1.0
    while scale > 0.55 and _column_height(pdf, blocks, scale) > bottom - top:
        scale -= 0.05
    height = _column_height(pdf, blocks, scale)
    pdf.set_y(top + max(0.0, (bottom - top - height) / 2))
    for block in blocks:
        _render(pdf, block, scale)


# --- The page ------------------------------------------------------------------------------------


def _border(pdf: FPDF) -> None:
    """A thick navy frame, a thin gold one inside it and small gold diamonds in the corners."""
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(1.4)
    pdf.rect(OUTER, OUTER, PAGE_W - 2 * OUTER, PAGE_H - 2 * OUTER)
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(0.4)
    pdf.rect(INNER, INNER, PAGE_W - 2 * INNER, PAGE_H - 2 * INNER)
    pdf.set_fill_color(*GOLD)
    r = 2.2
    for x in (INNER, PAGE_W - INNER):
        for y in (INNER, PAGE_H - INNER):
            pdf.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], style="F")


def _ornament(pdf: FPDF, y: float, half_width: float = 38.0) -> None:
    """A gold rule with a small diamond in the middle."""
    cx = PAGE_W / 2
    pdf.set_draw_color(*GOLD)
    pdf.set_fill_color(*GOLD)
    pdf.set_line_width(0.35)
    pdf.line(cx - half_width, y, cx - 3.5, y)
    pdf.line(cx + 3.5, y, cx + half_width, y)
    r = 1.8
    pdf.polygon([(cx, y - r), (cx + r, y), (cx, y + r), (cx - r, y)], style="F")


def _header(pdf: FPDF, data: CertificateData) -> float:
    """The organisation, an ornament and the big title; returns the y under them."""
    x0 = (PAGE_W - TEXT_W) / 2
    size = _fit_size(pdf, data.organisation, TEXT_W, 13, 10, bold=True)
    pdf.set_xy(x0, TOP)
    _font(pdf, size, bold=True, color=NAVY)
    pdf.multi_cell(
        TEXT_W,
        _h(size),
        data.organisation,
        align="C",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
        max_line_height=_h(size),
    )
    if data.organisation_en:
        size = _fit_size(pdf, data.organisation_en, TEXT_W, 9, 7)
        _font(pdf, size, color=kpdf.GREY)
        pdf.multi_cell(
            TEXT_W, _h(size), data.organisation_en, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
        )
    _ornament(pdf, pdf.get_y() + 4)

    pdf.set_xy(x0, pdf.get_y() + 7)
    _font(pdf, 34, bold=True, color=NAVY)
    pdf.cell(TEXT_W, _h(34, 1.15), TITLE_KA, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    _font(pdf, 13, color=GOLD)
    pdf.set_char_spacing(2.5)
    pdf.cell(TEXT_W, _h(13), TITLE_EN.upper(), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_char_spacing(0)
    return pdf.get_y()


def _middle_blocks(data: CertificateData) -> list[_Block]:
    title = " / ".join(t for t in (data.title_ka, data.title_en) if t)
    blocks = []
    if title:
        blocks.append(_Block("pair", title, 12))
    blocks.append(_Block("pair", AWARDED_TO, 9, gap=8))
    blocks.append(_Block("text", data.holder_name, 28, bold=True, gap=1.5, shrink_to=16))
    if data.holder_name_en:
        blocks.append(_Block("text", data.holder_name_en, 12.5, color=kpdf.GREY, shrink_to=9))
    blocks.append(_Block("rule", width=120, gap=1.5))
    if data.achievement_ka:
        blocks.append(_Block("text", data.achievement_ka, 11.5, gap=5))
    if data.achievement_en:
        blocks.append(_Block("text", data.achievement_en, 10, color=kpdf.GREY, gap=1.5))
    programme_ka, programme_en = data.programme, data.programme_en
    if programme_ka or programme_en:
        ka_label, en_label = kpdf.split_label(PROGRAMME)
        label = f"{ka_label}: „{programme_ka}“" if programme_ka else ""
        if programme_en:
            label = (
                f"{label} / {en_label}: “{programme_en}”"
                if label
                else f"{en_label}: “{programme_en}”"
            )
        blocks.append(_Block("pair", label, 10, gap=7))
    return blocks


def _small_label(
    pdf: FPDF, x: float, y: float, width: float, label: str, align: str = "L"
) -> float:
    """A bilingual label on one small line (Georgian in ink, English grey); returns its height."""
    # Cells (which the rest of the certificate uses) start their text c_margin in.
    kpdf.label(pdf, x + pdf.c_margin, y, label, size=7, h=_h(7), width=width, align=align)
    return _h(7)


def _info(pdf: FPDF, data: CertificateData, bottom: float) -> None:
    """Date of issue, certificate number (and status note), bottom-aligned at the left."""
    rows: list[tuple[str, str, Color]] = [
        (ISSUED_ON, data.issued_on, kpdf.INK),
        (NUMBER, data.number, NAVY),
    ]
    if data.status_note:
        rows.append((STATUS, data.status_note, RED))
    row_h = _h(7) + _h(11) + 2.5
    y = bottom - row_h * len(rows) + 2.5
    for label, value, color in rows:
        y += _small_label(pdf, LEFT, y, INFO_W, label)
        size = _fit_size(pdf, value, INFO_W, 11, 7, bold=True)
        _font(pdf, size, bold=True, color=color)
        pdf.set_xy(LEFT, y + 0.3)
        pdf.cell(INFO_W, _h(11), value)
        y += _h(11) + 2.5


def _signature_text(person: Signatory) -> list[tuple[str, bool, float, Color]]:
    """(text, bold, size factor, colour) lines under a signature line: name, role, English role."""
    role_ka, role_en = kpdf.split_label(person.role)
    lines: list[tuple[str, bool, float, Color]] = [
        (person.name, True, 1.0, kpdf.INK),
        (role_ka, False, 0.8, kpdf.INK),
    ]
    if role_en:
        lines.append((role_en, False, 0.8, kpdf.GREY))
    return [line for line in lines if line[0]]


def _signatures(
    pdf: FPDF,
    signatories: list[Signatory],
    x0: float,
    x1: float,
    bottom: float,
    draw: bool = True,
) -> float:
    """Signature lines side by side, each with the name (bold) and the role under it.

    Returns the y of the lines (``bottom`` when there is nobody to sign); only measures unless
    ``draw``.
    """
    if not signatories:
        return bottom
    n = len(signatories)
    gap = SIGN_GAP if n <= 2 else SIGN_GAP / 2
    line_w = min(68.0, (x1 - x0 - gap * (n - 1)) / n)
    total = n * line_w + (n - 1) * gap
    start = x0 + (x1 - x0 - total) / 2
    size = 9.5 if line_w >= 40 else 8
    # The text under the lines may wrap: measure the tallest, so every line sits at the same y.
    under = 0.0
    for person in signatories:
        height = 0.0
        for text, bold, factor, _color in _signature_text(person):
            pdf.set_font(FONT_FAMILY, "B" if bold else "", size * factor)
            height += _height(pdf, line_w, _h(size * factor), text, align="C")
        under = max(under, height)
    y_line = bottom - under - 1.2
    if not draw:
        return y_line
    pdf.set_draw_color(kpdf.INK)
    pdf.set_line_width(0.3)
    for i, person in enumerate(signatories):
        x = start + i * (line_w + gap)
        pdf.line(x, y_line, x + line_w, y_line)
        pdf.set_xy(x, y_line + 1.2)
        for text, bold, factor, color in _signature_text(person):
            _font(pdf, size * factor, bold=bold, color=color)
            pdf.multi_cell(
                line_w, _h(size * factor), text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
            )
    return y_line


def _qr_block(pdf: FPDF, url: str, bottom: float, draw: bool = True) -> float:
    """The QR code, bottom right, with "Verify: <url>" under it (the URL on one line if it can be).

    Returns the y of the top of the code; only measures unless ``draw``.
    """
    x0 = RIGHT - QR_BLOCK_W
    url_size = _fit_size(pdf, url, QR_BLOCK_W, 7, 5)
    pdf.set_font(FONT_FAMILY, "", url_size)
    url_h = _height(pdf, QR_BLOCK_W, _h(url_size), url, align="C", wrapmode=WrapMode.CHAR)
    label_h = _h(7)
    y_qr = bottom - url_h - label_h - QR_SIZE
    if not draw:
        return y_qr
    kpdf.qr(pdf, url, x=x0 + (QR_BLOCK_W - QR_SIZE) / 2, y=y_qr, size_mm=QR_SIZE)
    y = y_qr + QR_SIZE
    y += _small_label(pdf, x0, y, QR_BLOCK_W, VERIFY, align="C")
    _font(pdf, url_size, color=kpdf.GREY)
    pdf.set_xy(x0, y)
    pdf.multi_cell(QR_BLOCK_W, _h(url_size), url, align="C", wrapmode=WrapMode.CHAR)
    return y_qr


def _watermark(pdf: FPDF, note: str) -> None:
    """``note`` in large, half-transparent red capitals across the page's diagonal."""
    angle = math.degrees(math.atan2(PAGE_H, PAGE_W))
    diagonal = math.hypot(PAGE_W - 2 * INNER, PAGE_H - 2 * INNER)
    pdf.set_font(FONT_FAMILY, "B", 10)
    size = min(110.0, 10 * diagonal * 0.72 / pdf.get_string_width(note))
    _font(pdf, size, bold=True, color=RED)
    width = pdf.get_string_width(note)
    cx, cy = PAGE_W / 2, PAGE_H / 2
    with pdf.local_context(fill_opacity=0.28, stroke_opacity=0.5), pdf.rotation(angle, cx, cy):
        # A hollow outline as well as the tint keeps it legible over text and on grey printers.
        pdf.set_draw_color(*RED)
        pdf.set_line_width(0.5)
        pdf.text_mode = TextMode.FILL_STROKE
        pdf.text(cx - width / 2, cy + size * PT * 0.36, note)
        pdf.text_mode = TextMode.FILL


def certificate_pdf(data: CertificateData) -> bytes:
    """The individual-certification certificate (C4-C5) as PDF bytes."""
    pdf = _new_pdf(f"{TITLE} {data.number}")
    pdf.set_subject(data.title_en or data.title_ka or TITLE)
    _border(pdf)
    y = _header(pdf, data)
    # Measure the bottom row first: the centred text fills the room left above it. Everything is
    # then drawn top to bottom, so the text extracts (and reads aloud) in a natural order.
    signatories = list(data.signatories)
    sign_x = (LEFT + INFO_W + 4, RIGHT - QR_BLOCK_W - 4)
    y_qr = _qr_block(pdf, data.verify_url, BOTTOM, draw=False)
    y_sign = _signatures(pdf, signatories, *sign_x, BOTTOM, draw=False)
    _column(pdf, _middle_blocks(data), y + 3, min(MIDDLE_BOTTOM, y_qr - 4, y_sign - SIGN_ROOM))

    _info(pdf, data, BOTTOM)
    _signatures(pdf, signatories, *sign_x, BOTTOM)
    _qr_block(pdf, data.verify_url, BOTTOM)

    note = data.status_note.strip()
    if note:
        _watermark(pdf, note)
    return bytes(pdf.output())
