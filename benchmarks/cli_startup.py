"""Start-up cost of each `kari` subcommand's imports: why kari/cli.py imports them lazily.

    .venv/bin/python benchmarks/cli_startup.py [--runs 9]

Each figure is the median, over fresh interpreters, of the time to import a module set
(measured inside the interpreter, so Python's own start-up is left out). `kari allocate`
needs only kari.allocation.cli, `kari credential` only kari.credentials.cli, every other
subcommand django.core.management; the "+" rows are what a subcommand would pay if kari/cli.py
imported the others at the top.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACKS = {
    "kari allocate": "kari.allocation.cli",
    "kari credential": "kari.credentials.cli",
    "django commands": "django.core.management",
}


def timed_import(modules: str, runs: int) -> float:
    code = (
        "import time, importlib; s = time.perf_counter()\n"
        f"for m in {modules.split(',')!r}: importlib.import_module(m)\n"
        "print(time.perf_counter() - s)"
    )
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {platform.platform()}")
    print(f"python {platform.python_version()}; median of {runs} fresh interpreters\n")
    own = {name: timed_import(mod, runs) for name, mod in STACKS.items()}
    everything = timed_import(",".join(STACKS.values()), runs)
    for name, seconds in own.items():
        print(f"{name:16} own imports {seconds:6.3f} s; with all at the top {everything:6.3f} s")


if __name__ == "__main__":
    main()
