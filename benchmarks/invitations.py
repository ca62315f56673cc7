"""Bulk rendering of exam invitation cards (A17.3): one PDF per applicant.

    .venv/bin/python benchmarks/invitations.py                  # 10,000 cards, one worker per core
    .venv/bin/python benchmarks/invitations.py --cards 2000 --workers 1
    .venv/bin/python benchmarks/invitations.py --cards 2000 --plain   # fonts the plain fpdf2 way

Target: 10,000 cards in <= 60 s on 2 cores. The cards are synthetic but realistic: Georgian names
(a fifth with a Latin spelling), 60 exam centres, one to three sittings each, an adapted
environment for about one in fifty. They are written by ``kari.documents.invitation.render_many``
into a temporary directory, which is deleted afterwards. ``--plain`` renders the same cards with
the fonts taken the plain fpdf2 way (``add_font``, subset on every card), as the other documents
do: what the cards' cut fonts (``kari.documents.fonts``) buy.

``run(n, workers)`` returns the figures as a dict, so other benchmarks can import it::

    sys.path.insert(0, "benchmarks"); import invitations; invitations.run(1000)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kari.documents.invitation import (  # noqa: E402 (needs ROOT on sys.path)
    InvitationCard,
    InvitationSitting,
    render_many,
)

TARGET_CARDS = 10_000
TARGET_SECONDS = 60.0

FIRST = [
    "ნინო",
    "გიორგი",
    "მარიამ",
    "ლუკა",
    "ანა",
    "დავით",
    "ელენე",
    "ნიკოლოზ",
    "თამარ",
    "საბა",
    "ქეთევან",
    "ირაკლი",
    "სოფიო",
    "ზურაბ",
    "ხატია",
    "ლევან",
    "ეკატერინე",
    "ბექა",
    "ნათია",
    "ჯაბა",
    "მაკა",
    "შოთა",
    "ცოტნე",
    "ღვთისო",
    "ჭაბუკა",
    "ყოფილა",
    "ფიქრია",
    "ძაღლიკო",
]
LAST = [
    "ბერიძე",
    "მაისურაძე",
    "კაპანაძე",
    "გელაშვილი",
    "ლომიძე",
    "ჯაფარიძე",
    "ხუციშვილი",
    "წიკლაური",
    "ჩხეიძე",
    "ღლონტი",
    "ყიფიანი",
    "ჟღენტი",
    "ფხაკაძე",
    "ძნელაძე",
    "ჰაჰუტაშვილი",
    "შენგელია",
    "ცერცვაძე",
    "ჭავჭავაძე",
    "თოდუა",
    "მამედოვი",
    "ალიევა",
    "პეტროსიანი",
]
TRANSLIT = dict(
    zip(
        "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ",
        [
            "a",
            "b",
            "g",
            "d",
            "e",
            "v",
            "z",
            "t",
            "i",
            "k'",
            "l",
            "m",
            "n",
            "o",
            "p'",
            "zh",
            "r",
            "s",
            "t'",
            "u",
            "p",
            "k",
            "gh",
            "q'",
            "sh",
            "ch",
            "ts",
            "dz",
            "ts'",
            "ch'",
            "kh",
            "j",
            "h",
        ],
        strict=True,
    )
)
TOWNS = [
    "თბილისი",
    "ქუთაისი",
    "ბათუმი",
    "რუსთავი",
    "გორი",
    "ზუგდიდი",
    "ფოთი",
    "თელავი",
    "ახალციხე",
    "ოზურგეთი",
    "ამბროლაური",
    "მცხეთა",
]
TOWNS_EN = [
    "Tbilisi",
    "Kutaisi",
    "Batumi",
    "Rustavi",
    "Gori",
    "Zugdidi",
    "Poti",
    "Telavi",
    "Akhaltsikhe",
    "Ozurgeti",
    "Ambrolauri",
    "Mtskheta",
]
STREETS = [
    "რუსთაველის გამზირი",
    "ჭავჭავაძის გამზირი",
    "აღმაშენებლის ქუჩა",
    "ნინოშვილის ქუჩა",
    "თამარ მეფის ქუჩა",
    "გორგასლის ქუჩა",
]
TESTS = [
    ("მექანიკური უნარები", "Mechanical skills"),
    ("ციფრული უნარები", "Digital skills"),
    ("ვიზუალურ-სივრცითი უნარები", "Visual-spatial skills"),
    ("ქართული ენა", "Georgian language"),
    ("მათემატიკა", "Mathematics"),
    ("ინგლისური ენა", "English language"),
]


def _latin(text: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in text).capitalize()


def sample_cards(n: int, seed: int = 2026) -> list[InvitationCard]:
    """``n`` realistic, distinct invitation cards (deterministic for a seed)."""
    rnd = random.Random(seed)
    centres = []
    for c in range(60):
        t = c % len(TOWNS)
        centres.append(
            (
                f"{TOWNS[t]}ის პროფესიული კოლეჯის საგამოცდო ცენტრი № {c + 1}",
                f"{TOWNS_EN[t]} vocational college exam centre No. {c + 1}",
                f"{rnd.choice(STREETS)} {rnd.randint(1, 180)}",
                TOWNS[t],
            )
        )
    day0 = dt.date(2026, 9, 14)
    slots = [
        (dt.time(9, 30), dt.time(8, 30), dt.time(9, 15)),
        (dt.time(13, 0), dt.time(12, 0), dt.time(12, 45)),
        (dt.time(16, 30), dt.time(15, 30), dt.time(16, 15)),
    ]
    cards = []
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        latin = rnd.random() < 0.2
        name_ka, name_en, address, town = rnd.choice(centres)
        sittings = []
        for k, (item_ka, item_en) in enumerate(rnd.sample(TESTS, rnd.randint(1, 3))):
            start, opens, closes = slots[rnd.randrange(3)]
            sittings.append(
                InvitationSitting(
                    item_ka,
                    item_en,
                    day0 + dt.timedelta(days=k * 2 + rnd.randint(0, 1)),
                    start,
                    opens,
                    closes,
                    room=str(rnd.randint(101, 320)) if rnd.random() < 0.5 else "",
                )
            )
        number = f"INV-2026-A-{i + 1:06d}"
        cards.append(
            InvitationCard(
                number=number,
                round_label="2026 შემოდგომა / 2026 autumn",
                first_name=first,
                last_name=last,
                first_name_latin=_latin(first) if latin else "",
                last_name_latin=_latin(last) if latin else "",
                personal_number=f"{rnd.randint(1, 62):02d}{rnd.randint(0, 10**9 - 1):09d}",
                birth_date=dt.date(2004, 1, 1) + dt.timedelta(days=rnd.randint(0, 3000)),
                centre_name_ka=name_ka,
                centre_name_en=name_en,
                centre_address=address,
                centre_municipality=town,
                sittings=sittings,
                verify_url=f"https://kari.emis.ge/invitations/verify/{number}/"
                f"{rnd.getrandbits(64):016x}",
                issued_on=dt.date(2026, 8, 20),
                adapted_environment="ეტლით მისადგომი ოთახი, დამატებითი 30 წუთი / "
                "wheelchair access, 30 extra minutes"
                if rnd.random() < 0.02
                else "",
            )
        )
    return cards


def run(
    n: int = TARGET_CARDS, workers: int | None = None, progress=None, plain: bool = False
) -> dict:
    """Render ``n`` sample cards with ``render_many`` into a temporary directory; the figures.

    ``plain``: with the fonts taken the plain fpdf2 way rather than the cut ones."""
    cards = sample_cards(n)
    workers = workers or os.cpu_count() or 1
    out = Path(tempfile.mkdtemp(prefix="kari-invitations-"))
    try:
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        paths = render_many(cards, out, workers=workers, progress=progress, cut_fonts=not plain)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        total_bytes = sum(path.stat().st_size for path in paths)
        files = len(paths)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {
        "cards": files,
        "seconds": round(seconds, 2),
        "cards_per_s": round(files / seconds, 1) if seconds else 0.0,
        "ms_per_card_per_worker": round(seconds * 1000 * workers / files, 2) if files else 0.0,
        "workers": workers,
        "bytes_per_card": round(total_bytes / files) if files else 0,
        # CPU time of this process and the pool's (finished) workers: unlike the wall clock, it
        # does not grow when other programs share the cores.
        "cpu_seconds": round(cpu, 2),
        "cpu_ms_per_card": round(cpu * 1000 / files, 2) if files else 0.0,
    }


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for children."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def machine() -> dict:
    import fpdf

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        ram = f"{pages * page_size / 2**30:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram": ram,
        "load": load,
        "python": platform.python_version(),
        "fpdf2": fpdf.FPDF_VERSION,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=TARGET_CARDS)
    parser.add_argument(
        "--workers", type=int, default=None, help="processes (default: one per core)"
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="take the fonts the plain fpdf2 way (add_font, subset per card), for comparison",
    )
    args = parser.parse_args(argv)

    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, load {m['load']} (1/5/15 min)")
    print(f"python {m['python']}, fpdf2 {m['fpdf2']}")
    print(f"target: {TARGET_CARDS:,} cards in <= {TARGET_SECONDS:.0f} s")
    if args.plain:
        print("fonts: plain fpdf2 (add_font and subsetting per card)")

    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if done == total or now - last[0] >= 2:
            last[0] = now
            print(f"  {done:>7,} / {total:,}", flush=True)

    r = run(args.cards, args.workers, progress=progress, plain=args.plain)
    print(
        f"cards: {r['cards']:,}  workers: {r['workers']}  seconds: {r['seconds']:.2f}  "
        f"cards/s: {r['cards_per_s']:.1f}  ms/card/worker: {r['ms_per_card_per_worker']:.2f}  "
        f"bytes/card: {r['bytes_per_card']:,}"
    )
    print(
        f"cpu: {r['cpu_seconds']:.1f} s, {r['cpu_ms_per_card']:.2f} ms per card "
        f"(on {r['workers']} idle cores: {TARGET_CARDS:,} cards in "
        f"{r['cpu_ms_per_card'] * TARGET_CARDS / 1000 / r['workers']:.1f} s)"
    )
    projected = TARGET_CARDS / r["cards_per_s"] if r["cards_per_s"] else float("inf")
    met = projected <= TARGET_SECONDS
    print(
        f"{TARGET_CARDS:,} cards in <= {TARGET_SECONDS:.0f} s: "
        f"{'met' if met else 'NOT met'} ({TARGET_CARDS:,} cards at this rate: {projected:.1f} s)"
    )
    if m["load"] and float(m["load"].split()[0]) > 0.5 * (m["cores"] or 1):
        print(
            "note: the machine was busy before the run (load above); the wall-clock figures "
            "are pessimistic"
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
