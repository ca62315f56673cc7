"""A whole round through Kari's services on PostgreSQL (issue 20): `kari simulate` at scale.

    .venv/bin/python benchmarks/round.py [--applicants 10000,100000] [--seed 1]
        [--pg postgres://postgres@127.0.0.1:5432] [--db kari_bench_round] [--workers 2]
        [--out DIR]

For each number of applicants it runs ``kari simulate --applicants N --database <pg>/<db>
--fresh --report <out>/N`` in a process of its own (the database is dropped and created
first), then prints the machine, the load average, the time and CPU time per stage, the peak
memory (the simulation's process and its workers) and whether every check passed. "CPU s" is
the simulation's process, "children" its worker processes (the simulated people's flows side
by side on PostgreSQL, kari.simulation.parallel, and the PDF workers), "DB s" the PostgreSQL
backends (read from /proc): unlike wall time, other load on the machine does not inflate them,
so the idle-machine time is estimated from them. PDFs are included: invitation cards, the
signed ranking documents, contracts and enrolment acts.

Goals on a 2-core machine: 10,000 applicants through the whole round in <= 5 minutes, 100,000
in <= 30 minutes. The stage that holds a run back is named with its share of the time; the
figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {10_000: 5 * 60, 100_000: 30 * 60}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", default="10000,100000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="kari_bench_round")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes: the simulated people's flows side by side, and the PDFs",
    )
    parser.add_argument("--out", default=str(ROOT / "var" / "bench-round"))
    parser.add_argument(
        "--async-commit",
        action="store_true",
        help="the simulation's PostgreSQL session with synchronous_commit=off: measures Kari, "
        "not the fsync latency of a shared disk (each applicant's flow commits some ten times)",
    )
    args = parser.parse_args(argv)
    print(f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before: {os.getloadavg()}")
    ok = True
    for n in [int(x) for x in args.applicants.split(",") if x.strip()]:
        out = Path(args.out) / str(n)
        cmd = [
            str(ROOT / ".venv" / "bin" / "kari"),
            "simulate",
            f"--applicants={n}",
            f"--seed={args.seed}",
            f"--database={args.pg.rstrip('/')}/{args.db}"
            + ("?options=-c%20synchronous_commit%3Doff" if args.async_commit else ""),
            "--fresh",
            f"--workers={args.workers}",
            f"--report={out}",
        ]
        env = {**os.environ, "KARI_DEBUG": "1"}
        print(f"\n== {n:,} applicants: {' '.join(cmd[1:])}", flush=True)
        began = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=ROOT, check=False)
        wall = time.perf_counter() - began
        report = out / "report.json"
        if not report.exists():
            print(f"no report: the simulation stopped (exit status {proc.returncode})")
            ok = False
            continue
        ok &= summarise(json.loads(report.read_text("utf-8")), wall, n)
        print(f"load average after: {os.getloadavg()}")
    return 0 if ok else 1


def summarise(data: dict, wall: float, n: int) -> bool:
    """The time per stage; CPU seconds of the simulation's process ("CPU"), its child
    processes (the simulated people's workers and the PDF workers, "children") and the
    PostgreSQL backends (its own and the workers', "DB"): with the wall time on a machine
    others load, the CPU seconds tell what the round costs on an idle one."""
    stages = data["stages"]
    total = sum(s["seconds"] for s in stages)
    print(f"\n{'stage':<52} {'wall s':>8} {'CPU s':>7} {'children':>8} {'DB s':>7} {'share':>6}")
    for s in stages:
        share = s["seconds"] / total if total else 0
        db = s.get("db_cpu_seconds", 0) + s.get("worker_db_cpu_seconds", 0)
        print(
            f"{s['title'][:52]:<52} {s['seconds']:>8.1f} {s.get('cpu_seconds', 0):>7.1f} "
            f"{s.get('children_cpu_seconds', 0):>8.1f} {db:>7.1f} {share:>6.0%}  {s['status']}"
        )
    own = sum(s.get("cpu_seconds", 0) for s in stages)
    children = sum(s.get("children_cpu_seconds", 0) for s in stages)
    db = sum(s.get("db_cpu_seconds", 0) + s.get("worker_db_cpu_seconds", 0) for s in stages)
    cpu = own + children + db
    cores = os.cpu_count() or 1
    print(
        f"CPU seconds: parent {own:.1f}, children {children:.1f}, PostgreSQL backends {db:.1f}: "
        f"{cpu:.1f} in all, {1000 * cpu / n:.0f} ms per applicant; on an idle {cores}-core "
        f"machine at least {cpu / cores:.0f} s of wall time"
    )
    slowest = max(stages, key=lambda s: s["seconds"])
    costliest = max(
        stages,
        key=lambda s: (
            s.get("cpu_seconds", 0)
            + s.get("children_cpu_seconds", 0)
            + s.get("db_cpu_seconds", 0)
            + s.get("worker_db_cpu_seconds", 0)
        ),
    )
    goal = GOALS.get(n)
    print(
        f"{'total (the round, without migrating)':<52} {total:>8.1f}\n"
        f"command wall time {wall:.1f} s; peak memory {data['peak_memory_mb']:.0f} MB; "
        f"checks {'all passed' if data['passed'] else 'FAILED'}; slowest stage: "
        f"{slowest['title']} ({slowest['seconds'] / total:.0%} of the wall time); the most CPU: "
        f"{costliest['title']}"
    )
    for c in data["checks"]:
        print(f"  {'ok  ' if c['ok'] else 'FAIL'} {c['name']}: {c['detail'][:160]}")
    if goal and not data["passed"]:
        failed = [s["title"] for s in stages if s["status"] == "failed"]
        print(f"goal {goal / 60:.0f} min: not measured (the run failed: {', '.join(failed)})")
    elif goal:
        print(
            f"goal {goal / 60:.0f} min: {'met' if total <= goal else 'NOT met'} "
            f"(idle-machine estimate {'met' if cpu / cores <= goal else 'NOT met'})"
        )
    return bool(data["passed"])


if __name__ == "__main__":
    sys.exit(main())
