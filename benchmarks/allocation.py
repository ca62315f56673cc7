"""Benchmark of the allocation engine (kari.allocation) at national scale.

    .venv/bin/python benchmarks/allocation.py                      # 100k, 1M, 3M + CLI + matching
    .venv/bin/python benchmarks/allocation.py --sizes 100000 --cli-size 100000 --matching-max 2000

Synthetic instances: ranked lists of 1..10 programmes, integer scores 0..30
(so ties are common), Zipf-like demand over 20,000 programmes, capacities
about 85% of applicants, 1% of programmes with capacity 0, and 10% of
(applicant, programme) pairs with a programme-specific score (A27.3/A27.4).

Each engine size runs in its own subprocess that loads the instance arrays,
warms up numba, then times ``solve`` (best of 3). Peak memory is that
subprocess's ``ru_maxrss`` (peak resident set: Python, numpy, numba, the
instance arrays, the engine and its explanations); tracemalloc would miss
numba's and part of numpy's allocations.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MAX_LIST = 10
MAX_SCORE = 30


def generate(n: int, n_prog: int = 20_000, seed: int = 1) -> dict[str, np.ndarray]:
    """Synthetic instance arrays (applicant i has id A{i:08d}, programme j P{j:06d})."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, n_prog + 1) ** 0.9  # Zipf-like popularity
    rng.shuffle(weight)
    weight /= weight.sum()
    cdf = np.cumsum(weight)
    want = rng.integers(1, MAX_LIST + 1, size=n)
    draws = np.searchsorted(cdf, rng.random((n, MAX_LIST + 4)) * cdf[-1]).astype(np.int32)
    np.minimum(draws, n_prog - 1, out=draws)
    # Keep the first occurrence of each programme in a row, up to `want` of them.
    order = np.argsort(draws, axis=1, kind="stable")
    srt = np.take_along_axis(draws, order, axis=1)
    dup_sorted = np.zeros_like(srt, dtype=bool)
    dup_sorted[:, 1:] = srt[:, 1:] == srt[:, :-1]
    dup = np.empty_like(dup_sorted)
    np.put_along_axis(dup, order, dup_sorted, axis=1)
    del order, srt, dup_sorted
    keep = ~dup
    keep &= np.cumsum(keep, axis=1) <= want[:, None]
    lengths = keep.sum(axis=1).astype(np.int64)
    prefs = draws[keep]
    del draws, keep, dup
    common = rng.integers(0, MAX_SCORE + 1, size=n).astype(np.float64)
    row = np.repeat(np.arange(n), lengths)
    scores = common[row]
    own = rng.random(prefs.size) < 0.10
    scores[own] = rng.integers(0, MAX_SCORE + 1, size=int(own.sum()))
    capacity = np.floor(0.85 * n * np.sqrt(weight) / np.sqrt(weight).sum()).astype(np.int64)
    capacity[rng.random(n_prog) < 0.01] = 0
    return {
        "lengths": lengths,
        "prefs": prefs,
        "scores": scores,
        "common": common,
        "own": own,
        "capacity": capacity,
    }


def ids(prefix: str, n: int, width: int) -> list[str]:
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def build_instance(arrays: dict[str, np.ndarray]):
    from kari.allocation import from_arrays

    n, n_prog = arrays["lengths"].size, arrays["capacity"].size
    return from_arrays(
        ids("A", n, 8),
        ids("P", n_prog, 6),
        arrays["capacity"],
        arrays["lengths"],
        arrays["prefs"],
        arrays["scores"],
    )


def instance_json(arrays: dict[str, np.ndarray]) -> dict:
    """The same instance in the CLI's JSON format (programme_scores where they differ)."""
    lengths = arrays["lengths"].tolist()
    prefs = arrays["prefs"].tolist()
    scores = arrays["scores"].astype(np.int64).tolist()
    own = arrays["own"].tolist()
    common = arrays["common"].astype(np.int64).tolist()
    pids = ids("P", arrays["capacity"].size, 6)
    programmes = [
        {"id": p, "capacity": c} for p, c in zip(pids, arrays["capacity"].tolist(), strict=True)
    ]
    applicants = []
    k = 0
    for i, n in enumerate(lengths):
        app = {
            "id": f"A{i:08d}",
            "score": common[i],
            "preferences": [pids[j] for j in prefs[k : k + n]],
        }
        extra = {pids[prefs[j]]: scores[j] for j in range(k, k + n) if own[j]}
        if extra:
            app["programme_scores"] = extra
        applicants.append(app)
        k += n
    return {"programmes": programmes, "applicants": applicants}


# --------------------------------------------------------------------------- children


def engine_child(path: str) -> None:
    from kari.allocation import solve, verify

    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    warm = build_instance(generate(1000, 50, seed=2))
    solve(warm)  # numba: load from cache (or compile)
    instance = build_instance(arrays)
    del arrays
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = solve(instance)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    verify(instance, result)
    verify_time = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "engine_s": min(times),
                "engine_all_s": times,
                "verify_s": verify_time,
                "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "rss_before_solve_kib": rss_before,
                "extra_places": result.total_extra_places,
                "placed": int((result.assignment >= 0).sum()),
                "choices": int(instance.prefs.size),
                "over_capacity_programmes": int((result.extra_places > 0).sum()),
            }
        )
    )


def strict_instance(n: int, n_prog: int, seed: int = 3):
    """Few programmes, distinct scores (no ties): a case `matching` also solves."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 6, size=n)
    prefs = np.concatenate([rng.choice(n_prog, size=k, replace=False) for k in lengths.tolist()])
    common = rng.permutation(n).astype(np.float64)
    scores = np.repeat(common, lengths)
    capacity = np.full(n_prog, max(1, int(0.8 * n / n_prog)), dtype=np.int64)
    return lengths, prefs.astype(np.int32), scores, capacity


def matching_child(n: int, n_prog: int) -> None:
    sys.setrecursionlimit(10**6)
    threading.stack_size(512 * 1024 * 1024)
    out: dict = {}

    def run() -> None:
        import warnings

        from matching.games import HospitalResident

        from kari.allocation import from_arrays, solve

        lengths, prefs, scores, capacity = strict_instance(n, n_prog)
        aids, pids = ids("A", n, 8), ids("P", n_prog, 6)
        resident_prefs, applicants_of = {}, {p: [] for p in pids}
        k = 0
        for i, m in enumerate(lengths.tolist()):
            resident_prefs[aids[i]] = [pids[j] for j in prefs[k : k + m].tolist()]
            for j in prefs[k : k + m].tolist():
                applicants_of[pids[j]].append((-scores[k], aids[i]))
            k += m
        hospital_prefs = {p: [a for _, a in sorted(v)] for p, v in applicants_of.items()}
        caps = dict(zip(pids, capacity.tolist(), strict=True))
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, caps)
        t1 = time.perf_counter()
        matched = game.solve(optimal="resident")
        t2 = time.perf_counter()
        theirs = {r.name: h.name for h, rs in matched.items() for r in rs}

        instance = from_arrays(aids, pids, capacity, lengths, prefs, scores)
        solve(instance)  # warm-up
        reps, t3 = 0, time.perf_counter()
        while reps < 5 or time.perf_counter() - t3 < 0.5:
            result = solve(instance)
            reps += 1
        ours_s = (time.perf_counter() - t3) / reps
        ours = {
            instance.applicant_ids[a]: instance.programme_ids[p]
            for a, p in enumerate(result.assignment.tolist())
            if p >= 0
        }
        out.update(setup_s=t1 - t0, solve_s=t2 - t1, ours_s=ours_s, agree=ours == theirs)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    print(json.dumps(out))


# --------------------------------------------------------------------------- parent


def machine_info() -> None:
    import numba

    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {cpu}; {os.cpu_count()} cores; {mem:.1f} GiB RAM; {platform.platform()}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}")


def run_child(args: list[str], timeout: float | None = None, env: dict | None = None):
    """Run a child process; return (stdout, wall seconds, peak RSS KiB) or None on timeout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{args} failed ({proc.returncode}):\n{err}")
    return out, wall, _child_peak_kib()


_last_children_peak = 0


def _child_peak_kib() -> int:
    """RUSAGE_CHILDREN max RSS (the largest child so far)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def bench_engine(sizes: list[int], n_prog: int, tmp: Path) -> None:
    print(
        f"\n== engine (warm; best of 3; {n_prog} programmes; lists of 1..{MAX_LIST}; "
        f"scores 0..{MAX_SCORE})"
    )
    print(
        f"{'applicants':>11} {'choices':>10} {'engine s':>9} {'verify s':>9} {'peak RSS MiB':>13} "
        f"{'RSS before solve':>17} {'placed':>9} {'extra places':>13} {'progs over cap':>15}"
    )
    for n in sizes:
        path = tmp / f"inst-{n}.npz"
        np.savez(path, **generate(n, n_prog))
        out, _, _ = run_child([sys.executable, __file__, "--engine-child", str(path)])
        r = json.loads(out)
        print(
            f"{n:>11,} {r['choices']:>10,} {r['engine_s']:>9.3f} {r['verify_s']:>9.3f} "
            f"{r['peak_rss_kib'] / 1024:>13.0f} {r['rss_before_solve_kib'] / 1024:>13.0f} MiB "
            f"{r['placed']:>9,} {r['extra_places']:>13,} {r['over_capacity_programmes']:>15,}"
        )
        path.unlink()


def bench_cli(n: int, n_prog: int, tmp: Path) -> None:
    print(f"\n== CLI end to end: kari allocate inst.json -o out.json --verify ({n:,} applicants)")
    kari = str(Path(sys.executable).parent / "kari")
    # Cold numba compile, measured with an empty numba cache directory.
    small = tmp / "small.json"
    small.write_text(json.dumps(instance_json(generate(1000, 50, seed=2))))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "numba-cold"))
    _, cold, _ = run_child(
        [kari, "allocate", str(small), "-o", str(tmp / "small-out.json")], env=env
    )
    _, warm, _ = run_child([kari, "allocate", str(small), "-o", str(tmp / "small-out.json")])
    print(
        f"1,000-applicant instance: {cold:.2f} s with a cold numba cache (JIT compile), "
        f"{warm:.2f} s cached"
    )
    t0 = time.perf_counter()
    inst = tmp / "inst.json"
    with open(inst, "w") as handle:
        json.dump(instance_json(generate(n, n_prog)), handle, separators=(",", ":"))
    size_mb = inst.stat().st_size / 2**20
    print(f"instance JSON: {size_mb:.0f} MiB (written in {time.perf_counter() - t0:.1f} s)")
    out = tmp / "out.json"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [kari, "allocate", str(inst), "-o", str(out), "--verify"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    last = err.strip().splitlines()[-1] if err.strip() else ""
    print(
        f"exit {code}; wall {wall:.2f} s; peak RSS {usage.ru_maxrss / 1024:.0f} MiB; "
        f"result JSON {out.stat().st_size / 2**20:.0f} MiB"
        if out.exists()
        else f"exit {code}"
    )
    print(f"stderr (last line): {last}")
    inst.unlink()
    if out.exists():
        out.unlink()


def bench_matching(n_prog: int, max_n: int, timeout: float) -> None:
    print(
        f"\n== versus matching.games.HospitalResident (resident-optimal; {n_prog} programmes, "
        f"lists of 1..5, distinct scores; {timeout:.0f} s limit per size)"
    )
    print(
        f"{'applicants':>11} {'matching setup s':>17} {'matching solve s':>17} {'ours s':>10} "
        f"{'ratio (solve)':>14} {'same result':>12}"
    )
    best = None
    n = 500
    while n <= max_n:
        res = run_child(
            [sys.executable, __file__, "--matching-child", str(n), str(n_prog)], timeout=timeout
        )
        if res is None:
            print(f"{n:>11,} did not finish within {timeout:.0f} s")
            break
        r = json.loads(res[0])
        ratio = r["solve_s"] / r["ours_s"]
        print(
            f"{n:>11,} {r['setup_s']:>17.2f} {r['solve_s']:>17.2f} {r['ours_s']:>10.6f} "
            f"{ratio:>13,.0f}x {str(r['agree']):>12}"
        )
        best = (n, ratio)
        n *= 2
    if best:
        print(
            f"largest size matching finished: {best[0]:,} applicants; "
            f"ours is {best[1]:,.0f}x faster (solve only)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="100000,1000000,3000000", help="engine sizes, comma-separated"
    )
    parser.add_argument("--programmes", type=int, default=20_000)
    parser.add_argument("--cli-size", type=int, default=1_000_000, help="0 to skip the CLI run")
    parser.add_argument(
        "--matching-max", type=int, default=1_000_000, help="0 to skip; largest size tried"
    )
    parser.add_argument("--matching-programmes", type=int, default=10)
    parser.add_argument("--matching-timeout", type=float, default=60.0)
    parser.add_argument("--engine-child", help=argparse.SUPPRESS)
    parser.add_argument("--matching-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_child:
        engine_child(args.engine_child)
        return
    if args.matching_child:
        matching_child(*args.matching_child)
        return
    machine_info()
    with tempfile.TemporaryDirectory(prefix="kari-bench-") as tmp:
        sizes = [int(s) for s in args.sizes.split(",") if s]
        if sizes:
            bench_engine(sizes, args.programmes, Path(tmp))
        if args.cli_size:
            bench_cli(args.cli_size, args.programmes, Path(tmp))
    if args.matching_max:
        bench_matching(args.matching_programmes, args.matching_max, args.matching_timeout)


if __name__ == "__main__":
    main()
