"""``kari allocate INSTANCE.json -o RESULT.json [--verify]`` (A27.2).

Exit codes: 0 success; 1 the checker rejected the result (``--verify``) or
the output could not be written; 2 bad usage or bad input (the message names
the applicant or programme and the field). No output file is written unless
the run succeeds; the output is written atomically (temporary file + rename).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile

from tqdm import tqdm

from kari.allocation.checker import VerificationError, verify
from kari.allocation.instance import InstanceError, load
from kari.allocation.result import to_json
from kari.allocation.solver import solve

__all__ = ["main"]


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
    return parser


def _write_atomically(path: str, data: dict) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".kari-allocate-", suffix=".tmp", dir=directory)
    try:
        # json.dumps (one C call) is much faster than json.dump's chunked writes.
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    # Millions of small dicts and lists: the cyclic GC would only slow parsing
    # and writing down (there are no cycles to collect here).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(args)
    finally:
        if was_enabled:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    phases = ["parse", "allocate"] + (["verify"] if args.verify else []) + ["write"]
    with tqdm(
        total=len(phases), delay=1, file=sys.stderr, desc="kari allocate", unit="phase"
    ) as bar:

        def phase(name: str) -> None:
            bar.set_postfix_str(name, refresh=False)

        phase("parse")
        try:
            instance = load(args.instance)
        except InstanceError as exc:
            bar.close()
            print(f"kari allocate: error: {args.instance}: {exc}", file=sys.stderr)
            return 2
        bar.update()
        phase("allocate")
        result = solve(instance)
        bar.update()
        if args.verify:
            phase("verify")
            try:
                verify(instance, result)
            except VerificationError as exc:
                bar.close()
                print(f"kari allocate: {exc}", file=sys.stderr)
                return 1
            bar.update()
        phase("write")
        try:
            _write_atomically(args.output, to_json(instance, result))
        except OSError as exc:
            bar.close()
            print(
                f"kari allocate: error: cannot write {args.output}: {exc.strerror}", file=sys.stderr
            )
            return 1
        bar.update()
    print(
        f"kari allocate: {instance.n_applicants} applicants, "
        f"{int((result.assignment >= 0).sum())} placed, "
        f"{result.total_extra_places} extra places (A27.10)"
        + (", verified" if args.verify else ""),
        file=sys.stderr,
    )
    return 0
