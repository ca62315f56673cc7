"""The fonts every document prints with, and the bulk renderer's fast path to them.

Every document uses DejaVu Sans and Sans Bold, shipped in ``fonts/``: they cover Georgian Mkhedruli
(which needs no complex shaping), so a fresh machine needs no system fonts. :func:`add_fonts` adds
them to a document the plain way, and fpdf2 parses them and embeds the subset a document uses.

That costs a document over 100 ms of CPU (parsing the 750 kB fonts, then fontTools subsetting and
saving them on ``output()``): nothing for a printout, but twenty times what an invitation card
costs otherwise, far too much for the 10,000 cards of a round in a minute on two cores
(``benchmarks/invitations.py --plain`` measures it). The cards therefore take the fonts through
:func:`use_cut_fonts`, which does that work once per process:

* the fonts are cut down to what cards print (:data:`CUT_UNICODES`: ASCII, Georgian, some
  punctuation; about 200 glyphs, no hinting) and parsed into fpdf2 fonts shared by every card, each
  character given its PDF code up front, in code point order, so that fpdf2 never changes them;
* their PDF objects (Type0 and CIDFont dictionaries, widths, ToUnicode, CIDToGIDMap, the font file)
  are therefore the same on every card: fpdf2 makes them once, on a throwaway document, and they are
  kept serialised (:class:`_FrozenObject`, their references renumbered for each card);
  :class:`CutFontsOutputProducer`, passed to ``FPDF.output()``, writes them instead of subsetting
  the fonts again.

A card with a character the cut fonts lack gets the full fonts from :func:`add_fonts`, so nothing
ever prints as a blank box; it just costs the plain price.

This is the one place that relies on fpdf2 internals (2.8: ``OutputProducer._add_fonts`` and
``_add_pdf_obj``, ``TTFFont`` and its ``subset``); ``tests/documents/test_invitation_card.py``
checks that the output stays right and that nothing leaks into other documents.
"""

from __future__ import annotations

import copy
import functools
import io
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.output import OutputProducer
from fpdf.syntax import Name, PDFContentStream, PDFObject

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "DejaVu"
FONT_FILES = {"": FONT_DIR / "DejaVuSans.ttf", "B": FONT_DIR / "DejaVuSans-Bold.ttf"}


def add_fonts(pdf: FPDF) -> None:
    """Add DejaVu Sans (style ``""``) and Sans Bold (``"B"``) as family :data:`FONT_FAMILY`."""
    for style, path in FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style, path)


# What the cut fonts keep (about 200 glyphs of 6,000): ASCII, Georgian Mkhedruli and Mtavruli,
# dashes, quotes, bullet, ellipsis, №, € and ₾. Anything else sends a document to the full fonts.
CUT_UNICODES = sorted(
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


@dataclass(frozen=True)
class _CutFonts:
    templates: dict[str, TTFFont]  # style -> the parsed cut font every card shares
    cover: frozenset[int]  # code points both cut fonts have
    objects: tuple[_FrozenObject, ...]  # their PDF objects, serialised once
    dicts: dict[int, int]  # font.i -> index in ``objects`` of its Type0 font dictionary


def use_cut_fonts(pdf: FPDF, texts: Iterable[str]) -> bool:
    """Give ``pdf`` (with no fonts yet) the cut fonts if they have every character of ``texts``,
    else the full ones (:func:`add_fonts`); True for the cut fonts.

    A document on the cut fonts must be written with
    ``pdf.output(output_producer_class=CutFontsOutputProducer)`` and must print nothing but
    ``texts`` and characters of :data:`CUT_UNICODES`.
    """
    cut = _cut_fonts()
    if all(ord(ch) in cut.cover for text in texts for ch in text):
        for template in cut.templates.values():
            pdf.fonts[template.fontkey] = template
        return True
    add_fonts(pdf)
    return False


def cut_fonts_cover() -> frozenset[int]:
    """The code points both cut fonts have (what a document on them may print)."""
    return _cut_fonts().cover


class CutFontsOutputProducer(OutputProducer):
    """fpdf2's output producer; a document on the cut fonts gets their pre-serialised objects.

    Other documents (other fonts, or the full ones) go through fpdf2's own ``_add_fonts``.
    """

    def _add_fonts(  # fpdf2 internals, see the module doc
        self,
        image_objects_per_index: Any,
        gfxstate_objs_per_name: Any,
        pattern_objs_per_name: Any,
    ) -> Any:
        cut = _cut_fonts()
        fonts = sorted(self.fpdf.fonts.values(), key=lambda font: font.i)
        templates = list(cut.templates.values())
        if len(fonts) != len(templates) or any(
            a is not b for a, b in zip(fonts, templates, strict=False)
        ):
            return super()._add_fonts(
                image_objects_per_index, gfxstate_objs_per_name, pattern_objs_per_name
            )
        added = []
        for frozen in cut.objects:
            obj = copy.copy(frozen)
            self._add_pdf_obj(obj, "fonts")
            added.append(obj)
        return {i: added[k] for i, k in cut.dicts.items()}


class _CutTTFont(ttLib.TTFont):  # type: ignore[misc]  # fontTools has no type hints
    """A fontTools font that is already the subset to embed: ``save`` writes the bytes made once.

    Fully loaded up front, so that fpdf2's ``close()`` cannot invalidate it.
    """

    font_bytes = b""

    def close(self) -> None:
        pass

    def save(self, file: IO[bytes], reorderTables: bool = True) -> None:
        file.write(self.font_bytes)


class _FrozenObject(PDFObject):
    """A PDF object serialised once per process and written again into every document.

    ``parts`` alternate bytes and object-number offsets relative to this object: the object's
    references are renumbered for the document it is added to, the rest is the same bytes.
    """

    def __init__(self, parts: tuple[bytes | int, ...]) -> None:
        super().__init__()
        self._parts = parts

    def serialize(  # type: ignore[override]
        self, obj_dict: Any = None, _security_handler: Any = None
    ) -> bytes:
        if _security_handler is not None:  # cards are never encrypted; refuse rather than leak
            raise ValueError("frozen fonts cannot be encrypted")
        own = self.id
        out = [b"%d 0 obj\n" % own]
        for part in self._parts:
            out.append(part if isinstance(part, bytes) else b"%d" % (own + part))
        return b"".join(out)


_REF = re.compile(rb"(\d+) 0 R\b")


def _freeze(obj: PDFObject) -> _FrozenObject:
    """``obj`` (already given its number) as a :class:`_FrozenObject`."""
    text: str | bytes = obj.serialize()
    data = text if isinstance(text, bytes) else text.encode("latin-1")
    head, _, body = data.partition(b"\n")
    if head != b"%d 0 obj" % obj.id:
        raise RuntimeError(f"unexpected PDF object header {head[:40]!r}")
    if obj.content_stream() is not None:  # font streams: no references, binary data
        return _FrozenObject((body,))
    parts: list[bytes | int] = []
    pos = 0
    for m in _REF.finditer(body):
        parts += [body[pos : m.start(1)], int(m.group(1)) - obj.id]
        pos = m.end(1)
    parts.append(body[pos:])
    return _FrozenObject(tuple(parts))


def _cut_font(path: Path) -> bytes:
    """``path`` cut down to :data:`CUT_UNICODES`, without hinting or layout tables, as bytes."""
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
    subsetter.populate(unicodes=CUT_UNICODES)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _loaded(data: bytes) -> _CutTTFont:
    font = _CutTTFont(io.BytesIO(data), recalcTimestamp=False, lazy=False)
    font.font_bytes = data
    return font


@functools.cache
def _cut_fonts() -> _CutFonts:
    """Cut, parse and serialise the fonts: once per process."""
    holder = FPDF()
    templates: dict[str, TTFFont] = {}
    cover: set[int] | None = None
    for i, (style, path) in enumerate(FONT_FILES.items(), start=1):
        data = _cut_font(path)
        fontkey = f"{FONT_FAMILY.lower()}{style}"
        font = TTFFont(holder, io.BytesIO(data), fontkey, style)  # type: ignore[arg-type]
        font.i = i  # always /F1 (regular) and /F2 (bold)
        font.ttfont = _loaded(data)
        font.ttffile = path  # only informative: fpdf2 reads it for text shaping, unused here
        # Every character's code fixed now, in code point order: the same in every document.
        picked = {uni for uni in sorted(font.cmap) if font.subset.pick(uni) is not None}
        cover = picked if cover is None else cover & picked
        templates[style] = font
    objects, dicts = _freeze_font_objects(templates)
    return _CutFonts(templates, frozenset(cover or ()), objects, dicts)


def _freeze_font_objects(
    templates: dict[str, TTFFont],
) -> tuple[tuple[_FrozenObject, ...], dict[int, int]]:
    """The cut fonts' PDF objects as fpdf2 writes them, made once with fpdf2 itself.

    Every code point of a cut font has its code already, so the font dictionaries, widths,
    ToUnicode and CIDToGIDMap are the same for every document: fpdf2's ``_add_fonts`` runs once
    here, on a throwaway document, and not per card (where it would cost tens of ms: fontTools
    subsetting and saving the fonts, the 128 KiB CIDToGIDMap built in Python and compressed).
    """
    holder = FPDF()
    protos: dict[str, tuple[TTFFont, list[str]]] = {}
    for style, template in templates.items():
        proto = copy.copy(template)
        proto.desc = copy.copy(template.desc)
        proto.ttfont = _loaded(template.ttfont.font_bytes)
        protos[style] = proto, proto.ttfont.getGlyphOrder()[:]
        holder.fonts[proto.fontkey] = proto
    producer = OutputProducer(holder)
    dicts = producer._add_fonts({}, {}, {})
    for proto, order in protos.values():
        # fpdf2 subset the prototype (keeping every glyph) and reads glyph ids from the result,
        # while the stream is the cut font as it was: their glyph orders must agree.
        if proto.ttfont.getGlyphOrder() != order:
            raise RuntimeError("fontTools reordered the glyphs of a cut font")
    objs = [obj for obj in producer.pdf_objs if isinstance(obj, PDFObject)]
    if len(objs) != len(producer.pdf_objs):
        raise RuntimeError("unexpected content among the fonts' PDF objects")
    for obj in objs:
        if isinstance(obj, PDFContentStream) and obj.filter is None:
            # fpdf2 leaves the ToUnicode CMaps uncompressed (3 kB each): compressed once here.
            obj._contents = zlib.compress(obj._contents, 9)
            obj.filter, obj.length = Name("FlateDecode"), len(obj._contents)
    objects = tuple(_freeze(obj) for obj in objs)
    index = {i: objs.index(obj) for i, obj in dicts.items()}
    return objects, index
