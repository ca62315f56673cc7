"""The demo generator is deterministic and realistic (issue: demo data)."""

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

KARI = Path(sys.executable).parent / "kari"


def _build(tmp: Path, seed: int) -> tuple[str, bytes, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KARI_VAR_DIR"] = str(tmp)
    env["KARI_DEBUG"] = "1"  # the demo runs only in development mode (issue 11)
    out = subprocess.run(
        [KARI, "demo", "--seed", str(seed), "--anchor", "2026-11-21"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    for kind in ("programmes", "institutions"):
        subprocess.run(
            [KARI, "catalogue", "export", kind, tmp / f"{kind}.csv"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    return out, (tmp / "programmes.csv").read_bytes(), (tmp / "institutions.csv").read_bytes()


@pytest.mark.slow
def test_same_seed_same_demo_and_it_is_realistic(tmp_path):
    out1, progs1, insts1 = _build(tmp_path / "a", 1)
    out2, progs2, insts2 = _build(tmp_path / "b", 1)
    assert (progs1, insts1) == (progs2, insts2)

    def stable(out):  # the lines that name the temporary directory differ
        return [line for line in out.splitlines() if str(tmp_path) not in line]

    assert stable(out1) == stable(out2)  # same accounts, TOTP secrets, counts, applicants
    assert "institutions: 60" in out1
    assert 400 <= int(re.search(r"programmes: (\d+)", out1).group(1)) <= 420  # about 400
    rows = list(csv.DictReader(io.StringIO(insts1.decode("utf-8-sig"))))
    assert len({r["municipality"] for r in rows}) >= 20  # institutions across the country
    for username in (
        "ministry",
        "emis",
        "naec",
        "quality",
        "clerk",
        "college",
        "proctor",
        "commission",
        "host",
    ):
        assert f"  {username} " in out1
