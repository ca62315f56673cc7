"""The civil-registry adapter (A17.5: EMIS may use the civil registry's personal data).

`CivilRegistry` is the interface; `LocalFileRegistry` reads a JSON file of people and is
what the demo and tests use. A production adapter for the registry's service implements
the same `lookup()` and is chosen by settings.KARI_CIVIL_REGISTRY["BACKEND"].
"""

import datetime as dt
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache
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
    document_number: str = ""  # the ID card's number: a fact the person has, not just knows

    @property
    def full_name_ka(self) -> str:
        return f"{self.first_name_ka} {self.last_name_ka}"


class CivilRegistry(Protocol):
    def lookup(self, personal_number: str) -> Person | None:
        """The person with this personal number, or None if the registry has none."""


class LocalFileRegistry:
    """People from a JSON list: [{"personal_number", "first_name_ka", "last_name_ka",
    "first_name_en", "last_name_en", "birth_date": "YYYY-MM-DD"}, ...].

    The file is parsed once per process and again only when it changes on disk.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._people: dict[str, Person] | None = None
        self._stamp = None

    def _load(self) -> dict[str, Person]:
        stamp = self._file_stamp()
        if self._people is None or stamp != self._stamp:
            self._stamp = stamp
            rows = json.loads(self.path.read_text("utf-8")) if self.path.exists() else []
            self._people = {
                r["personal_number"]: Person(
                    personal_number=r["personal_number"],
                    first_name_ka=r["first_name_ka"],
                    last_name_ka=r["last_name_ka"],
                    first_name_en=r.get("first_name_en", ""),
                    last_name_en=r.get("last_name_en", ""),
                    birth_date=dt.date.fromisoformat(r["birth_date"]),
                    document_number=r.get("document_number", ""),
                )
                for r in rows
            }
        return self._people

    def _file_stamp(self):
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def lookup(self, personal_number: str) -> Person | None:
        return self._load().get(clean_personal_number(personal_number))

    def __len__(self) -> int:
        return len(self._load())


def _document(value) -> str:
    return "".join(str(value or "").split()).upper()


def proves_identity(person: Person | None, document_number) -> bool:
    """Does `document_number` match the registry's record of `person`? (issue 11, point 2)

    The second identity fact for a first online registration: the ID card's document
    number. False for an unknown person or a record without a document number, so that the
    caller gives one answer whichever part was wrong."""
    given = _document(document_number)
    on_file = _document(person.document_number) if person is not None else ""
    return bool(given and on_file) and hmac.compare_digest(given.encode(), on_file.encode())


def get_registry() -> CivilRegistry:
    """The configured adapter; one instance per process and configuration."""
    conf = settings.KARI_CIVIL_REGISTRY
    return _registry(conf["BACKEND"], conf["PATH"])


@lru_cache(maxsize=8)
def _registry(backend: str, path: str) -> CivilRegistry:
    return import_string(backend)(path)
