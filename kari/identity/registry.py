"""The civil-registry adapter (A17.5: EMIS may use the civil registry's personal data).

`CivilRegistry` is the interface; `LocalFileRegistry` reads a JSON file of people and is
what the demo and tests use. A production adapter for the registry's service implements
the same `lookup()` and is chosen by settings.KARI_CIVIL_REGISTRY["BACKEND"].
"""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .validators import clean_personal_number


@dataclass(frozen=True)
class Person:
    personal_number: str
    first_name_ka: str
    last_name_ka: str
    first_name_en: str
    last_name_en: str
    birth_date: dt.date

    @property
    def full_name_ka(self) -> str:
        return f"{self.first_name_ka} {self.last_name_ka}"


class CivilRegistry(Protocol):
    def lookup(self, personal_number: str) -> Person | None:
        """The person with this personal number, or None if the registry has none."""


class LocalFileRegistry:
    """People from a JSON list: [{"personal_number", "first_name_ka", "last_name_ka",
    "first_name_en", "last_name_en", "birth_date": "YYYY-MM-DD"}, ...]."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._people: dict[str, Person] | None = None

    def _load(self) -> dict[str, Person]:
        if self._people is None:
            rows = json.loads(self.path.read_text("utf-8")) if self.path.exists() else []
            self._people = {
                r["personal_number"]: Person(
                    personal_number=r["personal_number"],
                    first_name_ka=r["first_name_ka"],
                    last_name_ka=r["last_name_ka"],
                    first_name_en=r.get("first_name_en", ""),
                    last_name_en=r.get("last_name_en", ""),
                    birth_date=dt.date.fromisoformat(r["birth_date"]),
                )
                for r in rows
            }
        return self._people

    def lookup(self, personal_number: str) -> Person | None:
        return self._load().get(clean_personal_number(personal_number))

    def __len__(self) -> int:
        return len(self._load())


def get_registry() -> CivilRegistry:
    conf = settings.KARI_CIVIL_REGISTRY
    cls = import_string(conf["BACKEND"])
    return cls(conf["PATH"])
