"""Benchmarks of the exam stage (A17).

    .venv/bin/python benchmarks/exams.py                                  # every section
    .venv/bin/python benchmarks/exams.py --section distribution --applicants 50000 --centres 60

Sections live in ``SECTIONS`` (name -> function taking the parsed arguments and returning
True when its targets are met); ``--section all`` runs them in order. Sections register
themselves with the ``@section("name")`` decorator.

``service``: distribute() and the invitation job through Kari's services on PostgreSQL
(``benchmarks/exams_service.py``); needs a server, drops and recreates ``--db``.

``invitations``: the A17.3 cards, one PDF each, rendered by ``render_many`` with a process per
core (``benchmarks/invitations.py``); target 10,000 cards in <= 60 s.

``distribution``: kari.distribution (A17.2, A15.8, A12.3(e)) on a synthetic national
instance. Municipalities with coordinates from kari/catalogue/data/municipalities.json
(occupied ones skipped), applicants skewed to Tbilisi, Batumi, Kutaisi and Rustavi; the
7 skills tests and the 10 subject groups of kari/catalogue/data/tests.json; each item has
1-3 sessions (more for the items in higher demand); 20-120 seats per centre (60-120 in
the four cities), about a third
of the centres adapted, about 5% of applicants needing an adapted environment; one centre
in five hosts at most 2 sessions of an item (shorter days), a few centres host no art
sessions and a few have a quota (A17.2(b)). Total capacity suffices, Tbilisi is given
fewer seats than its applicants, so overflow to neighbouring municipalities happens.
Target: <= 30 s for 50,000 applicants over 60 centres, every plan constraint checked.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kari.distribution import Candidate, Centre, Session, check, distribute  # noqa: E402

DATA = ROOT / "kari" / "catalogue" / "data"
TARGET_SECONDS = 30.0
CARD_TARGET_SECONDS = 60.0  # A17.3: 10,000 cards

SECTIONS: dict[str, Callable[[argparse.Namespace], bool]] = {}


def section(name: str):
    """Register a benchmark section under ``name`` (run order = registration order)."""

    def register(fn: Callable[[argparse.Namespace], bool]):
        SECTIONS[name] = fn
        return fn

    return register


def machine_info() -> list[str]:
    import scipy

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kib = int(
            next(
                x
                for x in Path("/proc/meminfo").read_text().splitlines()
                if x.startswith("MemTotal")
            ).split()[1]
        )
        mem = f"{mem_kib / 2**20:.1f} GiB RAM"
    except (OSError, StopIteration):
        mem = "? RAM"
    return [
        f"machine: {cpu}; {os.cpu_count()} cores; {mem}; {platform.platform()}",
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}",
    ]


# --- distribution ------------------------------------------------------------------------

BIG_CITIES = {"tbilisi": 0.30, "batumi": 0.08, "kutaisi": 0.07, "rustavi": 0.05}
SKILLS_WEIGHTS = {
    "general": 0.22,
    "verbal_logical": 0.18,
    "numerical": 0.16,
    "mechanical": 0.14,
    "clerical": 0.12,
    "spatial": 0.10,
    "artistic": 0.08,
}
GROUP_WEIGHTS = {  # no subject above about a quarter of the applicants
    "G1": 0.14,
    "G2": 0.14,
    "G3": 0.02,
    "G4": 0.04,
    "G5": 0.08,
    "G6": 0.04,
    "G7": 0.02,
    "G8": 0.18,
    "G9": 0.18,
    "G10": 0.16,
}


def synthetic_round(n_applicants: int, n_centres: int, seed: int = 17):
    """(candidates, centres, sessions, coords) of a realistic synthetic round."""
    rng = random.Random(seed)
    munis = json.loads((DATA / "municipalities.json").read_text())["municipalities"]
    munis = [m for m in munis if not m.get("occupied") and m.get("lat") is not None]
    coords = {m["code"]: (float(m["lat"]), float(m["lon"])) for m in munis}
    tests = json.loads((DATA / "tests.json").read_text())
    skills = [t["code"] for t in tests["skills_tests"]]
    groups = {g["code"]: g["subjects"] for g in tests["subject_groups"]}

    # Applicants per municipality: the four cities take 50%, the rest spread unevenly.
    others = sorted(c for c in coords if c not in BIG_CITIES)
    raw = {c: rng.lognormvariate(0, 0.8) for c in others}
    rest = 1.0 - sum(BIG_CITIES.values())
    weight = {**BIG_CITIES, **{c: rest * w / sum(raw.values()) for c, w in raw.items()}}
    codes = sorted(weight)
    muni_of = rng.choices(codes, weights=[weight[c] for c in codes], k=n_applicants)
    skill_of = rng.choices(
        skills, weights=[SKILLS_WEIGHTS.get(s, 0.1) for s in skills], k=n_applicants
    )
    gcodes = sorted(groups, key=lambda g: int(g[1:]))
    group_of = rng.choices(
        gcodes, weights=[GROUP_WEIGHTS.get(g, 0.1) for g in gcodes], k=n_applicants
    )
    candidates = [
        Candidate(
            key=100_000 + k,
            municipality=muni_of[k],
            adapted=rng.random() < 0.05,
            items=(f"skills:{skill_of[k]}", *(f"subject:{s}" for s in groups[group_of[k]])),
        )
        for k in range(n_applicants)
    ]

    # Centres: allotted by applicants (largest remainder), Tbilisi under-provided (tight).
    share = {c: w * (0.8 if c == "tbilisi" else 1.0) for c, w in weight.items()}
    total = sum(share.values())
    ideal = {c: n_centres * w / total for c, w in share.items()}
    count = {c: int(q) for c, q in ideal.items()}
    for c in sorted(ideal, key=lambda c: (-(ideal[c] - count[c]), c))[
        : n_centres - sum(count.values())
    ]:
        count[c] += 1
    centre_munis = [c for c in sorted(count) for _ in range(count[c])]

    # Schedule: items in higher demand get more sessions (1-3); keys follow the timetable.
    demand = Counter(i for a in candidates for i in a.items)
    items = sorted(
        {f"skills:{s}" for s in skills} | {f"subject:{s}" for g in groups.values() for s in g}
    )
    # 20-120 computers; the four cities' centres are the larger ones (60-120).
    seats = [
        rng.randint(60, 120) if m in BIG_CITIES else rng.randint(20, 120) for m in centre_munis
    ]
    per_session = sum(seats)
    sessions, key = [], 1
    for item in items:
        k = min(3, max(1, math.ceil(demand[item] / (0.70 * per_session))))
        for _ in range(k):
            sessions.append(Session(key, item))
            key += 1
    by_item: dict[str, list[int]] = {}
    for s in sessions:
        by_item.setdefault(s.item, []).append(s.key)

    centres = []
    for j, muni in enumerate(centre_munis):
        short_days = rng.random() < 0.2
        no_art = rng.random() < 0.08
        hosted = []
        for item, keys in by_item.items():
            if no_art and item in ("subject:art", "skills:artistic"):
                continue
            hosted += keys[:2] if short_days else keys
        centres.append(
            Centre(
                key=j + 1,
                municipality=muni,
                seats=seats[j],
                adapted=rng.random() < 1 / 3,
                sessions=tuple(sorted(hosted)),
                quota=3 * seats[j] if rng.random() < 0.05 else None,
            )
        )
    return candidates, centres, sessions, coords


@section("distribution")
def distribution(args: argparse.Namespace) -> bool:
    print(f"== distribution: {args.applicants:,} applicants, {args.centres} centres ==")
    t0 = time.perf_counter()
    candidates, centres, sessions, coords = synthetic_round(args.applicants, args.centres)
    build = time.perf_counter() - t0
    n_items = len({s.item for s in sessions})
    print(
        f"instance: {len(coords)} municipalities, {len(centres)} centres "
        f"({sum(c.adapted for c in centres)} adapted, {sum(c.seats for c in centres):,} seats), "
        f"{len(sessions)} sessions of {n_items} items, "
        f"{sum(a.adapted for a in candidates):,} adapted applicants; built in {build:.2f} s"
    )
    tb = [c for c in centres if c.municipality == "tbilisi"]
    n_tb = sum(a.municipality == "tbilisi" for a in candidates)
    print(f"tbilisi: {n_tb:,} applicants, {len(tb)} centres, {sum(c.seats for c in tb):,} seats")
    item_of = {s.key: s.item for s in sessions}
    seats_for: Counter[str] = Counter()
    for c in centres:
        for skey in c.sessions:
            seats_for[item_of[skey]] += c.seats
    need = Counter(i for a in candidates for i in a.items)
    tight = sorted(need, key=lambda i: (-need[i] / seats_for[i], i))[:3]
    print(
        "tightest items nationally (sittings/seats): "
        + ", ".join(f"{i} {need[i]:,}/{seats_for[i]:,}" for i in tight)
    )

    t1 = time.perf_counter()
    plan = distribute(candidates, centres, sessions, coords, time_limit=args.time_limit)
    wall = time.perf_counter() - t1
    print(f"distribute(): {wall:.2f} s wall")
    for line in plan.summary():
        print("  " + line)
    loads = sorted(plan.stats.centre_load.values())
    if loads:
        print(f"  centre load: min {loads[0]}, median {loads[len(loads) // 2]}, max {loads[-1]}")
    fill = [
        n / next(c.seats for c in centres if c.key == ck)
        for ck, per in plan.stats.session_load.items()
        for n in per.values()
    ]
    if fill:
        print(
            f"  session fill: mean {100 * sum(fill) / len(fill):.1f}%, max {100 * max(fill):.1f}%"
        )

    t2 = time.perf_counter()
    problems = check(plan, candidates, centres, sessions, coords)
    print(
        f"check: {'OK' if not problems else f'{len(problems)} violations'} "
        f"({time.perf_counter() - t2:.2f} s)"
    )
    for p in problems[:20]:
        print("  " + p)
    ok = not problems and wall <= TARGET_SECONDS and plan.stats.optimal
    if args.check_order:
        shuffled = list(candidates)
        random.Random(5).shuffle(shuffled)
        same = (
            distribute(shuffled, centres[::-1], sessions[::-1], coords).to_json() == plan.to_json()
        )
        print(f"order invariance (shuffled input, same JSON): {'OK' if same else 'FAILED'}")
        ok = ok and same
    print(f"target <= {TARGET_SECONDS:.0f} s: {'met' if wall <= TARGET_SECONDS else 'MISSED'}")
    return ok


@section("invitations")
def invitation_cards(args: argparse.Namespace) -> bool:
    """A17.3: one PDF card per applicant, rendered by a process pool (benchmarks/invitations.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import invitations  # the sibling benchmark script

    print(f"== invitations: {args.cards:,} cards, one PDF each ==")
    r = invitations.run(args.cards, workers=args.workers)
    print(
        f"cards: {r['cards']:,}  workers: {r['workers']}  seconds: {r['seconds']}  "
        f"cards/s: {r['cards_per_s']}  bytes/card: {r['bytes_per_card']:,}"
    )
    print(f"cpu: {r['cpu_seconds']} s, {r['cpu_ms_per_card']} ms per card")
    limit = CARD_TARGET_SECONDS * args.cards / 10_000
    met = r["seconds"] <= limit
    print(
        f"target 10,000 cards in <= {CARD_TARGET_SECONDS:.0f} s "
        f"(<= {limit:.1f} s for {args.cards:,}): {'met' if met else 'MISSED'}"
    )
    return met


@section("service")
def service(args: argparse.Namespace) -> bool:
    """A17.2 and A17.3 end to end through Kari's services on PostgreSQL (needs a server)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import exams_service  # the sibling module

    print(
        f"== service: {args.service_applicants:,} registrations, {args.centres} centres, "
        f"PostgreSQL =="
    )
    return exams_service.run(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--section", choices=[*SECTIONS, "all"], default="all")
    parser.add_argument("--applicants", type=int, default=50_000)
    parser.add_argument("--centres", type=int, default=60)
    parser.add_argument("--cards", type=int, default=10_000, help="invitations: cards to render")
    parser.add_argument(
        "--service-applicants",
        type=int,
        default=50_000,
        help="service: registrations in the database",
    )
    parser.add_argument(
        "--service-invitations",
        action="store_true",
        help="service: also issue and render every card (slow)",
    )
    parser.add_argument(
        "--pg", default=os.environ.get("KARI_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument(
        "--db", default="kari_bench_exams", help="service: PostgreSQL database (dropped first!)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="invitations: rendering processes (default: one per core)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="distribution: HiGHS time budget in seconds (default: none, prove the optimum)",
    )
    parser.add_argument(
        "--check-order",
        action="store_true",
        help="distribution: solve again on shuffled input and compare the JSON",
    )
    args = parser.parse_args(argv)
    for line in machine_info():
        print(line)
    names = list(SECTIONS) if args.section == "all" else [args.section]
    results = {name: SECTIONS[name](args) for name in names}
    print("result: " + ", ".join(f"{n} {'ok' if r else 'FAILED'}" for n, r in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
