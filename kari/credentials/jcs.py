"""JSON Canonicalization Scheme (RFC 8785).

Objects have their members sorted by the UTF-16 code units of their names, there is no
whitespace, strings use the minimal ECMAScript JSON.stringify escaping (only ``"``, ``\\`` and
U+0000..U+001F are escaped, the rest is written as UTF-8), and numbers are written as
ECMAScript writes an IEEE 754 double (RFC 8785 section 3.2.2.3).

Input is the Python view of JSON: dict (string keys), list/tuple, str, int, float, bool, None.
Integers must be exactly representable as a double (JSON numbers are doubles in I-JSON);
NaN, infinities and strings with lone surrogates are rejected.
"""

from __future__ import annotations

import math

__all__ = ["JCSError", "canonicalize", "dumps"]

MAX_DEPTH = 64

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


class JCSError(ValueError):
    """A value that has no RFC 8785 canonical form."""


def canonicalize(value: object) -> bytes:
    """The canonical UTF-8 bytes of a JSON value."""
    return dumps(value).encode("utf-8")


def dumps(value: object) -> str:
    out: list[str] = []
    _write(value, out, 0)
    return "".join(out)


def _write(value: object, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise JCSError(f"nesting deeper than {MAX_DEPTH} levels")
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise JCSError(f"object member name {key!r} is not a string")
            _check_unicode(key)
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be"))):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _write(value[key], out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, depth + 1)
        out.append("]")
    else:
        raise JCSError(f"{type(value).__name__} is not a JSON type")


def _check_unicode(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JCSError("string contains a lone surrogate (not valid Unicode)") from None


def _string(text: str) -> str:
    _check_unicode(text)
    parts = ['"']
    for ch in text:
        if ch in _SHORT_ESCAPES:
            parts.append(_SHORT_ESCAPES[ch])
        elif ch < " ":
            parts.append(f"\\u{ord(ch):04x}")
        else:
            parts.append(ch)
    parts.append('"')
    return "".join(parts)


def _integer(value: int) -> str:
    try:
        as_double = float(value)
    except OverflowError:
        raise JCSError(f"integer {value} is outside the IEEE 754 double range") from None
    if as_double != value:
        raise JCSError(f"integer {value} is not exactly representable as an IEEE 754 double")
    return _number(as_double)


def _number(value: float) -> str:
    """ECMAScript Number::toString for a finite double (ECMA-262, 7.1.12.1)."""
    if math.isnan(value) or math.isinf(value):
        raise JCSError("NaN and Infinity are not valid JSON numbers")
    if value == 0:
        return "0"  # also -0
    sign = "-" if value < 0 else ""
    # repr gives the shortest digit string that round-trips, as ECMAScript requires.
    mantissa, _, exp = repr(abs(value)).partition("e")
    int_part, _, frac = mantissa.partition(".")
    all_digits = (int_part + frac).lstrip("0")
    digits = all_digits.rstrip("0")
    k = len(digits)
    # value = 0.<digits> * 10**n
    n = (int(exp) if exp else 0) - len(frac) + (len(all_digits) - k) + k
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exponent = ("+" if e >= 0 else "-") + str(abs(e))
        text = (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + exponent
    return sign + text
