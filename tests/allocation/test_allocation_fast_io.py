"""The fast reader and writer of `kari allocate` against the reference path (A27.2).

`loads` decodes with msgspec and validates with numpy; `parse` (the standard
library's decoder and plain Python) is the reference. On any input both must
give the same instance, or the same error naming the applicant or programme
and the field. `dumps` must write the bytes the standard library writes for
`to_json`.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from alloc_support import PROFILE, instances
from hypothesis import assume, given
from hypothesis import strategies as st

from kari.allocation import InstanceError, dumps, from_lists, loads, parse, solve, to_json
from kari.allocation.instance import (
    _DECODER,
    _RAW_LISTS_DECODER,
    _AsStrings,
    _NotFast,
    _validate,
    parse_json_text,
)

FIELDS = ("applicant_ids", "programme_ids", "capacity", "offsets", "prefs", "scores")


def reference(raw: bytes):
    """The reference path's outcome: an Instance, or the error message."""
    try:
        return parse(parse_json_text(raw))
    except InstanceError as exc:
        return str(exc)


def fast(raw: bytes, decoders=(_RAW_LISTS_DECODER, _DECODER)):
    """The fast path alone (no fall back): an Instance, or None when it does not accept."""
    for decoder in decoders:
        try:
            return _validate(decoder.decode(raw), raw)
        except _AsStrings:  # the lists as written need decoding as strings
            continue
        except Exception as exc:  # msgspec errors, _NotFast, KeyError, ...
            assert isinstance(exc, (_NotFast, KeyError, OverflowError, TypeError, ValueError)) or (
                type(exc).__module__.startswith("msgspec")
            ), exc
            return None
    return None


def fast_accepts(raw: bytes) -> bool:
    return fast(raw) is not None


def assert_equal(got, expected) -> None:
    for field in FIELDS:
        a, b = getattr(got, field), getattr(expected, field)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), field
        else:
            assert a == b, field


def assert_same(raw: bytes) -> None:
    expected = reference(raw)
    try:
        got = loads(raw)
    except InstanceError as exc:
        got = str(exc)
    if isinstance(expected, str):
        assert got == expected
        assert not fast_accepts(raw), "the fast path accepted what the reference refuses"
    else:
        assert not isinstance(got, str), got
        assert_equal(got, expected)
        assert fast_accepts(raw), "valid input fell back to the slow path"
        # The lists decoded as strings (used when they have escapes) give the same.
        assert_equal(fast(raw, decoders=(_DECODER,)), expected)


# ------------------------------------------------------------------ mutations

BAD_VALUES = [
    None,
    True,
    "7",
    [],
    {},
    -1,
    2.0,
    1.5,
    2**53 - 1,
    2**53,
    -(2**53),
    2**62,
    2**64,
    10**30,
]


def _mutations(data: dict, draw) -> None:
    """Apply one random change (often, but not always, an error) to the instance."""
    apps, progs = data["applicants"], data["programmes"]
    kind = draw(st.integers(0, 14))
    value = draw(st.sampled_from(BAD_VALUES))
    if kind == 0 and apps:  # unknown programme in a list
        draw(st.sampled_from(apps))["preferences"].append("P-unknown")
    elif kind == 1 and len(apps) > 1:  # duplicate applicant id
        apps[-1]["id"] = apps[0]["id"]
    elif kind == 2 and len(progs) > 1:  # duplicate programme id
        progs[-1]["id"] = progs[0]["id"]
    elif kind == 3 and apps:  # a programme listed twice
        app = draw(st.sampled_from(apps))
        if app["preferences"]:
            app["preferences"].append(app["preferences"][0])
    elif kind == 4:
        draw(st.sampled_from(progs))["capacity"] = value
    elif kind == 5 and apps:
        draw(st.sampled_from(apps))["score"] = value
    elif kind == 6 and apps:
        draw(st.sampled_from(apps)).pop("score", None)
    elif kind == 7 and apps:
        app = draw(st.sampled_from(apps))
        key = draw(st.sampled_from(["P0", "P-unknown"]))
        app.setdefault("programme_scores", {})[key] = draw(st.sampled_from([value, 3]))
    elif kind == 8 and apps:
        draw(st.sampled_from(apps))["programme_scores"] = value
    elif kind == 9:
        target = draw(st.sampled_from([*apps, *progs, data]))
        target[draw(st.sampled_from(["prefs", "extra", "id"]))] = 1
    elif kind == 10 and apps:
        draw(st.sampled_from(apps))["id"] = draw(st.sampled_from(["", 5, None]))
    elif kind == 11 and apps:
        draw(st.sampled_from(apps))["preferences"] = draw(
            st.sampled_from(["P0", [1], None, {"P0": 1}])
        )
    elif kind == 12 and apps:
        apps[draw(st.integers(0, len(apps) - 1))] = value
    elif kind == 13 and apps:
        draw(st.sampled_from(apps)).pop(draw(st.sampled_from(["id", "preferences"])))
    elif kind == 14 and progs:
        draw(st.sampled_from(progs)).pop(draw(st.sampled_from(["id", "capacity"])))


@st.composite
def mutated(draw):
    data = draw(instances())
    if draw(st.booleans()):
        _mutations(data, draw)
    return json.dumps(data).encode()


NUMBER_TEXTS = [
    "0.10000000000000000001",  # more digits than float64 holds: refused
    "0.30000000000000004",  # 17 digits, but the shortest form of its float64: accepted
    "0.1",
    "1E2",
    "1.5e1",
    "-0",
    "-0.0",
    "1e-400",  # underflows to 0: refused
    "1e400",  # overflows: refused
    "9007199254740993",  # 2**53 + 1: refused
    "9007199254740991",  # 2**53 - 1: accepted
    "123456789012345.6",
    "NaN",
    "-Infinity",
    "2.",  # not JSON
]


@st.composite
def with_number_text(draw):
    """An instance where one score or capacity is written as a chosen numeral."""
    data = draw(instances(max_applicants=4))
    assume(data["applicants"])
    app = draw(st.sampled_from(data["applicants"]))
    where = draw(st.sampled_from(["score", "programme_score", "capacity"]))
    if where == "score":
        app["score"] = "@@"
    elif where == "programme_score" and app["preferences"]:
        app.setdefault("programme_scores", {})[app["preferences"][0]] = "@@"
    else:
        draw(st.sampled_from(data["programmes"]))["capacity"] = "@@"
    text = json.dumps(data).replace('"@@"', draw(st.sampled_from(NUMBER_TEXTS)))
    return text.encode()


@PROFILE
@given(instances())
def test_A27_2_fast_reader_builds_the_reference_instance(data):
    assert_same(json.dumps(data).encode())


@PROFILE
@given(mutated())
def test_A27_2_fast_reader_refuses_and_names_like_the_reference(raw):
    assert_same(raw)


@PROFILE
@given(with_number_text())
def test_A27_2_fast_reader_compares_numbers_exactly_like_the_reference(raw):
    assert_same(raw)


GOOD = {
    "programmes": [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 0}],
    "applicants": [
        {"id": "A1", "score": 21, "preferences": ["P2", "P1"]},
        {"id": "A2", "score": 21.5, "preferences": ["P1"], "programme_scores": {"P2": 3}},
    ],
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ('"preferences": ["P1"]', 'applicant "A2": field "preferences": unknown programme "P9"'),
        ('"id": "A2"', 'applicant "A1": field "id": duplicate applicant id'),
        ('"score": 21.5', 'applicant "A2": field "score": 21.50000000000000000001 has more'),
        ('"score": 21,', 'applicant "A1": field "score": must be less than 2**53'),
        ('"capacity": 1}', 'programme "P1": field "capacity": too large'),
        ('"id": "A1"', 'applicant "#0": field "id": must be a non-empty string'),
        ('"id": "P1"', 'programme "#0": field "id": must be a non-empty string'),
    ],
)
def test_A27_2_fast_reader_errors_name_record_and_field(change, expected):
    text = json.dumps(GOOD)
    replacement = {
        '"preferences": ["P1"]': '"preferences": ["P9"]',
        '"id": "A2"': '"id": "A1"',
        '"score": 21.5': '"score": 21.50000000000000000001',
        '"score": 21,': '"score": 9007199254740993,',
        '"capacity": 1}': '"capacity": 18446744073709551616}',
        '"id": "A1"': '"id": ""',
        '"id": "P1"': '"id": ""',
    }[change]
    assert change in text
    raw = text.replace(change, replacement, 1).encode()
    assert not fast_accepts(raw)
    with pytest.raises(InstanceError) as info:
        loads(raw)
    assert str(info.value).startswith(expected), str(info.value)


def test_A27_2_fast_reader_takes_valid_input_without_the_reference(monkeypatch):
    import kari.allocation.instance as module

    def refuse(*args):
        raise AssertionError("a slower path ran on plain valid input")

    class Refuse:
        decode = staticmethod(refuse)

    monkeypatch.setattr(module, "parse", refuse)
    monkeypatch.setattr(module, "_DECODER", Refuse())
    instance = loads(json.dumps(GOOD).encode())
    assert instance.applicant_ids == ["A1", "A2"]
    assert instance.scores.tolist() == [21.0, 21.0, 21.5]


@pytest.mark.parametrize(
    "lists",
    [
        '["P\\u0031"]',  # an escape
        '[ "P1" ,"P2"\n]',  # spaces and a newline
        '["P1","P2",]',  # not JSON: refused
        "[1]",  # not a string: refused
        '"P1"',  # not a list: refused
        '{"preferences": ["P1"]}',  # an object: refused
        '[["P1"]]',
        '["P9"]',  # unknown: refused
    ],
)
def test_A27_2_fast_reader_lists_as_written_or_as_strings(lists):
    text = json.dumps(GOOD).replace('["P2", "P1"]', "@@")
    assert "@@" in text
    assert_same(text.replace("@@", lists).encode())


# ------------------------------------------------------------------ the writer

ids = st.text(min_size=1, max_size=6)
scores = st.one_of(
    st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(-1e15, 1e15, allow_nan=False).filter(lambda x: x == x),
    st.sampled_from([0.5, 1e-7, 1.5e-5, 2.5e14, -0.0, 0.30000000000000004]),
)


@st.composite
def varied_instances(draw):
    """Unusual ids (quotes, backslashes, control characters, non-Latin) and float scores."""
    pids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    aids = draw(st.lists(ids, max_size=6, unique=True))
    programmes = [{"id": p, "capacity": draw(st.integers(0, 2))} for p in pids]
    applicants = []
    for aid in aids:
        prefs = draw(st.permutations(pids))[: draw(st.integers(0, len(pids)))]
        app = {"id": aid, "score": draw(scores), "preferences": prefs}
        own = {p: draw(scores) for p in prefs if draw(st.booleans())}
        if own:
            app["programme_scores"] = own
        applicants.append(app)
    return {"programmes": programmes, "applicants": applicants}


def reference_bytes(instance, result) -> bytes:
    text = json.dumps(
        to_json(instance, result), ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return (text + "\n").encode("utf-8")


@PROFILE
@given(varied_instances())
def test_A27_2_A27_10_fast_writer_writes_the_reference_bytes(data):
    raw = json.dumps(data).encode()
    instance = loads(raw)
    result = solve(instance)
    assert bytes(dumps(instance, result)) == reference_bytes(instance, result)


@PROFILE
@given(instances(), st.randoms(use_true_random=False))
def test_A27_2_order_of_input_does_not_change_the_written_file(data, rnd):
    shuffled = json.loads(json.dumps(data))
    rnd.shuffle(shuffled["programmes"])
    rnd.shuffle(shuffled["applicants"])
    a, b = loads(json.dumps(data).encode()), loads(json.dumps(shuffled).encode())
    assert bytes(dumps(a, solve(a))) == bytes(dumps(b, solve(b)))


def test_A27_2_fast_writer_formats_numbers_like_json():
    data = {
        "programmes": [{"id": 'P"1\\', "capacity": 1}, {"id": "P2", "capacity": 0}],
        "applicants": [
            {"id": "ა\u2028", "score": 1e-7, "preferences": ["P2", 'P"1\\']},
            {"id": "A\x01", "score": -0.5, "preferences": ['P"1\\']},
            {"id": "B", "score": 2**53 - 1, "preferences": ['P"1\\', "P2"]},
        ],
    }
    instance = loads(json.dumps(data).encode())
    result = solve(instance)
    out = bytes(dumps(instance, result))
    assert out == reference_bytes(instance, result)
    assert b'"cutoff":9007199254740991' in out and b'"score":1e-07' in out
    assert json.loads(out)["explanations"]["ა\u2028"][0] == {
        "programme": "P2",
        "reason": "no_places",
    }
    assert math.isclose(json.loads(out)["explanations"]["A\x01"][0]["score"], -0.5)


def test_A27_2_fast_reader_reads_escapes_as_json_does():
    # Programme 'P\u0031' (a backslash in the id) and programme P1: the list item
    # "P\u0031" names P1 whatever bytes it is written with.
    text = (
        '{"programmes": [{"id": "P1", "capacity": 1}, {"id": "P\\\\u0031", "capacity": 1}], '
        '"applicants": [{"id": "A1", "score": 1, "preferences": ["P\\u0031"]}]}'
    )
    raw = text.encode()
    instance = loads(raw)
    assert instance.programme_ids[instance.prefs[0]] == "P1"
    assert_same(raw)


def _as_lists(data: dict):
    index = {p["id"]: j for j, p in enumerate(data["programmes"])}
    apps = data["applicants"]
    scores = [
        float(a.get("programme_scores", {}).get(p, a.get("score", math.nan)))
        for a in apps
        for p in a["preferences"]
    ]
    return (
        [a["id"] for a in apps],
        [p["id"] for p in data["programmes"]],
        np.array([p["capacity"] for p in data["programmes"]], dtype=np.int64),
        np.array([len(a["preferences"]) for a in apps], dtype=np.int64),
        np.array([index[p] for a in apps for p in a["preferences"]], dtype=np.int32),
        np.array(scores, dtype=np.float64),
    )


@PROFILE
@given(instances())
def test_A27_2_arrays_build_the_instance_of_the_json(data):
    """`from_lists` (the ranking's way in, no JSON) builds what `loads` builds."""
    expected = reference(json.dumps(data).encode())
    assume(not isinstance(expected, str))
    assert_equal(from_lists(*_as_lists(data)), expected)


def test_A27_2_arrays_with_a_programme_listed_twice_are_refused():
    data = {
        "programmes": [{"id": "P1", "capacity": 1}],
        "applicants": [{"id": "A1", "score": 3, "preferences": ["P1", "P1"]}],
    }
    with pytest.raises(InstanceError, match="listed twice"):
        from_lists(*_as_lists(data))
    lists = _as_lists(
        {**data, "applicants": [{"id": "A1", "score": math.inf, "preferences": ["P1"]}]}
    )
    with pytest.raises(InstanceError, match="finite"):
        from_lists(*lists)
