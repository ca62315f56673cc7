"""RFC 8785 JSON Canonicalization Scheme: the RFC's own examples and our credential's types."""

from __future__ import annotations

import json
import struct

import pytest

from kari.credentials.jcs import JCSError, canonicalize, dumps


def test_rfc8785_section_3_2_2_example():
    # RFC 8785 3.2.2: the input as JSON text, and its canonical form.
    source = r"""{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"""
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert dumps(json.loads(source)) == expected
    assert canonicalize(json.loads(source)) == expected.encode("utf-8")


def test_rfc8785_section_3_2_3_sorting_by_utf16_code_units():
    source = r"""{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }"""
    values = list(json.loads(dumps(json.loads(source))).values())
    assert values == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]


def test_utf16_order_differs_from_code_point_order():
    # U+1F600 (surrogates D83D DE00) sorts before U+FB33 in UTF-16, after it by code point.
    assert dumps({"\ufb33": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ufb33":1}'


def test_string_escaping():
    assert dumps("€") == '"€"'
    assert dumps("ქ") == '"ქ"'  # Georgian letter, written as UTF-8, not escaped
    assert canonicalize("ქართული") == '"ქართული"'.encode()
    assert dumps("\x00\x01\x1f") == '"\\u0000\\u0001\\u001f"'
    assert dumps("\b\f\n\r\t") == '"\\b\\f\\n\\r\\t"'
    assert dumps('"\\/') == '"\\"\\\\/"'
    assert dumps("\x7f\u2028\u2029") == '"\x7f\u2028\u2029"'


def test_nested_structures_and_literals():
    value = {"b": [1, {"z": None, "a": True}], "a": False, "": "empty"}
    assert dumps(value) == '{"":"empty","a":false,"b":[1,{"a":true,"z":null}]}'
    assert dumps([]) == "[]" and dumps({}) == "{}"


# RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
APPENDIX_B = {
    "0000000000000000": "0",
    "8000000000000000": "0",
    "0000000000000001": "5e-324",
    "8000000000000001": "-5e-324",
    "7fefffffffffffff": "1.7976931348623157e+308",
    "ffefffffffffffff": "-1.7976931348623157e+308",
    "4340000000000000": "9007199254740992",
    "c340000000000000": "-9007199254740992",
    "4430000000000000": "295147905179352830000",
    "44b52d02c7e14af5": "9.999999999999997e+22",
    "44b52d02c7e14af6": "1e+23",
    "44b52d02c7e14af7": "1.0000000000000001e+23",
    "444b1ae4d6e2ef4e": "999999999999999700000",
    "444b1ae4d6e2ef4f": "999999999999999900000",
    "444b1ae4d6e2ef50": "1e+21",
    "3eb0c6f7a0b5ed8c": "9.999999999999997e-7",
    "3eb0c6f7a0b5ed8d": "0.000001",
    "41b3de4355555553": "333333333.3333332",
    "41b3de4355555554": "333333333.33333325",
    "41b3de4355555555": "333333333.3333333",
    "41b3de4355555556": "333333333.3333334",
    "41b3de4355555557": "333333333.33333343",
    "becbf647612f3696": "-0.0000033333333333333333",
    "43143ff3c1cb0959": "1424953923781206.2",
}


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B.items())
def test_rfc8785_appendix_b_numbers(bits, expected):
    assert dumps(struct.unpack(">d", bytes.fromhex(bits))[0]) == expected


def test_integers():
    assert dumps(0) == "0" and dumps(-7) == "-7" and dumps(131072) == "131072"
    assert dumps(2**53) == "9007199254740992"
    assert dumps(10**21) == "1e+21"  # as ECMAScript would write the same double
    with pytest.raises(JCSError, match="not exactly representable"):
        dumps(2**53 + 1)
    with pytest.raises(JCSError):
        dumps(10**400)


@pytest.mark.parametrize(
    "bad",
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        {1: "x"},
        {"k": object()},
        b"bytes",
        "lone \ud800 surrogate",
        {"\udc00": 1},
    ],
)
def test_rejects_what_has_no_canonical_form(bad):
    with pytest.raises(JCSError):
        dumps(bad)


def test_rejects_excessive_nesting():
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(JCSError, match="nesting"):
        dumps(deep)
