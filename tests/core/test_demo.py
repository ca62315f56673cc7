"""The demo generator is deterministic and realistic (issue: demo data).

One build is the real command, `kari demo`, in a subprocess on its own SQLite file; the other is
the same build in this process on the test database. Two processes hash strings with different
seeds, so an order that depends on a set or a dict of strings shows as a difference, as it did
between two subprocesses; the second build costs no process start, no migrations and no slow
password hashing (the suite's fast hasher). The demo always runs on SQLite, whatever
DATABASE_URL says, so the PostgreSQL pass of the suite does not build it again.
"""

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# `kari demo`, then `kari catalogue export` of both kinds, through the `kari` entry point in one
# process (a process start is seconds of the suite's time)
COMMANDS = """
import sys
from kari.cli import main
seed, anchor, out = sys.argv[1:]
main(["demo", "--seed", seed, "--anchor", anchor])
for kind in ("programmes", "institutions"):
    main(["catalogue", "export", kind, f"{out}/{kind}.csv"])
"""
SEED, ANCHOR = 1, "2026-11-21"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "sqlite").startswith("sqlite"),
        reason="the demo runs on SQLite: the SQLite pass builds and checks it",
    ),
]


def _command_build(tmp: Path) -> tuple[str, bytes, bytes]:
    """`kari demo` and `kari catalogue export` on a fresh SQLite database in `tmp`."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KARI_VAR_DIR"] = str(tmp)
    env["KARI_DEBUG"] = "1"  # the demo runs only in development mode (issue 11)
    out = subprocess.run(
        [sys.executable, "-c", COMMANDS, str(SEED), ANCHOR, str(tmp)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    ).stdout
    return out, (tmp / "programmes.csv").read_bytes(), (tmp / "institutions.csv").read_bytes()


def _in_process_build(tmp: Path, settings):
    from kari.demo.generator import build

    tmp.mkdir()
    settings.MEDIA_ROOT = tmp / "media"
    settings.KARI_CIVIL_REGISTRY = {**settings.KARI_CIVIL_REGISTRY, "PATH": str(tmp / "reg.json")}
    settings.KARI_MANAGEMENT_SYSTEM = {**settings.KARI_MANAGEMENT_SYSTEM, "PATH": str(tmp / "ms")}
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.FileOutboxBackend",
        "OPTIONS": {"path": str(tmp / "sms.jsonl")},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return build(seed=SEED, anchor=dt.date.fromisoformat(ANCHOR))


def _rows(blob: bytes) -> list[list[str]]:
    """The rows of an export, header first, the rest in order of their cells: the order of the
    rows is the database's (the demo's SQLite file, the test database), not the generator's."""
    header, *rows = csv.reader(io.StringIO(blob.decode("utf-8-sig")))
    return [header, *sorted(rows)]


def _command_summary(out: str) -> dict:
    """What `kari demo` printed: the counts, the round, the accounts with their TOTP secrets,
    and the first applicants of the civil registry."""
    counts = dict(re.findall(r"^  ([^:\n]+): (\d+)$", out, re.M))
    accounts = re.findall(r"^  ([a-z0-9-]+) +([A-Z2-7]{32})  (.+) — (.+)$", out, re.M)
    people = re.findall(r"^  (\d{11})  (.+)$", out, re.M)
    (round_line,) = re.findall(r"^  round being run: (.+)$", out, re.M)
    return {
        "counts": {k: int(v) for k, v in counts.items()},
        "accounts": accounts,
        "people": people,
        "round": round_line,
    }


def _result_summary(result, registry: Path) -> dict:
    r = result.round
    people = json.loads(registry.read_text("utf-8"))[:3]
    return {
        "counts": {k: int(v) for k, v in result.counts.items()},
        "accounts": [
            (a["username"], a["totp_secret"], a["roles"], a["organisation"])
            for a in result.accounts
        ],
        "people": [
            (p["personal_number"], f"{p['first_name_ka']} {p['last_name_ka']}") for p in people
        ],
        "round": (
            f"{r} (registration {r.registration_opens:%d.%m.%Y}–"
            f"{r.registration_closes:%d.%m.%Y}, test days {r.test_starts:%d.%m.%Y}–"
            f"{r.test_ends:%d.%m.%Y})"
        ),
    }


@pytest.mark.django_db
def test_same_seed_same_demo_and_it_is_realistic(tmp_path, settings):
    from django.contrib.auth import get_user_model

    from kari.catalogue import transfer
    from kari.demo.generator import DEMO_PASSWORD

    out, progs1, insts1 = _command_build(tmp_path / "command")
    result = _in_process_build(tmp_path / "here", settings)
    progs2 = transfer.export_table("programmes", "csv")
    insts2 = transfer.export_table("institutions", "csv")
    assert (_rows(progs1), _rows(insts1)) == (_rows(progs2), _rows(insts2))

    printed = _command_summary(out)
    # same accounts, TOTP secrets, counts, round and applicants
    assert printed == _result_summary(result, tmp_path / "here" / "reg.json")
    assert len(printed["accounts"]) >= 9 and len(printed["people"]) == 3

    assert "institutions: 60" in out
    assert 400 <= int(re.search(r"programmes: (\d+)", out).group(1)) <= 420  # about 400
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
        assert f"  {username} " in out
    # every demo account signs in with the demo password (one hash made for them all)
    staff = get_user_model().objects.filter(username__in=[a[0] for a in printed["accounts"]])
    assert staff.count() == len(printed["accounts"])
    assert len({u.password for u in staff}) == 1
    assert staff.first().check_password(DEMO_PASSWORD)
