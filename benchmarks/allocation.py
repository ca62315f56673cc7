"""Benchmark of `kari allocate` and its engine (kari.allocation) at national scale.

    .venv/bin/python benchmarks/allocation.py            # everything, in one run (about 5 min)
    .venv/bin/python benchmarks/allocation.py --sizes "" --matching-max 0    # end to end only
    .venv/bin/python benchmarks/allocation.py --e2e-sizes 100000 --plain-size 100000 \
        --exact-size 0 --sizes 100000 --matching-max 2000                   # a quick look

Synthetic instances: ranked lists of 1..10 programmes (or exactly 10), integer scores 0..30
(so ties are common), Zipf-like demand over 20,000 programmes, capacities about 85% of
applicants, 1% of programmes with capacity 0, and 10% of (applicant, programme) pairs with a
programme-specific score (A27.3/A27.4).

End to end: `kari allocate inst.json -o out.json --verify --timings` in a subprocess, warm
(numba's cache and the input file loaded by an untimed first run), best of --repeat runs,
with the time of each phase as the command reports it (start: imports and loading the
compiled engine; read; parse: JSON decoding; validate; allocate; verify: the independent
checker; write), the wall and CPU time of the whole process and its peak memory.

Against plain Python: the same instance file goes through a plain-Python deferred acceptance
(`plain_python_allocate` below: the standard library's json, dicts and heapq, the same tie
rule, explanations and output format), also end to end in a subprocess; its result file must
be byte for byte the one `kari allocate` writes. The ratio is the plain-Python wall time over
ours (ours with --verify, so doing more work).

Engine only: each size runs in its own subprocess that loads the instance arrays, warms up
numba, then times ``solve`` (best of 3); peak memory is that subprocess's ``ru_maxrss``.
The `matching` package comparison (tie-free instances, solve only) is an independent
cross-check of the results, not a speed goal.

The load average is printed before each measurement: other work on the same cores makes the
figures pessimistic; repeat the run when the machine is quiet.
"""

from __future__ import annotations

import argparse
import json
import math
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


def generate(
    n: int, n_prog: int = 20_000, seed: int = 1, exact: bool = False
) -> dict[str, np.ndarray]:
    """Synthetic instance arrays (applicant i has id A{i:08d}, programme j P{j:06d}).

    Lists have 1..MAX_LIST programmes, or exactly MAX_LIST with ``exact``.
    """
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, n_prog + 1) ** 0.9  # Zipf-like popularity
    rng.shuffle(weight)
    weight /= weight.sum()
    cdf = np.cumsum(weight)
    want = np.full(n, MAX_LIST) if exact else rng.integers(1, MAX_LIST + 1, size=n)
    width = 3 * MAX_LIST if exact else MAX_LIST + 4
    draws = np.searchsorted(cdf, rng.random((n, width)) * cdf[-1]).astype(np.int32)
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
        generate_in_child(n, n_prog, False, path, "npz")
        out, _, _ = run_child([sys.executable, __file__, "--engine-child", str(path)])
        r = json.loads(out)
        print(
            f"{n:>11,} {r['choices']:>10,} {r['engine_s']:>9.3f} {r['verify_s']:>9.3f} "
            f"{r['peak_rss_kib'] / 1024:>13.0f} {r['rss_before_solve_kib'] / 1024:>13.0f} MiB "
            f"{r['placed']:>9,} {r['extra_places']:>13,} {r['over_capacity_programmes']:>15,}"
        )
        path.unlink()


def load_average() -> str:
    one, five, _ = os.getloadavg()
    busy = "" if one < 1.5 else " (busy: figures pessimistic)"
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores{busy}"


def generate_in_child(n: int, n_prog: int, exact: bool, path: Path, kind: str) -> int:
    """Write an instance (JSON or the arrays) from a child process; return its choices.

    The parent stays small: a child started by fork inherits the parent's peak RSS
    (``ru_maxrss``), which would spoil the memory figures of later children.
    """
    args = [sys.executable, __file__, "--generate-child", str(n), str(n_prog), str(int(exact))]
    out = subprocess.run([*args, str(path), kind], check=True, capture_output=True, text=True)
    return int(out.stdout)


def generate_child(n: int, n_prog: int, exact: int, path: str, kind: str) -> None:
    arrays = generate(n, n_prog, exact=bool(exact))
    if kind == "json":
        write_instance(Path(path), arrays)
    else:
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)
    print(arrays["prefs"].size)


def write_instance(path: Path, arrays: dict[str, np.ndarray]) -> None:
    import msgspec

    path.write_bytes(msgspec.json.encode(instance_json(arrays)))


def timed_process(args: list[str]) -> tuple[int, float, float, int, str]:
    """Run a command; return (exit code, wall s, CPU s, peak RSS KiB, stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return proc.returncode, wall, cpu, usage.ru_maxrss, err


PHASES = ("start", "read", "parse", "validate", "allocate", "verify", "write")


def run_ours(kari: str, inst: Path, out: Path, repeat: int, verify: bool = True) -> dict:
    """kari allocate, warm: one untimed run, then the best of `repeat` (by wall time)."""
    args = [kari, "allocate", str(inst), "-o", str(out), "--timings"] + (
        ["--verify"] if verify else []
    )
    timed_process(args)  # warm: numba's cache, the input file in the page cache
    best = None
    for _ in range(repeat):
        code, wall, cpu, rss, err = timed_process(args)
        if code != 0:
            raise RuntimeError(f"kari allocate failed ({code}):\n{err}")
        phases = {}
        for line in err.splitlines():
            if line.startswith("kari allocate: time "):
                _, _, _, name, seconds, _ = line.split()
                phases[name] = float(seconds)
        run = {"wall": wall, "cpu": cpu, "rss": rss, "phases": phases}
        if best is None or wall < best["wall"]:
            best = run
    assert best is not None
    return best


def print_ours(label: str, run: dict) -> None:
    phases = run["phases"]
    shown = ", ".join(f"{name} {phases[name]:.2f}" for name in PHASES if name in phases)
    rest = run["wall"] - sum(phases.values())
    print(
        f"{label}: wall {run['wall']:.2f} s, CPU {run['cpu']:.2f} s, "
        f"peak RSS {run['rss'] / 1024:.0f} MiB"
    )
    print(f"    phases (s): {shown}; interpreter start and exit {rest:.2f}")


def bench_end_to_end(
    sizes: list[int], plain_size: int, exact_size: int, n_prog: int, repeat: int, tmp: Path
) -> None:
    print(
        "\n== kari allocate end to end (warm; best of "
        f"{repeat}; {n_prog:,} programmes; scores 0..{MAX_SCORE})"
    )
    kari = str(Path(sys.executable).parent / "kari")
    small = tmp / "small.json"
    write_instance(small, generate(1000, 50, seed=2))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "numba-cold"))
    t0 = time.perf_counter()
    subprocess.run(
        [kari, "allocate", str(small), "-o", str(tmp / "o.json")],
        env=env,
        check=True,
        capture_output=True,
    )
    cold = time.perf_counter() - t0
    _, warm, _, _, _ = timed_process([kari, "allocate", str(small), "-o", str(tmp / "o.json")])
    print(
        f"1,000 applicants: {cold:.2f} s with an empty numba cache (compiling), {warm:.2f} s warm"
    )
    cases = [(n, False) for n in sizes] + ([(exact_size, True)] if exact_size else [])
    if plain_size and plain_size not in sizes:
        cases.insert(0, (plain_size, False))
    for n, exact in cases:
        inst = tmp / f"inst-{n}.json"
        choices = generate_in_child(n, n_prog, exact, inst, "json")
        lists = f"lists of exactly {MAX_LIST}" if exact else f"lists of 1..{MAX_LIST}"
        print(
            f"\n{n:,} applicants, {lists} ({choices:,} choices, "
            f"mean {choices / n:.2f}); instance JSON "
            f"{inst.stat().st_size / 2**20:.0f} MiB"
        )
        out = tmp / "out.json"
        print(f"  {load_average()}")
        ours = run_ours(kari, inst, out, repeat)
        print_ours("  kari allocate --verify", ours)
        print(f"  result JSON {out.stat().st_size / 2**20:.0f} MiB")
        if n == plain_size and not exact:
            plain_out = tmp / "plain-out.json"
            print(f"  {load_average()}")
            code, wall, cpu, rss, err = timed_process(
                [sys.executable, __file__, "--plain-child", str(inst), str(plain_out)]
            )
            if code != 0:
                raise RuntimeError(f"plain Python failed ({code}):\n{err}")
            same = plain_out.read_bytes() == out.read_bytes()
            print(
                f"  plain-Python deferred acceptance: wall {wall:.2f} s, CPU {cpu:.2f} s, "
                f"peak RSS {rss / 1024:.0f} MiB; same result file byte for byte: {same}"
            )
            noverify = run_ours(kari, inst, out, repeat, verify=False)
            print_ours("  kari allocate (no --verify, the same work as plain Python)", noverify)
            print(
                f"  ratio plain Python / kari allocate --verify: {wall / ours['wall']:.1f}x wall, "
                f"{cpu / ours['cpu']:.1f}x CPU; without --verify: "
                f"{wall / noverify['wall']:.1f}x wall, {cpu / noverify['cpu']:.1f}x CPU"
            )
            plain_out.unlink()
            if not same:
                raise SystemExit("plain Python and kari allocate disagree")
        inst.unlink()
        out.unlink()


# --------------------------------------------------------------------------- plain Python


def plain_python_allocate(src: str, dst: str) -> None:
    """Deferred acceptance in plain Python, end to end: read, check, allocate, write.

    The baseline for `kari allocate`: the standard library's json, dicts and heapq, written
    as one would without numpy (no deliberate slowness). The same tie rule (A27.9: a
    programme holds everyone tied with its lowest held score), explanations and output
    format, so that the two result files can be compared byte for byte; it checks the input
    less thoroughly than kari does and does not verify its result.
    """
    import heapq

    with open(src, "rb") as handle:
        data = json.load(handle)
    capacity: dict[str, int] = {}
    for p in data["programmes"]:
        pid, cap = p["id"], p["capacity"]
        if not isinstance(pid, str) or not pid or pid in capacity:
            raise ValueError(f"programme {pid!r}: bad or duplicate id")
        if type(cap) is not int or cap < 0:
            raise ValueError(f"programme {pid!r}: bad capacity")
        capacity[pid] = cap
    prefs: dict[str, list[str]] = {}
    scores: dict[str, list[float]] = {}
    for a in data["applicants"]:
        aid, plist = a["id"], a["preferences"]
        if not isinstance(aid, str) or not aid or aid in prefs:
            raise ValueError(f"applicant {aid!r}: bad or duplicate id")
        own, common = a.get("programme_scores", {}), a.get("score")
        row = []
        for pid in plist:
            if pid not in capacity:
                raise ValueError(f"applicant {aid!r}: unknown programme {pid!r}")
            s = own.get(pid, common)
            if type(s) not in (int, float) or not math.isfinite(s):
                raise ValueError(f"applicant {aid!r}: no valid score for {pid!r}")
            row.append(s)
        if len(set(plist)) != len(plist):
            raise ValueError(f"applicant {aid!r}: a programme listed twice")
        prefs[aid], scores[aid] = plist, row
    # Each programme: a min-heap of its best `capacity` proposers, and those tied with the
    # heap's minimum beyond capacity (A27.9).
    heap: dict[str, list[tuple[float, str]]] = {p: [] for p in capacity}
    tied: dict[str, list[str]] = {p: [] for p in capacity}
    nxt = dict.fromkeys(prefs, 0)
    free = list(reversed(list(prefs)))
    while free:
        aid = free.pop()
        plist, row = prefs[aid], scores[aid]
        k = nxt[aid]
        while k < len(plist):
            p, s = plist[k], row[k]
            cap, h = capacity[p], heap[p]
            if len(h) < cap:
                heapq.heappush(h, (s, aid))
                break
            if cap == 0 or s < h[0][0]:
                k += 1
                continue
            if s == h[0][0]:
                tied[p].append(aid)
                break
            low, evicted = heapq.heapreplace(h, (s, aid))
            if h[0][0] == low:
                tied[p].append(evicted)
            else:
                for b in [*tied[p], evicted]:
                    nxt[b] += 1
                    free.append(b)
                tied[p] = []
            break
        nxt[aid] = k

    def number(x: float | None) -> float | int | None:
        return int(x) if x is not None and float(x).is_integer() else x

    cutoff = {p: (heap[p][0][0] if heap[p] else None) for p in capacity}
    programmes = {}
    for p in sorted(capacity):
        admitted = len(heap[p]) + len(tied[p])
        programmes[p] = {
            "admitted": admitted,
            "cutoff": number(cutoff[p]),
            "extra_places": max(0, admitted - capacity[p]),
        }
    assignments, explanations = {}, {}
    for aid in sorted(prefs):
        plist, row, k = prefs[aid], scores[aid], nxt[aid]
        assignments[aid] = plist[k] if k < len(plist) else None
        explanations[aid] = [
            {"programme": p, "reason": "no_places"}
            if capacity[p] == 0
            else {
                "programme": p,
                "reason": "below_cutoff",
                "cutoff": number(cutoff[p]),
                "score": number(s),
            }
            for p, s in zip(plist[:k], row[:k], strict=True)
        ]
    result = {"assignments": assignments, "programmes": programmes, "explanations": explanations}
    with open(dst, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(result, ensure_ascii=False, separators=(",", ":")))
        handle.write("\n")


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
        "--e2e-sizes", default="1000000", help="kari allocate end to end, comma-separated"
    )
    parser.add_argument(
        "--plain-size",
        type=int,
        default=300_000,
        help="size compared with plain Python end to end (0 to skip)",
    )
    parser.add_argument(
        "--exact-size",
        type=int,
        default=1_000_000,
        help=f"end to end with lists of exactly {MAX_LIST} (0 to skip)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of kari allocate")
    parser.add_argument(
        "--sizes", default="100000,1000000,3000000", help="engine-only sizes, comma-separated"
    )
    parser.add_argument("--programmes", type=int, default=20_000)
    parser.add_argument(
        "--matching-max", type=int, default=1_000_000, help="0 to skip; largest size tried"
    )
    parser.add_argument("--matching-programmes", type=int, default=10)
    parser.add_argument("--matching-timeout", type=float, default=60.0)
    parser.add_argument("--engine-child", help=argparse.SUPPRESS)
    parser.add_argument("--matching-child", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--plain-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--generate-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_child:
        n, n_prog, exact, path, kind = args.generate_child
        generate_child(int(n), int(n_prog), int(exact), path, kind)
        return
    if args.engine_child:
        engine_child(args.engine_child)
        return
    if args.matching_child:
        matching_child(*args.matching_child)
        return
    if args.plain_child:
        plain_python_allocate(*args.plain_child)
        return
    machine_info()
    print(load_average())
    with tempfile.TemporaryDirectory(prefix="kari-bench-") as tmp:
        e2e = [int(s) for s in args.e2e_sizes.split(",") if s]
        if e2e or args.plain_size or args.exact_size:
            bench_end_to_end(
                e2e, args.plain_size, args.exact_size, args.programmes, args.repeat, Path(tmp)
            )
        sizes = [int(s) for s in args.sizes.split(",") if s]
        if sizes:
            print(f"\n{load_average()}")
            bench_engine(sizes, args.programmes, Path(tmp))
    if args.matching_max:
        print(f"\n{load_average()}")
        bench_matching(args.matching_programmes, args.matching_max, args.matching_timeout)
    print(f"\n{load_average()}")


if __name__ == "__main__":
    main()
