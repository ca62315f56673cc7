"""The exam invitation card (A17.3), rendered one PDF per applicant, fast enough for a whole round.

Plain Python: no Django, no ORM. The caller turns its records into :class:`InvitationCard` values
(display strings, ``datetime.date``/``datetime.time`` values) and calls :func:`render_card` for one
card or :func:`render_many` for a bulk run (a process pool, ``<number>.pdf`` files, a progress
callback). Like the other printed documents the card is always bilingual, Georgian first with the
English smaller and grey, so its labels are fixed strings, not gettext.

The card is one A4 page: the title with the card number and the QR code of the verification URL,
the applicant, the exam centre with its address, the applicant's sittings (date, check-in from-to,
start, test), the adapted environment if any, and the rules of A19.1-2, A20.2 and A20.6.

Speed (the target is 10,000 cards in a minute on two cores; ``benchmarks/invitations.py``).
Per card, fpdf2 would parse the 750 kB DejaVu fonts on ``add_font`` and subset them with fontTools
at ``output()``: about 150 ms of the first version's 180 ms. Instead, once per process:

* DejaVu Sans and Sans Bold are cut down to what cards print (:data:`CARD_UNICODES`: ASCII,
  Georgian, some punctuation; about 200 glyphs, no hinting) and parsed into fpdf2 ``TTFFont``
  templates, every character given its PDF code up front (in code point order). Cards share
  the templates: fpdf2 changes nothing in them when all the characters already have codes.
* So the fonts' PDF objects (Type0 and CIDFont dictionaries, widths, ToUnicode, CIDToGIDMap,
  the font file) are the same on every card: fpdf2's own ``_add_fonts`` makes them once, on a
  throwaway document, and they are kept serialised (:class:`_FrozenObject`, references
  renumbered per card). :class:`_CardOutputProducer`, passed to ``output()`` by
  :func:`render_card` only, writes them instead of running ``_add_fonts`` per card.
* Text is written by :func:`_text` as the operators ``FPDF.text()`` writes, with each string's
  codes and width memoised (:class:`_Pen`), not through fpdf2's per-call font and fragment
  objects; wrapping is fpdf2's (multi_cell's dry run), memoised.
* A card with a character the cut fonts lack falls back to the full fonts, added the usual way
  and laid out through fpdf2's ``set_font``/``text``, so nothing ever prints as a blank box; it
  just costs the old price.

fpdf2 is not patched: everything above is confined to the card's own objects. It relies on
fpdf2 2.8 internals (``OutputProducer._add_fonts``/``_add_pdf_obj``, ``TTFFont.subset``/``cw``,
``FPDF._out``/``_resource_catalog``), checked by ``tests/documents/test_invitation_card.py``.

The QR code's mask is chosen with numpy (see :func:`qr_matrix`) and embedded as a small greyscale
image.

Output is deterministic: the PDF creation date is the card's issue date (midnight UTC).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import os
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import segno
from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.drawing_primitives import convert_to_device_color
from fpdf.enums import MethodReturnValue, PDFResourceType
from fpdf.fonts import TTFFont
from fpdf.output import OutputProducer
from fpdf.syntax import Name, PDFContentStream, PDFObject
from fpdf.util import escape_parens
from PIL import Image
from segno import encoder as senc

from . import pdf as kpdf

__all__ = ["InvitationCard", "InvitationSitting", "render_card", "render_many"]

TITLE = "საგამოცდო მოსაწვევი / Exam invitation"
NUMBER = "მოსაწვევის № / Invitation No."
ROUND = "ტური / Round"
APPLICANT = "აპლიკანტი / Applicant"
NAME = "სახელი, გვარი / Name"
PERSONAL_NUMBER = "პირადი ნომერი / Personal No."
BIRTH_DATE = "დაბადების თარიღი / Date of birth"
CENTRE = "საგამოცდო ცენტრი / Exam centre"
ADDRESS = "მისამართი / Address"
MUNICIPALITY = "მუნიციპალიტეტი / Municipality"
SITTINGS = "გამოცდები / Your tests"
SITTING_HEADINGS = ["თარიღი / Date", "შესვლა / Check-in", "დაწყება / Start", "ტესტი / Test"]
ROOM = "ოთახი / Room"
ADAPTED = "ადაპტირებული გარემო / Adapted environment"
RULES = "გახსოვდეთ / Remember"
RULE_LINES = [
    (
        "თან იქონიეთ პირადობის დამადასტურებელი დოკუმენტი (დაბადების მოწმობა, პირადობის მოწმობა, "
        "ბინადრობის ნებართვა ან პასპორტი) და ეს მოსაწვევი.",
        "Bring an identity document (birth certificate, ID card, residence permit or passport) "
        "and this invitation.",
        "A19.1-2",
    ),
    (
        "შესვლის დასრულების შემდეგ გამოცდაზე არავინ დაიშვება — მოდით დროულად.",
        "Nobody is admitted after check-in closes: come in time.",
        "A20.2",
    ),
    (
        "მობილური ტელეფონი და სხვა ელექტრონული მოწყობილობა საგამოცდო ოთახში აკრძალულია.",
        "Phones and other electronic devices are not allowed in the exam room.",
        "A20.6",
    ),
]
VERIFY = "გადაამოწმეთ / Verify"
ISSUED = "გაცემის თარიღი / Issued"
WEEKDAYS = [
    "ორშაბათი / Mon",
    "სამშაბათი / Tue",
    "ოთხშაბათი / Wed",
    "ხუთშაბათი / Thu",
    "პარასკევი / Fri",
    "შაბათი / Sat",
    "კვირა / Sun",
]

PAGE_W = 210.0
MARGIN = 16.0
CONTENT_W = PAGE_W - 2 * MARGIN
QR_SIZE = 34.0  # mm, quiet zone included
FILL = kpdf.FILL
ACCENT = (27, 54, 93)


# --- Data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationSitting:
    """One test the applicant sits: a skills test or a subject, in one session (A18)."""

    item_ka: str  # e.g. "მექანიკური უნარები"
    item_en: str  # e.g. "Mechanical skills"
    date: dt.date
    starts_at: dt.time
    check_in_opens: dt.time
    check_in_closes: dt.time
    room: str = ""
    notes: str = ""


@dataclass(frozen=True)
class InvitationCard:
    """Everything printed on one invitation card (A17.3), display-ready except dates and times."""

    number: str  # e.g. "INV-2026-A-000123": also the file name in render_many
    round_label: str  # e.g. "2026 შემოდგომა / 2026 autumn"
    first_name: str  # Georgian
    last_name: str
    personal_number: str
    birth_date: dt.date
    centre_name_ka: str
    centre_name_en: str
    centre_address: str
    centre_municipality: str
    sittings: Sequence[InvitationSitting]
    verify_url: str  # absolute, encoded in the QR code
    issued_on: dt.date  # also the PDF's creation date, for identical bytes on every run
    first_name_latin: str = ""
    last_name_latin: str = ""
    adapted_environment: str = ""  # "" when none was granted
    extra: dict = field(default_factory=dict, compare=False, repr=False)  # unused by the layout


def _date(value) -> str:
    return value.strftime("%d.%m.%Y") if isinstance(value, dt.date) else str(value)


def _time(value) -> str:
    return value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)


def _card_texts(card: InvitationCard) -> Iterable[str]:
    """Every variable string printed on the card (to check the cut fonts cover it)."""
    yield from (
        card.number,
        card.round_label,
        card.first_name,
        card.last_name,
        card.first_name_latin,
        card.last_name_latin,
        card.personal_number,
        _date(card.birth_date),
        card.centre_name_ka,
        card.centre_name_en,
        card.centre_address,
        card.centre_municipality,
        card.verify_url,
        card.adapted_environment,
        _date(card.issued_on),
    )
    for s in card.sittings:
        yield from (
            s.item_ka,
            s.item_en,
            s.room,
            s.notes,
            _date(s.date),
            _time(s.starts_at),
            _time(s.check_in_opens),
            _time(s.check_in_closes),
        )


# --- Fonts --------------------------------------------------------------------------------------


# What the cut fonts keep (about 200 glyphs of 6,000): ASCII, Georgian Mkhedruli and Mtavruli,
# dashes, quotes, bullet, ellipsis, №, € and ₾. Anything else sends the card to the full fonts.
CARD_UNICODES = sorted(
    {
        *range(0x20, 0x7F),
        0xA0,
        0xA7,
        0xA9,
        0xAB,
        0xB0,
        0xB7,
        0xBB,
        *range(0x10D0, 0x1100),
        *range(0x1C90, 0x1CC0),
        *range(0x2010, 0x2028),
        0x2030,
        0x2039,
        0x203A,
        0x20AC,
        0x20BE,
        0x2116,
        0x2212,
    }
)

_templates: dict[str, TTFFont] | None = None  # style -> parsed cut font, shared by every card
_cut_cover: frozenset[int] = frozenset()  # code points both cut fonts have
_font_objects: list[_FrozenObject] = []  # the cut fonts' PDF objects, serialised once
_font_dicts: dict[int, int] = {}  # font.i -> index in _font_objects of its Type0 dictionary
_font_codes: dict[int, dict[int, str]] = {}  # font.i -> code point -> its escaped Tj bytes


class _CutTTFont(ttLib.TTFont):
    """A fontTools font that is already the subset to embed: ``save`` writes the bytes made once.

    Only used while the cut fonts' PDF objects are made (:func:`_freeze_font_objects`); fully
    loaded up front so that fpdf2's ``close()`` cannot invalidate it.
    """

    font_bytes = b""

    def close(self) -> None:
        pass

    def save(self, file, reorderTables=True) -> None:  # fontTools' name
        file.write(self.font_bytes)


class _FrozenObject(PDFObject):
    """A PDF object serialised once per process and written again into every card.

    ``parts`` alternate text and object-number offsets relative to this object: the object's
    references are renumbered for the document it is added to, the rest is the same bytes.
    """

    def __init__(self, parts: tuple) -> None:
        super().__init__()
        self._parts = parts

    def serialize(self, obj_dict=None, _security_handler=None) -> bytes:
        if _security_handler is not None:  # cards are never encrypted; refuse rather than leak
            raise ValueError("frozen card fonts cannot be encrypted")
        own = self.id
        out = [b"%d 0 obj\n" % own]
        for k, part in enumerate(self._parts):
            out.append(part if k % 2 == 0 else b"%d" % (own + part))
        return b"".join(out)


_REF = re.compile(rb"(\d+) 0 R\b")


def _freeze(obj: PDFObject) -> _FrozenObject:
    """``obj`` (already given its number) as a :class:`_FrozenObject`."""
    text = obj.serialize()
    data = text if isinstance(text, bytes) else text.encode("latin-1")
    head, _, body = data.partition(b"\n")
    if head != b"%d 0 obj" % obj.id:
        raise RuntimeError(f"unexpected PDF object header {head[:40]!r}")
    if obj.content_stream() is not None:  # font streams: no references, binary data
        return _FrozenObject((body,))
    parts: list = []
    pos = 0
    for m in _REF.finditer(body):
        parts += [body[pos : m.start(1)], int(m.group(1)) - obj.id]
        pos = m.end(1)
    parts.append(body[pos:])
    return _FrozenObject(tuple(parts))


def _freeze_font_objects(
    templates: dict[str, TTFFont],
) -> tuple[list[_FrozenObject], dict[int, int]]:
    """The cut fonts' PDF objects as fpdf2 2.8 writes them, made once with fpdf2 itself.

    Every code point of a cut font is given its code up front (:func:`_load_templates`), so the
    font dictionaries, widths, ToUnicode and CIDToGIDMap are the same for every card: fpdf2's
    ``_add_fonts`` runs once here, on a throwaway document, and not per card (where it cost
    about 5 ms: the 128 KiB CIDToGIDMap built in Python and the font streams compressed).
    """
    holder = FPDF()
    originals = {}
    for style, template in templates.items():
        proto = copy.copy(template)
        proto.desc = copy.copy(template.desc)
        data = template.ttfont.font_bytes
        proto.ttfont = _CutTTFont(io.BytesIO(data), recalcTimestamp=False, lazy=False)
        proto.ttfont.font_bytes = data
        originals[style] = proto.ttfont.getGlyphOrder()[:]
        holder.fonts[proto.fontkey] = proto
    producer = OutputProducer(holder)
    dicts = producer._add_fonts({}, {}, {})  # fpdf2 internals, see module doc
    for style, proto in zip(templates, holder.fonts.values(), strict=True):
        # fpdf2 subset the prototype (keeping every glyph) and reads glyph ids from the result,
        # while the stream is the cut font as it was: their glyph orders must agree.
        if proto.ttfont.getGlyphOrder() != originals[style]:
            raise RuntimeError("fontTools reordered the glyphs of a cut font")
    for obj in producer.pdf_objs:
        if isinstance(obj, PDFContentStream) and obj.filter is None:
            # fpdf2 leaves the ToUnicode CMaps uncompressed (3 kB each): compressed once here.
            obj._contents = zlib.compress(obj._contents, 9)
            obj.filter, obj.length = Name("FlateDecode"), len(obj._contents)
    objects = [_freeze(obj) for obj in producer.pdf_objs]
    index = {i: producer.pdf_objs.index(obj) for i, obj in dicts.items()}
    return objects, index


def _cut_font(path: Path) -> bytes:
    """``path`` cut down to :data:`CARD_UNICODES`, without hinting or layout tables, as bytes."""
    options = ftsubset.Options()
    options.hinting = False  # viewers render unhinted TrueType well; halves the glyph data
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "hdmx", "FFTM", "MATH", "meta"]
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.name_IDs = [1, 2, 4, 6]  # family, style, full name, PostScript name: all fpdf2 uses
    options.glyph_names = True  # else fontTools derives every glyph name from the cmap on load
    font = ttLib.TTFont(path, recalcTimestamp=False)
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=CARD_UNICODES)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _load_templates() -> dict[str, TTFFont]:
    """Cut, parse and serialise the fonts once per process."""
    global _templates, _cut_cover, _font_objects, _font_dicts, _font_codes
    if _templates is None:
        holder = FPDF()
        templates = {}
        codes = {}
        for i, (style, path) in enumerate(kpdf.FONT_FILES.items(), start=1):
            data = _cut_font(path)
            fontkey = f"{kpdf.FONT_FAMILY.lower()}{style}"
            font = TTFFont(holder, io.BytesIO(data), fontkey, style)
            font.i = i  # the cards' fonts are always /F1 (regular) and /F2 (bold)
            font.ttfont = _CutTTFont(io.BytesIO(data), recalcTimestamp=False, lazy=False)
            font.ttfont.font_bytes = data
            font.ttffile = path  # only informative: fpdf2 reads it for text shaping, unused here
            # Fix every character's code now, in code point order: the same on every card.
            codes[i] = {}
            for uni in sorted(font.cmap):
                code = font.subset.pick(uni)
                if code is not None:
                    codes[i][uni] = escape_parens(chr(code).encode("utf-16-be").decode("latin-1"))
            templates[style] = font
        _font_objects, _font_dicts = _freeze_font_objects(templates)
        _font_codes = codes
        _cut_cover = frozenset(codes[1].keys() & codes[2].keys())
        _templates = templates
    return _templates


def _covered(card: InvitationCard) -> bool:
    cover = _cut_cover
    return all(ch in cover for text in _card_texts(card) for ch in map(ord, text))


class _CardOutputProducer(OutputProducer):
    """fpdf2's output producer, but a card on the cut fonts gets their pre-serialised objects.

    Passed to ``FPDF.output(output_producer_class=...)`` by :func:`render_card` only: other
    documents, and cards on the full fonts, go through fpdf2's own ``_add_fonts``.
    """

    def _add_fonts(self, image_objects_per_index, gfxstate_objs_per_name, pattern_objs_per_name):
        fonts = sorted(self.fpdf.fonts.values(), key=lambda font: font.i)
        cut = list((_templates or {}).values())
        if len(fonts) != len(cut) or any(a is not b for a, b in zip(fonts, cut, strict=False)):
            return super()._add_fonts(
                image_objects_per_index, gfxstate_objs_per_name, pattern_objs_per_name
            )
        added = []
        for frozen in _font_objects:
            obj = copy.copy(frozen)
            self._add_pdf_obj(obj, "fonts")
            added.append(obj)
        return {i: added[k] for i, k in _font_dicts.items()}


def _new_pdf(card: InvitationCard) -> FPDF:
    """An FPDF with the DejaVu fonts: the cut, pre-parsed ones unless the card needs others."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    templates = _load_templates()
    pdf.kari_pen = None
    if _covered(card):
        for template in templates.values():
            pdf.fonts[template.fontkey] = template
        pdf.kari_pen = _Pen()
    else:
        for style, path in kpdf.FONT_FILES.items():
            pdf.add_font(kpdf.FONT_FAMILY, style, path)
    return pdf


# --- Layout -------------------------------------------------------------------------------------
#
# Text is placed with FPDF.text() (one BT/Tj/ET each) at computed positions rather than with cell()
# and multi_cell(): those run fpdf2's general line layout for every string, several times the cost.
# Wrapping is still fpdf2's (multi_cell's dry run), memoised.

PT = 25.4 / 72  # mm per point


class _Pen:
    """The text state of a card on the cut fonts, kept here instead of in fpdf2.

    With every character's code fixed per process (:func:`_load_templates`) a string's Tj operand
    and width are the same on every card, so :func:`_text` memoises them and writes the
    operators ``FPDF.text()`` would write (``BT /Fi size Tf ET`` when the font changes, then
    ``BT x y Td (...) Tj ET``, inside ``q colour ... Q`` unless the colour is the fill colour)
    straight into the page, without fpdf2's per-call font, colour and text-fragment objects.
    """

    __slots__ = ("font_i", "size", "color", "color_op", "on_page")

    def __init__(self) -> None:
        self.font_i, self.size, self.color, self.color_op = 1, 10.0, None, ""
        self.on_page: tuple[int, float] | None = None  # the font last set in the content stream


_colors: dict = {}  # colour as the layout gives it -> (fpdf2 device colour, its operator)
_encoded: dict[tuple[int, str], tuple[str, int]] = {}  # (font, text) -> (Tj operand, width)


def _device_color(color) -> tuple:
    found = _colors.get(color)
    if found is None:
        device = (
            convert_to_device_color(*color)
            if isinstance(color, tuple)
            else convert_to_device_color(color)
        )
        found = _colors[color] = (device, device.serialize().lower())
    return found


def _font(pdf: FPDF, size: float, bold: bool = False, color=kpdf.INK) -> None:
    pen = pdf.kari_pen
    if pen is not None:
        pen.font_i, pen.size = (2 if bold else 1), size
        pen.color, pen.color_op = _device_color(color)
        return
    pdf.set_font(kpdf.FONT_FAMILY, "B" if bold else "", size)
    if isinstance(color, tuple):
        pdf.set_text_color(*color)
    else:
        pdf.set_text_color(color)


def _encode(font_i: int, text: str) -> tuple[str, int]:
    """``text``'s Tj operand in a cut font and its width in font units (memoised)."""
    key = (font_i, text)
    found = _encoded.get(key)
    if found is None:
        codes, widths = _font_codes[font_i], _templates["B" if font_i == 2 else ""].cw
        found = ("".join(codes[ord(ch)] for ch in text), sum(widths[ord(ch)] for ch in text))
        if len(_encoded) > 100_000:
            _encoded.clear()
        _encoded[key] = found
    return found


def _width(pdf: FPDF, text: str) -> float:
    """``text``'s width in mm in the current font."""
    pen = pdf.kari_pen
    if pen is None:
        return pdf.get_string_width(text)
    return _encode(pen.font_i, text)[1] * pen.size * 0.001 / pdf.k


def _text(
    pdf: FPDF, x: float, y: float, h: float, text: str, align: str = "L", w: float = 0.0
) -> float:
    """``text`` in the current font in a line box ``h`` high at (x, y), vertically centred like
    cell() does; ``align`` "R"/"C" within ``w``. Returns the x after the text."""
    pen = pdf.kari_pen
    if pen is None:
        width = pdf.get_string_width(text)
    else:
        operand, units = _encode(pen.font_i, text)
        width = units * pen.size * 0.001 / pdf.k
    if align == "R":
        x += w - width
    elif align == "C":
        x += (w - width) / 2
    if not text:
        return x + width
    if pen is None:
        pdf.text(x, y + h / 2 + 0.3 * pdf.font_size, text)
        return x + width
    k = pdf.k
    if pen.on_page != (pen.font_i, pen.size):
        pdf._out(f"BT /F{pen.font_i} {pen.size:.2f} Tf ET")
        pdf._resource_catalog.add(PDFResourceType.FONT, pen.font_i, pdf.page)
        pen.on_page = (pen.font_i, pen.size)
    baseline = y + h / 2 + 0.3 * pen.size / k
    op = f"BT {x * k:.2f} {(pdf.h - baseline) * k:.2f} Td ({operand}) Tj ET"
    if pdf.fill_color != pen.color:
        op = f"q {pen.color_op} {op} Q"
    pdf._out(op)
    return x + width


_wrapped: dict[tuple, tuple[str, ...]] = {}  # (text, width, style, size) -> its lines


def _wrap(pdf: FPDF, text: str, width: float) -> tuple[str, ...]:
    """``text`` broken into lines ``width`` mm wide in the current font, as multi_cell would.

    Memoised: the labels and rules are the same on every card, centres and tests repeat.
    """
    pen = pdf.kari_pen
    if pen is None:
        style, size = pdf.font_style, pdf.font_size_pt
    else:
        style, size = ("B" if pen.font_i == 2 else ""), pen.size
    key = (text, width, style, size)
    lines = _wrapped.get(key)
    if lines is None:
        if _width(pdf, text) <= width:
            lines = (text,)
        else:
            if pen is not None:
                pdf.set_font(kpdf.FONT_FAMILY, style, size)  # multi_cell measures with fpdf2's
            lines = tuple(
                pdf.multi_cell(
                    width,
                    1,
                    text,
                    align="L",
                    dry_run=True,
                    padding=0,
                    output=MethodReturnValue.LINES,
                )
            ) or ("",)
        if len(_wrapped) > 50_000:
            _wrapped.clear()
        _wrapped[key] = lines
    return lines


def _para(pdf: FPDF, x: float, y: float, width: float, line_h: float, text: str) -> float:
    """``text`` wrapped to ``width`` from (x, y) in the current font; returns the y below it."""
    for line in _wrap(pdf, text, width):
        _text(pdf, x, y, line_h, line)
        y += line_h
    return y


def _label(pdf: FPDF, x: float, y: float, label: str, size: float = 7.0) -> None:
    """A small bilingual label on one line at (x, y), grey, the English a little smaller."""
    ka, en = kpdf.split_label(label)
    _font(pdf, size, color=kpdf.GREY)
    x = _text(pdf, x, y, 3.2, ka)
    if en:
        _font(pdf, size - 0.5, color=kpdf.GREY)
        _text(pdf, x, y, 3.2, f" / {en}")


def _section(pdf: FPDF, y: float, label: str) -> float:
    """A section heading with a rule under it; returns the y below it."""
    ka, en = kpdf.split_label(label)
    _font(pdf, 10.5, bold=True, color=ACCENT)
    x = _text(pdf, MARGIN, y, 5, ka)
    if en:
        _font(pdf, 8.5, color=kpdf.GREY)
        _text(pdf, x, y, 5, f"  {en}")
    y += 5.2
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.35)
    pdf.line(MARGIN, y, MARGIN + CONTENT_W, y)
    return y + 2.0


def _field(
    pdf: FPDF,
    x: float,
    y: float,
    w: float,
    label: str,
    value: str,
    size: float = 10.5,
    bold: bool = True,
    sub: str = "",
) -> float:
    """A label with its value under it (wrapping within ``w``); returns the y below it."""
    _label(pdf, x, y, label)
    _font(pdf, size, bold=bold)
    y = _para(pdf, x, y + 3.6, w, size * PT * 1.25, value or "—")
    if sub:
        _font(pdf, size * 0.78, color=kpdf.GREY)
        y = _para(pdf, x, y, w, size * 0.78 * PT * 1.25, sub)
    return y


def _header(pdf: FPDF, card: InvitationCard) -> float:
    ka, en = kpdf.split_label(TITLE)
    text_w = CONTENT_W - QR_SIZE - 4
    _font(pdf, 19, bold=True, color=ACCENT)
    _text(pdf, MARGIN, MARGIN, 8.5, ka)
    _font(pdf, 12, color=kpdf.GREY)
    _text(pdf, MARGIN, MARGIN + 8.5, 5.5, en)
    y = MARGIN + 17
    _field(pdf, MARGIN, y, 70, NUMBER, card.number, size=11.5)
    _field(pdf, MARGIN + 74, y, text_w - 74, ROUND, card.round_label, size=10, bold=False)
    _font(pdf, 6.5, color=kpdf.GREY)
    _text(pdf, MARGIN, y + 11.5, 3, "A17.3")

    # The QR code at the top right, the verification caption under it.
    x_qr = MARGIN + CONTENT_W - QR_SIZE
    _qr(pdf, card.verify_url, x_qr, MARGIN - 3, QR_SIZE)
    ka, en = kpdf.split_label(VERIFY)
    _font(pdf, 6.5, color=kpdf.GREY)
    _text(pdf, x_qr, MARGIN - 3 + QR_SIZE - 1.5, 3, f"{ka} / {en}", align="C", w=QR_SIZE)
    return max(y + 16, MARGIN - 3 + QR_SIZE + 3)


def _applicant(pdf: FPDF, card: InvitationCard, y: float) -> float:
    y = _section(pdf, y, APPLICANT)
    name = f"{card.first_name} {card.last_name}".strip()
    latin = f"{card.first_name_latin} {card.last_name_latin}".strip()
    bottom = _field(pdf, MARGIN, y, 86, NAME, name, size=13, sub=latin)
    bottom = max(bottom, _field(pdf, MARGIN + 90, y, 40, PERSONAL_NUMBER, card.personal_number))
    bottom = max(
        bottom, _field(pdf, MARGIN + 134, y, CONTENT_W - 134, BIRTH_DATE, _date(card.birth_date))
    )
    return bottom + 4


def _centre(pdf: FPDF, card: InvitationCard, y: float) -> float:
    y = _section(pdf, y, CENTRE)
    _font(pdf, 12, bold=True)
    y = _para(pdf, MARGIN, y, CONTENT_W, 12 * PT * 1.25, card.centre_name_ka)
    if card.centre_name_en:
        _font(pdf, 9, color=kpdf.GREY)
        y = _para(pdf, MARGIN, y, CONTENT_W, 9 * PT * 1.3, card.centre_name_en)
    y += 1.5
    bottom = _field(pdf, MARGIN, y, 118, ADDRESS, card.centre_address, size=10, bold=False)
    bottom = max(
        bottom,
        _field(
            pdf,
            MARGIN + 122,
            y,
            CONTENT_W - 122,
            MUNICIPALITY,
            card.centre_municipality,
            size=10,
            bold=False,
        ),
    )
    return bottom + 4


SITTING_WIDTHS = [34.0, 32.0, 20.0, CONTENT_W - 86.0]
CELL_PAD = 1.6


def _sittings(pdf: FPDF, card: InvitationCard, y: float) -> float:
    y = _section(pdf, y, SITTINGS)
    # Heading row, shaded.
    head_h = 8.0
    pdf.set_fill_color(FILL)
    pdf.rect(MARGIN, y, CONTENT_W, head_h, style="F")
    x = MARGIN
    for heading, w in zip(SITTING_HEADINGS, SITTING_WIDTHS, strict=True):
        ka, en = kpdf.split_label(heading)
        _font(pdf, 8, bold=True)
        _text(pdf, x + CELL_PAD, y + 0.8, 3.4, ka)
        _font(pdf, 6.5, color=kpdf.GREY)
        _text(pdf, x + CELL_PAD, y + 4.1, 3.0, en)
        x += w
    y += head_h
    pdf.set_draw_color(kpdf.RULE)
    pdf.set_line_width(0.2)
    test_w = SITTING_WIDTHS[3] - 2 * CELL_PAD
    for s in card.sittings:
        weekday = WEEKDAYS[s.date.weekday()] if isinstance(s.date, dt.date) else ""
        extra = "  ·  ".join(p for p in (f"{ROOM}: {s.room}" if s.room else "", s.notes) if p)
        y0 = y + CELL_PAD
        # Date and weekday.
        x = MARGIN + CELL_PAD
        _font(pdf, 10.5, bold=True)
        _text(pdf, x, y0, 4.6, _date(s.date))
        if weekday:
            _font(pdf, 7, color=kpdf.GREY)
            _text(pdf, x, y0 + 4.8, 3.2, weekday)
        # Check-in window, then the start.
        x += SITTING_WIDTHS[0]
        _font(pdf, 10.5, bold=True)
        _text(pdf, x, y0, 4.6, f"{_time(s.check_in_opens)}–{_time(s.check_in_closes)}")
        x += SITTING_WIDTHS[1]
        _font(pdf, 10.5, bold=True, color=ACCENT)
        _text(pdf, x, y0, 4.6, _time(s.starts_at))
        # Test: Georgian, English, room/notes.
        x += SITTING_WIDTHS[2]
        _font(pdf, 9.5, bold=True)
        bottom = _para(pdf, x, y0, test_w, 4.2, s.item_ka)
        if s.item_en:
            _font(pdf, 7.5, color=kpdf.GREY)
            bottom = _para(pdf, x, bottom, test_w, 3.4, s.item_en)
        if extra:
            _font(pdf, 7.5)
            bottom = _para(pdf, x, bottom, test_w, 3.4, extra)
        y = max(bottom, y0 + 8.2) + CELL_PAD
        pdf.line(MARGIN, y, MARGIN + CONTENT_W, y)
    pdf.set_text_color(kpdf.INK)
    return y + 4


def _adapted(pdf: FPDF, card: InvitationCard, y: float) -> float:
    if not card.adapted_environment:
        return y
    ka, en = kpdf.split_label(ADAPTED)
    _font(pdf, 8.5, bold=True)
    x = _text(pdf, MARGIN + 3, y + 2, 3.6, ka)
    _font(pdf, 7, color=kpdf.GREY)
    _text(pdf, x, y + 2, 3.6, f"  {en}")
    _font(pdf, 9.5)
    bottom = _para(pdf, MARGIN + 3, y + 6.2, CONTENT_W - 6, 4.2, card.adapted_environment) + 2
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.3)
    pdf.rect(MARGIN, y, CONTENT_W, bottom - y)
    return bottom + 4


def _rules(pdf: FPDF, y: float) -> float:
    y = _section(pdf, y, RULES)
    for ka, en, ref in RULE_LINES:
        _font(pdf, 9.5, bold=True, color=ACCENT)
        _text(pdf, MARGIN, y, 4.3, "•")
        _font(pdf, 9.2)
        y = _para(pdf, MARGIN + 5, y, CONTENT_W - 5, 4.3, f"{ka} ({ref})")
        _font(pdf, 7.8, color=kpdf.GREY)
        y = _para(pdf, MARGIN + 5, y, CONTENT_W - 5, 3.5, en) + 1.6
    return y


def _footer(pdf: FPDF, card: InvitationCard) -> None:
    y = 297 - MARGIN - 8
    pdf.set_draw_color(kpdf.RULE)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, y, MARGIN + CONTENT_W, y)
    ka, en = kpdf.split_label(ISSUED)
    _font(pdf, 7.5, color=kpdf.GREY)
    _text(pdf, MARGIN, y + 1.5, 3.4, f"{ka} / {en}: {_date(card.issued_on)}")
    _text(pdf, MARGIN, y + 1.5, 3.4, f"კარი / Kari · № {card.number}", align="R", w=CONTENT_W)
    ka, en = kpdf.split_label(VERIFY)
    _text(pdf, MARGIN, y + 5, 3.4, f"{ka} / {en}: {card.verify_url}")


# --- QR code -------------------------------------------------------------------------------------
#
# segno picks the data mask by scoring all eight in pure Python (about 6 ms of its 7 ms). The same
# choice is made here with numpy, the eight masks scored at once (:func:`_penalties`, about 0.4 ms),
# reproducing segno's scoring (N1-N4, ties to the lower mask) exactly: the card must carry the
# very matrix ``segno.make_qr(url, error="m")`` makes, which is what verifiers and the tests
# compare with. The first use in a process checks the shortcut against segno on a few URLs and
# falls back to plain segno if they ever differ.

QR_BORDER = 4  # modules of quiet zone
QR_SCALE = 4  # pixels per module: viewers smooth an upscaled 1-pixel module into a blur
_N3_CODE = 0b1011101  # the 1:1:3:1:1 finder-like pattern, as 7 bits
_qr_fast: bool | None = None


@functools.lru_cache(maxsize=8)
def _qr_layout(size: int) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """For a QR size: the function-pattern matrix, the data region, the 8 masks in the region."""
    fm = senc.make_matrix(size, size)
    senc.add_finder_patterns(fm, size, size)
    senc.add_alignment_patterns(fm, size, size)
    fixed = np.array([list(row) for row in fm], dtype=np.uint8)
    region = fixed > 1  # segno's "encoding region": cells no function pattern took
    region[-8, 8] = False  # the dark module
    masks = [
        np.array([[bool(fn(i, j)) for j in range(size)] for i in range(size)]) & region
        for fn in senc.get_data_mask_functions(False)
    ]
    return fixed, region, [mask.astype(np.uint8) for mask in masks]


@functools.lru_cache(maxsize=8)
def _mask_stack(size: int) -> np.ndarray:
    return np.stack(_qr_layout(size)[2])


def _penalties(ms: np.ndarray) -> list[int]:
    """segno's ``evaluate_mask`` of each of a stack of masked matrices (``(k, n, n)``), batched."""
    k, size, _ = ms.shape
    lines = np.concatenate((ms, ms.transpose(0, 2, 1)), axis=1).astype(np.int16)  # (k, 2n, n)
    # N1: runs of 5+ equal modules in a line score (length - 2).
    padded = np.pad(lines, ((0, 0), (0, 0), (1, 1)), constant_values=-1).reshape(k, -1)
    change = padded[:, 1:] != padded[:, :-1]
    starts = np.flatnonzero(change.ravel())
    runs = np.diff(starts)
    per = change.shape[1]
    owner = starts[:-1] // per
    long = runs >= 5
    n1 = np.bincount(owner[long], weights=runs[long] - 2, minlength=k)
    # N2: every 2x2 block of one colour scores 3.
    c = ms[:, 1:, 1:]
    n2 = 3 * ((c == ms[:, 1:, :-1]) & (c == ms[:, :-1, 1:]) & (c == ms[:, :-1, :-1])).sum(
        axis=(1, 2)
    )
    # N3: 1:1:3:1:1 patterns (1011101) with 4 light modules before or after (or at an edge).
    w = size - 6
    code = np.zeros(lines.shape[:2] + (w,), dtype=np.int16)
    for b in range(7):
        code = (code << 1) | lines[:, :, b : b + w]
    hits = np.argwhere(code == _N3_CODE)  # (mask, line, idx), in order
    n3 = np.zeros(k, dtype=np.int64)
    if len(hits):
        csum = np.zeros(lines.shape[:2] + (size + 1,), dtype=np.int32)
        np.cumsum(lines != 0, axis=2, out=csum[:, :, 1:])
        mk, ln, idx = hits[:, 0], hits[:, 1], hits[:, 2]
        before = csum[mk, ln, idx] - csum[mk, ln, np.maximum(idx - 4, 0)]
        end = np.minimum(idx + 11, size)
        after = csum[mk, ln, end] - csum[mk, ln, np.minimum(idx + 7, size)]
        ok = (idx == 0) | (idx == size - 7) | (before == 0) | (after == 0)
        # A counted pattern makes segno search on after it, skipping overlapping ones (which
        # start 4 or 6 modules later); an uncounted one does not skip any.
        last = (-1, -1)
        stop = -1
        for m, line, i, counts in zip(
            mk.tolist(), ln.tolist(), idx.tolist(), ok.tolist(), strict=True
        ):
            if (m, line) != last:
                last, stop = (m, line), -1
            if i < stop:
                continue
            if counts:
                n3[m] += 40
                stop = i + 7
    # N4: 10 per 5 % the share of dark modules is away from 50 %.
    dark = ms.reshape(k, -1).sum(axis=1).tolist()
    n4 = [10 * int(abs(float(d) / (size**2) * 100 - 50) / 5) for d in dark]
    return [
        int(a) + int(b) + int(c) + d
        for a, b, c, d in zip(n1.tolist(), n2.tolist(), n3.tolist(), n4, strict=True)
    ]


@functools.lru_cache(maxsize=8)
def _qr_placement(size: int) -> np.ndarray:
    """The flat indexes of the data modules in the order segno's ``add_codewords`` fills them."""
    fixed = _qr_layout(size)[0]
    order = []
    for right in range(size - 1, 0, -2):
        if right <= 6:
            right -= 1  # segno's walk: the timing column is skipped
        for vertical in range(size):
            for z in (0, 1):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = (size - 1 - vertical) if upwards else vertical
                if fixed[i, j] == 0x2:
                    order.append(i * size + j)
    return np.array(order, dtype=np.intp)


def _qr_codewords(url: str) -> tuple[int, int, np.ndarray]:
    """Version, error level and final message bits of ``url``: segno's ``encode`` (error "m",
    no Micro QR, error level boosted) up to the codewords, as its ``_encode`` does it."""
    error = senc.normalize_errorlevel("m")
    segments = senc.prepare_data(url, None, None)
    version = senc.find_version(segments, error, eci=False, micro=False)
    error = senc.boost_error_level(version, error, segments, False)
    buff = senc.Buffer()
    ver_range = senc.version_range(version)
    for segment in segments:
        senc.write_segment(buff, segment, None, ver_range, False)
    capacity = senc.consts.SYMBOL_CAPACITY[version][error]
    senc.write_terminator(buff, capacity, None, len(buff))
    senc.write_padding_bits(buff, version, len(buff))
    senc.write_pad_codewords(buff, version, capacity, len(buff))
    bits = senc.make_final_message(version, error, buff).getbits()
    return version, error, np.frombuffer(bytes(bits), dtype=np.uint8)


def _qr_matrix_fast(url: str) -> np.ndarray:
    # segno's encoder as make_qr calls it (never a Micro QR), the codewords placed and the eight
    # masks scored with numpy: segno's add_codewords and apply_mask are pure Python.
    version, error, bits = _qr_codewords(url)
    size = version * 4 + 17
    fixed, _region, masks = _qr_layout(size)
    unmasked = fixed.copy()
    unmasked.ravel()[_qr_placement(size)[: len(bits)]] = bits
    scores = _penalties(unmasked[None] ^ _mask_stack(size))
    best = scores.index(min(scores))  # ties go to the lower mask, as in segno
    matrix = tuple(bytearray(row) for row in (unmasked ^ masks[best]).tolist())
    senc.add_format_info(matrix, version, error, best)
    senc.add_version_info(matrix, version)
    return np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(size, size)


def _qr_matrix_segno(url: str) -> np.ndarray:
    return np.array(segno.make_qr(url, error="m").matrix, dtype=np.uint8)


def qr_matrix(url: str) -> np.ndarray:
    """The modules (1 = dark) of ``segno.make_qr(url, error="m")``, without its quiet zone."""
    global _qr_fast
    if _qr_fast is None:
        samples = [
            "https://kari.example.ge/i/INV-2026-A-000001/3f9a",
            "x" * 60,
            "abc",
            "https://kari.example.ge/invitations/verify/INV-2026-A-000123/8f3a9c2d7e41",
        ]
        try:
            _qr_fast = all(np.array_equal(_qr_matrix_fast(u), _qr_matrix_segno(u)) for u in samples)
        except Exception:  # segno's internals changed: use its public API
            _qr_fast = False
    return _qr_matrix_fast(url) if _qr_fast else _qr_matrix_segno(url)


def _qr_image(dark: np.ndarray) -> Image.Image:
    """The QR code as an 8-bit greyscale image, :data:`QR_SCALE` pixels per module, with the quiet
    zone. fpdf2 embeds it Flate-compressed as it is; a 1-bit image costs more (fpdf2 re-encodes
    those as CCITT G4 through a TIFF) and comes out larger."""
    light = np.pad(1 - dark, QR_BORDER, constant_values=1).astype(np.uint8) * 255
    light = light.repeat(QR_SCALE, axis=0).repeat(QR_SCALE, axis=1)
    return Image.fromarray(light, mode="L")


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code of ``url``, ``size`` mm square with its quiet zone, top left at (x, y)."""
    pdf.image(_qr_image(qr_matrix(url)), x=x, y=y, w=size, h=size, alt_text=url)


def render_card(card: InvitationCard) -> bytes:
    """One invitation card (A17.3) as the bytes of a one-page A4 PDF."""
    pdf = _new_pdf(card)
    pdf.set_margins(left=MARGIN, top=MARGIN, right=MARGIN)
    pdf.set_auto_page_break(auto=False)
    pdf.set_title(f"{kpdf.split_label(TITLE)[0]} / Exam invitation {card.number}")
    pdf.set_creator("Kari")
    pdf.set_lang("ka")
    # Deterministic output: the creation date is the issue date, never the clock.
    pdf.set_creation_date(dt.datetime.combine(card.issued_on, dt.time(), tzinfo=dt.UTC))
    pdf.add_page()
    y = _header(pdf, card)
    y = _applicant(pdf, card, y + 2)
    y = _centre(pdf, card, y)
    y = _sittings(pdf, card, y)
    y = _adapted(pdf, card, y)
    _rules(pdf, y)
    _footer(pdf, card)
    return bytes(pdf.output(output_producer_class=_CardOutputProducer))


# --- Bulk ---------------------------------------------------------------------------------------


def _render_chunk(cards: list[InvitationCard], out_dir: str) -> list[str]:
    paths = []
    for card in cards:
        path = Path(out_dir) / f"{card.number}.pdf"
        partial = path.with_name(f".{path.name}.part")
        partial.write_bytes(render_card(card))
        partial.replace(path)  # a reader never sees half a file
        paths.append(str(path))
    return paths


def render_many(
    cards: Sequence[InvitationCard],
    out_dir: str | os.PathLike,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int | None = None,
) -> list[Path]:
    """Write ``<number>.pdf`` for every card into ``out_dir``; returns the paths in card order.

    Cards are rendered by a pool of ``workers`` processes (default: one per CPU; ``workers=1``
    renders in this process) in chunks; ``progress(done, total)`` is called in this process after
    each chunk, the last call with ``done == total`` (and once with ``(0, total)`` up front).
    An existing file of the same name is replaced. The bytes do not depend on ``workers``.
    """
    cards = list(cards)
    out = Path(out_dir)
    numbers = [card.number for card in cards]
    if len(set(numbers)) != len(numbers):
        raise ValueError("invitation numbers must be unique: they name the files")
    for number in numbers:
        if not number or number in (".", "..") or Path(number).name != number:
            raise ValueError(f"invitation number {number!r} cannot be a file name")
    out.mkdir(parents=True, exist_ok=True)
    total = len(cards)
    workers = max(1, workers or os.cpu_count() or 1)
    if chunk_size is None:
        # Small enough for a lively progress bar, big enough to keep the pool's overhead low.
        chunk_size = max(1, min(100, -(-total // (workers * 4)) if total else 1))
    chunks = [cards[i : i + chunk_size] for i in range(0, total, chunk_size)]
    if progress:
        progress(0, total)
    done = 0
    if workers == 1 or len(chunks) <= 1:
        for chunk in chunks:
            _render_chunk(chunk, str(out))
            done += len(chunk)
            if progress:
                progress(done, total)
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks))) as pool:
            futures = {pool.submit(_render_chunk, chunk, str(out)): len(chunk) for chunk in chunks}
            for future in as_completed(futures):
                future.result()
                done += futures[future]
                if progress:
                    progress(done, total)
    return [out / f"{number}.pdf" for number in numbers]
