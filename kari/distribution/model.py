"""Input types of the exam-centre distribution (A17.2, A15.8, A12.3(e)) and distances.

Pure Python + numpy: no Django (import-linter contract in ``pyproject.toml``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "EARTH_RADIUS_KM",
    "Candidate",
    "Centre",
    "DistributionError",
    "Session",
    "SolverError",
    "distance_matrix",
]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


class DistributionError(ValueError):
    """The input is inconsistent (unknown session or municipality, duplicate key, ...)."""


class SolverError(RuntimeError):
    """HiGHS failed (numerical trouble, or the time limit before any plan was found)."""


@dataclass(frozen=True)
class Session:
    """One sitting of one test item (e.g. ``"skills:mechanical"``, ``"subject:georgian"``).

    Sessions never overlap in time nationally, so an applicant's sittings never clash;
    session keys are taken to follow the timetable (lower key = earlier).
    """

    key: int
    item: str


@dataclass(frozen=True)
class Centre:
    """An exam centre selected by EMIS in a municipality (A12.3(e)).

    ``seats`` is the number of computers, i.e. the capacity of each session the centre
    hosts; ``sessions`` are the keys of the round's sessions it hosts (some centres host
    fewer per day); ``quota`` optionally caps the number of applicants sent to the centre
    (NAEC's answer under A17.2(b)); ``adapted``: it can provide an adapted environment.
    """

    key: int
    municipality: str
    seats: int
    adapted: bool
    sessions: tuple[int, ...]
    quota: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A registered applicant: preferred exam municipality (A15.3(c)), adapted-environment
    need (A15.3(g)) and the test items to sit (one skills test and the subjects of the
    subject group, A15.3(d))."""

    key: int
    municipality: str
    adapted: bool
    items: tuple[str, ...]


def distance_matrix(
    coords: Mapping[str, tuple[float, float]],
) -> tuple[list[str], npt.NDArray[np.float64]]:
    """Great-circle (haversine) distances in km between municipalities.

    ``coords`` maps a municipality code to ``(lat, lon)`` in degrees. Returns the codes in
    sorted order and the symmetric matrix in that order, rounded to the metre (so sums are
    reproducible); the diagonal is exactly 0 (travel within the municipality counts as 0).
    """
    names = sorted(coords)
    if not names:
        return names, np.zeros((0, 0))
    lat_lon = np.array([coords[n] for n in names], dtype=np.float64)
    if not np.isfinite(lat_lon).all():
        raise DistributionError("coordinates must be finite numbers")
    lat, lon = np.radians(lat_lon[:, 0]), np.radians(lat_lon[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    km = np.round(km, 3)
    km = np.minimum(km, km.T)  # exactly symmetric
    np.fill_diagonal(km, 0.0)
    return names, km


def check_unique(kind: str, keys: Iterable[int]) -> None:
    seen: set[int] = set()
    for key in keys:
        if key in seen:
            raise DistributionError(f"duplicate {kind} key {key}")
        seen.add(key)


def validate(
    candidates: Iterable[Candidate],
    centres: Iterable[Centre],
    sessions: Iterable[Session],
    coords: Mapping[str, tuple[float, float]],
) -> None:
    """Refuse inconsistent input loudly (the solver never guesses)."""
    cand_list, cent_list, sess_list = list(candidates), list(centres), list(sessions)
    check_unique("candidate", (c.key for c in cand_list))
    check_unique("centre", (c.key for c in cent_list))
    check_unique("session", (s.key for s in sess_list))
    known = {s.key for s in sess_list}
    for s in sess_list:
        if not s.item:
            raise DistributionError(f"session {s.key} has no test item")
    for c in cent_list:
        if c.municipality not in coords:
            raise DistributionError(f"centre {c.key}: no coordinates for {c.municipality!r}")
        if c.seats < 0 or (c.quota is not None and c.quota < 0):
            raise DistributionError(f"centre {c.key}: seats and quota must be >= 0")
        unknown = sorted(set(c.sessions) - known)
        if unknown:
            raise DistributionError(f"centre {c.key}: unknown sessions {unknown}")
        if len(set(c.sessions)) != len(c.sessions):
            raise DistributionError(f"centre {c.key}: a session is listed twice")
    for a in cand_list:
        if a.municipality not in coords:
            raise DistributionError(f"candidate {a.key}: no coordinates for {a.municipality!r}")
        if not a.items or len(set(a.items)) != len(a.items):
            raise DistributionError(f"candidate {a.key}: items must be non-empty and distinct")
    for lat, lon in coords.values():
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise DistributionError("coordinates must be finite numbers")
