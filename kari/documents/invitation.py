"""The exam invitation card (A17.3), one PDF per applicant, fast enough for a whole round.

The caller builds :class:`~kari.documents.inputs.InvitationCard` values and calls
:func:`render_card` for one card or :func:`render_many` for a bulk run (a process pool,
``<number>.pdf`` files, a progress callback). Like the other documents the card is always
bilingual, Georgian first with the English smaller and grey, so its labels are fixed strings.

The card is one A4 page: the title with the card number and the QR code of the verification URL,
the applicant, the exam centre with its address, the applicant's sittings (date, check-in from-to,
start, test), the adapted environment if any, and the rules of A19.1-2, A20.2 and A20.6.

Speed: the target is 10,000 cards in a minute on two cores (``benchmarks/invitations.py``). The
layout uses the shared helpers of :mod:`.pdf` (documented fpdf2 calls, widths and line breaks
memoised); two things make the difference:

* the fonts come from :func:`.fonts.use_cut_fonts`, parsed and serialised once per process instead
  of once per card (a card on the plain fonts costs about twenty times as much, which misses the
  target by far: ``benchmarks/invitations.py --plain``);
* the QR code has a fixed data mask, :data:`QR_MASK`, instead of segno scoring all eight per
  card (about 6 ms of pure Python).

Output is deterministic: the PDF creation date is the card's issue date (midnight UTC).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from fpdf import FPDF

from . import fonts
from . import pdf as kpdf
from .inputs import InvitationCard, InvitationSitting
from .pdf import GREY, PT, label, paragraph, style, text

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
SITTING_HEADINGS = ["თარიღი / Date", "რეგისტრაცია / Check-in", "დაწყება / Start", "ტესტი / Test"]
ROOM = "ოთახი / Room"
ADAPTED = "ადაპტირებული გარემო / Adapted environment"
RULES = "გახსოვდეთ / Remember"
RULE_LINES = [
    (
        "თან იქონიეთ პირადობის დამადასტურებელი დოკუმენტი (დაბადების მოწმობა, პირადობის მოწმობა, "
        "ბინადრობის ნებართვა ან პასპორტი) და ეს მოსაწვევი.",
        "Bring an identity document (birth certificate, ID card, residence permit or passport) "
        "and this invitation.",
        ("მუხ. 19.1–19.2", "A19.1-2"),
    ),
    (
        "რეგისტრაციის დასრულების შემდეგ აპლიკანტი გამოცდაზე არ დაიშვება — მოდით დროულად.",
        "Nobody is admitted after check-in closes: come in time.",
        ("მუხ. 20.2", "A20.2"),
    ),
    (
        "მობილური ტელეფონი და სხვა ელექტრონული მოწყობილობა საგამოცდო ოთახში აკრძალულია.",
        "Phones and other electronic devices are not allowed in the exam room.",
        ("მუხ. 20.6", "A20.6"),
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
PAGE_H = 297.0
MARGIN = 16.0
CONTENT_W = PAGE_W - 2 * MARGIN
QR_SIZE = 34.0  # mm, quiet zone included
# The QR code's data mask. Any of the eight is valid and read by every scanner; segno scores all
# eight per code and, for the verification URLs of 1,000 sample cards, picks mask 4 for 81 % of
# them (its penalty score averages 1,586 against 1,559 for the best mask of each URL).
QR_MASK = 4
ACCENT = (27, 54, 93)


def _date(value: dt.date | str) -> str:
    return value.strftime("%d.%m.%Y") if isinstance(value, dt.date) else str(value)


def _time(value: dt.time | str) -> str:
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


# --- Layout -------------------------------------------------------------------------------------


def _label(pdf: FPDF, x: float, y: float, value: str, size: float = 7.0) -> None:
    """A small bilingual label on one line at (x, y), grey, the English a little smaller."""
    label(pdf, x, y, value, size=size, h=3.2, color=GREY, en_size=size - 0.5)


def _section(pdf: FPDF, y: float, value: str) -> float:
    """A section heading with a rule under it; returns the y below it."""
    label(pdf, MARGIN, y, value, size=10.5, h=5, bold=True, color=ACCENT, en_size=8.5, sep="  ")
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
    caption: str,
    value: str,
    size: float = 10.5,
    bold: bool = True,
    sub: str = "",
) -> float:
    """A label with its value under it (wrapping within ``w``); returns the y below it."""
    _label(pdf, x, y, caption)
    style(pdf, size, bold=bold)
    y = paragraph(pdf, x, y + 3.6, w, size * PT * 1.25, value or "—")
    if sub:
        style(pdf, size * 0.78, color=GREY)
        y = paragraph(pdf, x, y, w, size * 0.78 * PT * 1.25, sub)
    return y


def _header(pdf: FPDF, card: InvitationCard) -> float:
    ka, en = kpdf.split_label(TITLE)
    text_w = CONTENT_W - QR_SIZE - 4
    style(pdf, 19, bold=True, color=ACCENT)
    text(pdf, MARGIN, MARGIN, 8.5, ka)
    style(pdf, 12, color=GREY)
    text(pdf, MARGIN, MARGIN + 8.5, 5.5, en)
    y = MARGIN + 17
    _field(pdf, MARGIN, y, 70, NUMBER, card.number, size=11.5)
    _field(pdf, MARGIN + 74, y, text_w - 74, ROUND, card.round_label, size=10, bold=False)
    style(pdf, 6.5, color=GREY)
    text(pdf, MARGIN, y + 11.5, 3, "A17.3")

    # The QR code at the top right, the verification caption under it.
    x_qr = MARGIN + CONTENT_W - QR_SIZE
    kpdf.qr(pdf, card.verify_url, x_qr, MARGIN - 3, QR_SIZE, mask=QR_MASK)
    ka, en = kpdf.split_label(VERIFY)
    style(pdf, 6.5, color=GREY)
    text(pdf, x_qr, MARGIN - 3 + QR_SIZE - 1.5, 3, f"{ka} / {en}", align="C", w=QR_SIZE)
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
    style(pdf, 12, bold=True)
    y = paragraph(pdf, MARGIN, y, CONTENT_W, 12 * PT * 1.25, card.centre_name_ka)
    if card.centre_name_en:
        style(pdf, 9, color=GREY)
        y = paragraph(pdf, MARGIN, y, CONTENT_W, 9 * PT * 1.3, card.centre_name_en)
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
    pdf.set_fill_color(kpdf.FILL)
    pdf.rect(MARGIN, y, CONTENT_W, head_h, style="F")
    x = MARGIN
    for heading, w in zip(SITTING_HEADINGS, SITTING_WIDTHS, strict=True):
        ka, en = kpdf.split_label(heading)
        style(pdf, 8, bold=True)
        text(pdf, x + CELL_PAD, y + 0.8, 3.4, ka)
        style(pdf, 6.5, color=GREY)
        text(pdf, x + CELL_PAD, y + 4.1, 3.0, en)
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
        style(pdf, 10.5, bold=True)
        text(pdf, x, y0, 4.6, _date(s.date))
        if weekday:
            style(pdf, 7, color=GREY)
            text(pdf, x, y0 + 4.8, 3.2, weekday)
        # Check-in window, then the start.
        x += SITTING_WIDTHS[0]
        style(pdf, 10.5, bold=True)
        text(pdf, x, y0, 4.6, f"{_time(s.check_in_opens)}–{_time(s.check_in_closes)}")
        x += SITTING_WIDTHS[1]
        style(pdf, 10.5, bold=True, color=ACCENT)
        text(pdf, x, y0, 4.6, _time(s.starts_at))
        # Test: Georgian, English, room/notes.
        x += SITTING_WIDTHS[2]
        style(pdf, 9.5, bold=True)
        bottom = paragraph(pdf, x, y0, test_w, 4.2, s.item_ka)
        if s.item_en:
            style(pdf, 7.5, color=GREY)
            bottom = paragraph(pdf, x, bottom, test_w, 3.4, s.item_en)
        if extra:
            style(pdf, 7.5)
            bottom = paragraph(pdf, x, bottom, test_w, 3.4, extra)
        y = max(bottom, y0 + 8.2) + CELL_PAD
        pdf.line(MARGIN, y, MARGIN + CONTENT_W, y)
    return y + 4


def _adapted(pdf: FPDF, card: InvitationCard, y: float) -> float:
    if not card.adapted_environment:
        return y
    label(pdf, MARGIN + 3, y + 2, ADAPTED, size=8.5, h=3.6, bold=True, en_size=7, sep="  ")
    style(pdf, 9.5)
    bottom = paragraph(pdf, MARGIN + 3, y + 6.2, CONTENT_W - 6, 4.2, card.adapted_environment) + 2
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.3)
    pdf.rect(MARGIN, y, CONTENT_W, bottom - y)
    return bottom + 4


def _rules(pdf: FPDF, y: float) -> float:
    y = _section(pdf, y, RULES)
    for ka, en, (ref_ka, ref_en) in RULE_LINES:
        style(pdf, 9.5, bold=True, color=ACCENT)
        text(pdf, MARGIN, y, 4.3, "•")
        style(pdf, 9.2)
        y = paragraph(pdf, MARGIN + 5, y, CONTENT_W - 5, 4.3, f"{ka} ({ref_ka})")
        style(pdf, 7.8, color=GREY)
        y = paragraph(pdf, MARGIN + 5, y, CONTENT_W - 5, 3.5, f"{en} ({ref_en})") + 1.6
    return y


def _footer(pdf: FPDF, card: InvitationCard) -> None:
    y = PAGE_H - MARGIN - 8
    pdf.set_draw_color(kpdf.RULE)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, y, MARGIN + CONTENT_W, y)
    ka, en = kpdf.split_label(ISSUED)
    style(pdf, 7.5, color=GREY)
    text(pdf, MARGIN, y + 1.5, 3.4, f"{ka} / {en}: {_date(card.issued_on)}")
    text(pdf, MARGIN, y + 1.5, 3.4, f"კარი / Kari · № {card.number}", align="R", w=CONTENT_W)
    ka, en = kpdf.split_label(VERIFY)
    text(pdf, MARGIN, y + 5, 3.4, f"{ka} / {en}: {card.verify_url}")


def render_card(card: InvitationCard, *, cut_fonts: bool = True) -> bytes:
    """One invitation card (A17.3) as the bytes of a one-page A4 PDF.

    ``cut_fonts=False`` takes the fonts the plain way (:func:`.fonts.add_fonts`), as every other
    document does: the same card, several times slower (``benchmarks/invitations.py --plain``).
    """
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    if cut_fonts:
        fonts.use_cut_fonts(pdf, _card_texts(card))
    else:
        fonts.add_fonts(pdf)
    pdf.set_margins(left=MARGIN, top=MARGIN, right=MARGIN)
    pdf.set_auto_page_break(auto=False)
    kpdf.set_metadata(pdf, f"{kpdf.split_label(TITLE)[0]} / Exam invitation {card.number}")
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
    return bytes(pdf.output(output_producer_class=fonts.CutFontsOutputProducer))


# --- Bulk ---------------------------------------------------------------------------------------


def _render_chunk(cards: list[InvitationCard], out_dir: str, cut_fonts: bool) -> list[str]:
    paths = []
    for card in cards:
        path = Path(out_dir) / f"{card.number}.pdf"
        partial = path.with_name(f".{path.name}.part")
        partial.write_bytes(render_card(card, cut_fonts=cut_fonts))
        partial.replace(path)  # a reader never sees half a file
        paths.append(str(path))
    return paths


def render_many(
    cards: Sequence[InvitationCard],
    out_dir: str | os.PathLike[str],
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int | None = None,
    cut_fonts: bool = True,
) -> list[Path]:
    """Write ``<number>.pdf`` for every card into ``out_dir``; returns the paths in card order.

    Cards are rendered by a pool of ``workers`` processes (default: one per CPU; ``workers=1``
    renders in this process) in chunks; ``progress(done, total)`` is called in this process after
    each chunk, the last call with ``done == total`` (and once with ``(0, total)`` up front).
    An existing file of the same name is replaced. The bytes do not depend on ``workers``.
    ``cut_fonts`` as for :func:`render_card`.
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
            _render_chunk(chunk, str(out), cut_fonts)
            done += len(chunk)
            if progress:
                progress(done, total)
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks))) as pool:
            futures = {
                pool.submit(_render_chunk, chunk, str(out), cut_fonts): len(chunk)
                for chunk in chunks
            }
            for future in as_completed(futures):
                future.result()
                done += futures[future]
                if progress:
                    progress(done, total)
    return [out / f"{number}.pdf" for number in numbers]
