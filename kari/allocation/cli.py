"""``kari allocate INSTANCE.json -o RESULT.json [--verify] [--timings]`` (A27.2).

Exit codes: 0 success; 1 the checker rejected the result (``--verify``) or
the output could not be written; 2 bad usage or bad input (the message names
the applicant or programme and the field). No output file is written unless
the run succeeds; the output is written atomically (temporary file + rename).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from tqdm import tqdm

from kari.allocation.checker import VerificationError, verify
from kari.allocation.instance import Instance, InstanceError, load, loads
from kari.allocation.result import dumps
from kari.allocation.solver import solve

__all__ = ["main"]

T = TypeVar("T")

_TINY = (
    b'{"programmes":[{"id":"P","capacity":0}],'
    b'"applicants":[{"id":"A","score":0.5,"preferences":["P"],"programme_scores":{"P":1}}]}'
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kari allocate",
        description="Allocate applicants to programmes by deferred acceptance (A27.2, A27.9).",
    )
    parser.add_argument("instance", help="instance JSON file")
    parser.add_argument("-o", "--output", required=True, help="result JSON file to write")
    parser.add_argument(
        "--verify", action="store_true", help="check the result with the independent checker"
    )
    parser.add_argument(
        "--timings",
        action="store_true",
        help="print the seconds spent in each phase on stderr",
    )
    return parser


def _write_atomically(path: str, data: memoryview) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".kari-allocate-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _without_scipy_blas_probe() -> Iterator[None]:
    """Keep numba's first load from importing scipy.linalg (about 0.3 s of each run).

    numba imports ``scipy.linalg.cython_blas`` once, only to decide whether its
    ``np.correlate``/``np.convolve`` may call BLAS; the allocation engine uses
    neither, and without it numba uses its own loop for them. Nothing is
    blocked once scipy.linalg has been imported, and the block ends here.
    """
    name = "scipy.linalg.cython_blas"
    if name in sys.modules or "numba.np.arraymath" in sys.modules:
        yield
        return
    sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]


def _warm_up() -> None:
    """Load the compiled engine (numba's cache) on a tiny instance."""
    with _without_scipy_blas_probe():
        instance = loads(_TINY)
        dumps(instance, solve(instance))


def _quick_exit_when_command() -> None:
    """Let the `kari` command skip the cyclic GC at interpreter exit (0.2-0.4 s a run).

    At exit Python collects cycles over every object left, numba's large graph
    included, for nothing: the process ends. Freezing them first (``gc.freeze``,
    at exit only) skips that. Only when this process is the ``kari`` command, so
    a program that calls ``main`` itself keeps its own exit as it was.
    """
    if os.path.basename(sys.argv[0]) == "kari":
        atexit.register(gc.freeze)


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    _quick_exit_when_command()
    # Millions of small objects while parsing: the cyclic GC would only slow it
    # down (there are no cycles to collect here).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(args)
    finally:
        if was_enabled:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    phases = ["start", "parse", "allocate"] + (["verify"] if args.verify else []) + ["write"]
    timings: dict[str, float] = {}
    with tqdm(
        total=len(phases), delay=1, file=sys.stderr, desc="kari allocate", unit="phase"
    ) as bar:

        def phase(name: str, work: Callable[[], T]) -> T:
            bar.set_postfix_str(name, refresh=False)
            start = time.perf_counter()
            try:
                return work()
            finally:
                timings.setdefault(name, time.perf_counter() - start)
                bar.update()

        phase("start", _warm_up)
        try:
            instance: Instance = phase("parse", lambda: load(args.instance, timings))
        except InstanceError as exc:
            bar.close()
            print(f"kari allocate: error: {args.instance}: {exc}", file=sys.stderr)
            return 2
        result = phase("allocate", lambda: solve(instance))
        if args.verify:
            try:
                phase("verify", lambda: verify(instance, result))
            except VerificationError as exc:
                bar.close()
                print(f"kari allocate: {exc}", file=sys.stderr)
                return 1
        try:
            phase("write", lambda: _write_atomically(args.output, dumps(instance, result)))
        except OSError as exc:
            bar.close()
            print(
                f"kari allocate: error: cannot write {args.output}: {exc.strerror}", file=sys.stderr
            )
            return 1
    print(
        f"kari allocate: {instance.n_applicants} applicants, "
        f"{int((result.assignment >= 0).sum())} placed, "
        f"{result.total_extra_places} extra places (A27.10)"
        + (", verified" if args.verify else ""),
        file=sys.stderr,
    )
    if args.timings:
        for name in ("start", "read", "parse", "validate", "allocate", "verify", "write"):
            if name in timings:
                print(f"kari allocate: time {name} {timings[name]:.3f} s", file=sys.stderr)
    return 0
