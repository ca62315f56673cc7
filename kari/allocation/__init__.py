"""The allocation engine (A27.2): pure Python and numpy, no Django.

Applicant-proposing deferred acceptance where programmes hold everyone tied at
the cut-off (A27.9), programme scores override common scores (A27.3, A27.4),
and places beyond capacity are reported as extra places (A27.10).
"""

from kari.allocation.checker import VerificationError, check, verify
from kari.allocation.instance import (
    Instance,
    InstanceError,
    from_arrays,
    from_lists,
    load,
    loads,
    parse,
)
from kari.allocation.result import dumps, from_json, to_json
from kari.allocation.solver import Result, solve

__all__ = [
    "Instance",
    "InstanceError",
    "Result",
    "VerificationError",
    "check",
    "dumps",
    "from_arrays",
    "from_json",
    "from_lists",
    "load",
    "loads",
    "parse",
    "solve",
    "to_json",
    "verify",
]
