"""Tests of `kari allocate` (kari.allocation.cli.main) (A27.2, A27.9, A27.10)."""

from __future__ import annotations

import json

import pytest

from kari.allocation.cli import main

GOOD = {
    "programmes": [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 0}],
    "applicants": [
        {"id": "A1", "score": 21, "preferences": ["P2", "P1"]},
        {"id": "A2", "score": 21, "preferences": ["P1"]},
        {"id": "A3", "preferences": ["P1"], "programme_scores": {"P1": 7}},
    ],
}


def write(tmp_path, data, name="inst.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_A27_9_A27_10_cli_writes_result_and_verifies(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main([str(write(tmp_path, GOOD)), "-o", str(out), "--verify"]) == 0
    result = json.loads(out.read_text())
    assert result["assignments"] == {"A1": "P1", "A2": "P1", "A3": None}
    assert result["programmes"]["P1"] == {"admitted": 2, "cutoff": 21, "extra_places": 1}
    assert result["explanations"]["A1"] == [{"programme": "P2", "reason": "no_places"}]
    assert result["explanations"]["A3"] == [
        {"programme": "P1", "reason": "below_cutoff", "cutoff": 21, "score": 7}
    ]
    err = capsys.readouterr().err
    assert "verified" in err and "1 extra places" in err
    assert {p.name for p in tmp_path.iterdir()} == {"inst.json", "out.json"}  # no temporary left


def test_A27_2_cli_without_verify_and_overwrite(tmp_path):
    out = tmp_path / "out.json"
    out.write_text("old")
    assert main([str(write(tmp_path, GOOD)), "-o", str(out)]) == 0
    assert json.loads(out.read_text())["assignments"]["A2"] == "P1"


def _mutate(**changes):
    data = json.loads(json.dumps(GOOD))
    for path, value in changes.items():
        *where, last = path.split("__")
        target = data
        for key in where:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is KeyError:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return data


BAD_INPUTS = {
    "unknown_programme": (
        _mutate(applicants__0__preferences=["P1", "P9"]),
        ['"A1"', '"preferences"', '"P9"'],
    ),
    "listed_twice": (
        _mutate(applicants__0__preferences=["P1", "P1"]),
        ['"A1"', '"preferences"', "twice"],
    ),
    "duplicate_applicant": (_mutate(applicants__1__id="A1"), ['"A1"', '"id"', "duplicate"]),
    "duplicate_programme": (_mutate(programmes__1__id="P1"), ['"P1"', '"id"', "duplicate"]),
    "negative_capacity": (_mutate(programmes__0__capacity=-1), ['"P1"', '"capacity"', ">= 0"]),
    "float_capacity": (_mutate(programmes__0__capacity=5.0), ['"P1"', '"capacity"', "integer"]),
    "bool_capacity": (_mutate(programmes__0__capacity=True), ['"P1"', '"capacity"', "integer"]),
    "missing_capacity": (
        _mutate(programmes__0__capacity=KeyError),
        ['"P1"', '"capacity"', "missing"],
    ),
    "missing_score": (
        _mutate(applicants__1__score=KeyError),
        ['"A2"', '"score"', "missing", '"P1"'],
    ),
    "missing_programme_score": (
        _mutate(applicants__2__preferences=["P1", "P2"]),
        ['"A3"', '"score"', "missing", '"P2"'],
    ),
    "string_score": (_mutate(applicants__0__score="21"), ['"A1"', '"score"', "number"]),
    "bool_score": (_mutate(applicants__0__score=True), ['"A1"', '"score"', "number"]),
    "null_score": (_mutate(applicants__0__score=None), ['"A1"', '"score"', "number"]),
    "bad_programme_score": (
        _mutate(applicants__2__programme_scores={"P1": "x"}),
        ['"A3"', "programme_scores.P1"],
    ),
    "programme_score_unknown": (
        _mutate(applicants__2__programme_scores={"P7": 1}),
        ['"A3"', "programme_scores", '"P7"'],
    ),
    "preferences_not_list": (_mutate(applicants__0__preferences="P1"), ['"A1"', '"preferences"']),
    "preference_not_string": (_mutate(applicants__0__preferences=[1]), ['"A1"', '"preferences"']),
    "missing_preferences": (
        _mutate(applicants__0__preferences=KeyError),
        ['"A1"', '"preferences"'],
    ),
    "id_not_string": (_mutate(applicants__0__id=5), ['"#0"', '"id"']),
    "unknown_field": (_mutate(applicants__0__prefs=["P1"]), ['"A1"', '"prefs"', "unknown field"]),
    "applicant_not_object": (_mutate(applicants__0=[1]), ["applicant #0"]),
    "programmes_not_list": ({"programmes": {}, "applicants": []}, ['"programmes"', "list"]),
    "missing_applicants": ({"programmes": []}, ['"applicants"', "missing"]),
    "top_not_object": ([], ["JSON object"]),
    "nan_score": (
        '{"programmes": [{"id": "P1", "capacity": 1}], "applicants": '
        '[{"id": "A1", "score": NaN, "preferences": ["P1"]}]}',
        ['"A1"', '"score"', "finite"],
    ),
    "infinite_score": (
        '{"programmes": [{"id": "P1", "capacity": 1}], "applicants": '
        '[{"id": "A1", "score": -Infinity, "preferences": ["P1"]}]}',
        ['"A1"', '"score"', "finite"],
    ),
    "malformed_json": ('{"programmes": [', ["malformed JSON"]),
    "malformed_number": (
        '{"programmes": [{"id": "P1", "capacity": 1}], "applicants": '
        '[{"id": "A1", "score": 2., "preferences": ["P1"]}]}',
        ["malformed JSON", "line 1"],
    ),
    "inexact_decimal": (
        '{"programmes": [{"id": "P1", "capacity": 1}], "applicants": '
        '[{"id": "A1", "score": 1, "preferences": ["P1"], '
        '"programme_scores": {"P1": 0.10000000000000000001}}]}',
        ['"A1"', '"programme_scores.P1"', "more digits than a 64-bit float"],
    ),
    "underflowing_score": (
        '{"programmes": [{"id": "P1", "capacity": 1}], "applicants": '
        '[{"id": "A1", "score": 1e-400, "preferences": ["P1"]}]}',
        ['"A1"', '"score"', "1e-400"],
    ),
    "score_beyond_2_53": (
        '{"programmes": [{"id": "P1", "capacity": 1}], "applicants": '
        '[{"id": "A1", "score": 9007199254740993, "preferences": ["P1"]}]}',
        ['"A1"', '"score"', "2**53"],
    ),
    "capacity_beyond_64_bits": (
        _mutate(programmes__1__capacity=2**64),
        ['"P2"', '"capacity"', "too large"],
    ),
    "duplicate_applicant_later": (
        _mutate(applicants__2__id="A2"),
        ['"A2"', '"id"', "duplicate applicant id"],
    ),
    "unknown_programme_last_in_list": (
        _mutate(applicants__2__preferences=["P1", "P2", "P3"]),
        ['"A3"', '"preferences"', 'unknown programme "P3"'],
    ),
    "empty_applicant_id": (_mutate(applicants__0__id=""), ['"#0"', '"id"', "non-empty"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_A27_2_cli_bad_input_exits_2_names_field_writes_nothing(tmp_path, capsys, case):
    data, expected = BAD_INPUTS[case]
    out = tmp_path / "out.json"
    assert main([str(write(tmp_path, data)), "-o", str(out), "--verify"]) == 2
    err = capsys.readouterr().err
    for text in expected:
        assert text in err, (text, err)
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == {"inst.json"}  # no temporary file left


def test_A27_2_cli_missing_instance_file(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main([str(tmp_path / "nope.json"), "-o", str(out)]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert not out.exists()


def test_A27_2_cli_usage_errors_exit_2(tmp_path, capsys):
    assert main([]) == 2
    assert main([str(write(tmp_path, GOOD))]) == 2  # -o is required
    assert "-o" in capsys.readouterr().err
    assert main(["--help"]) == 0


def test_A27_9_cli_verify_failure_exits_1_and_writes_nothing(tmp_path, capsys, monkeypatch):
    import kari.allocation.cli as cli

    def broken(instance, result):
        raise cli.VerificationError(
            ["programme P1: over capacity without a tie at the cut-off (A27.9)"]
        )

    monkeypatch.setattr(cli, "verify", broken)
    out = tmp_path / "out.json"
    assert main([str(write(tmp_path, GOOD)), "-o", str(out), "--verify"]) == 1
    assert "A27.9" in capsys.readouterr().err
    assert not out.exists()


def test_A27_2_cli_unwritable_output_exits_1(tmp_path, capsys):
    out = tmp_path / "missing-dir" / "out.json"
    assert main([str(write(tmp_path, GOOD)), "-o", str(out)]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_A27_2_console_command_dispatches_without_django(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out.json"
    code = (
        "import sys; from kari.cli import main; rc = main(sys.argv[1:]); "
        "assert 'django' not in sys.modules, 'django imported'; sys.exit(rc)"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "allocate",
            str(write(tmp_path, GOOD)),
            "-o",
            str(out),
            "--verify",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["programmes"]["P1"]["extra_places"] == 1


def test_A27_2_cli_progress_bar_appears_for_slow_runs(tmp_path, capsys, monkeypatch):
    import time

    import kari.allocation.cli as cli

    real_solve = cli.solve

    def slow_solve(instance):
        time.sleep(1.3)
        return real_solve(instance)

    monkeypatch.setattr(cli, "solve", slow_solve)
    assert main([str(write(tmp_path, GOOD)), "-o", str(tmp_path / "out.json")]) == 0
    err = capsys.readouterr().err
    assert "kari allocate:" in err and "%|" in err  # tqdm bar (delay=1) on stderr


def test_A27_2_cli_timings_name_each_phase(tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main([str(write(tmp_path, GOOD)), "-o", str(out), "--verify", "--timings"]) == 0
    err = capsys.readouterr().err
    for name in ("start", "read", "parse", "validate", "allocate", "verify", "write"):
        assert f"kari allocate: time {name} " in err, (name, err)


def test_A27_2_cli_leaves_scipy_importable(tmp_path):
    import sys

    out = tmp_path / "out.json"
    assert main([str(write(tmp_path, GOOD)), "-o", str(out)]) == 0
    assert sys.modules.get("scipy.linalg.cython_blas", "absent") is not None


def test_A27_2_only_the_kari_command_skips_the_exit_collection(monkeypatch):
    import gc
    import sys

    import kari.allocation.cli as cli

    registered = []
    monkeypatch.setattr(cli.atexit, "register", registered.append)
    monkeypatch.setattr(sys, "argv", ["/usr/lib/python3/pytest"])
    cli._quick_exit_when_command()
    assert registered == []
    monkeypatch.setattr(sys, "argv", ["/srv/kari/.venv/bin/kari", "allocate"])
    cli._quick_exit_when_command()
    assert registered == [gc.freeze]
