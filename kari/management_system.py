"""The VET management-system adapter: what EMIS enters into the management system.

A27.6: the approved ranking is entered within 3 days of receipt; A29.4 (and A41): enrolled
students within 3 days of the contract. `ManagementSystem` is the interface; `FileManagementSystem`
writes each submission as a JSON document into a directory and is what the demo and the tests
use. A production adapter for the management system's service implements the same three
methods and is chosen by ``settings.KARI_MANAGEMENT_SYSTEM["BACKEND"]``, as the civil registry
is (`kari.identity.registry`). The format is in ``docs/exchange-formats.md``.

The adapter only carries documents: the calling service checks permissions, validates, audits
and keeps the receipt.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

__all__ = [
    "AdmittedApplicant",
    "FileManagementSystem",
    "ManagementSystem",
    "ProgrammeRanking",
    "RankingDocument",
    "Receipt",
    "State",
    "Status",
    "StudentRecord",
    "SubmissionError",
    "get_management_system",
]

FORMAT_VERSION = 1

Score = decimal.Decimal | int | float


class SubmissionError(ValueError):
    """A submission the management system cannot take (empty, or an unknown receipt)."""


# --- what is sent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdmittedApplicant:
    """One admitted applicant on a programme's ranking list (A27.5)."""

    personal_number: str
    last_name: str
    first_name: str
    score: Score | None
    choice: int | None = None  # which of the applicant's choices this programme was (1 = first)
    tie: bool = False  # admitted beyond the places by the tie rule (A27.9)


@dataclass(frozen=True)
class ProgrammeRanking:
    """One programme's part of the ranking: its places, cut-off and the admitted (A27.5)."""

    institution_code: str
    programme_code: str
    programme_name: str
    places: int
    cutoff: Score | None
    admitted: tuple[AdmittedApplicant, ...]
    extra_places: int = 0  # added by the tie rule (A27.9)
    document_sha256: str = ""  # the signed PDF handed to the institution, if any


@dataclass(frozen=True)
class RankingDocument:
    """The approved ranking of a round's stage (A27.6), or a new version of it."""

    round: str
    stage: str  # "primary" or "subsequent"
    version: int
    approved_at: dt.datetime
    programmes: tuple[ProgrammeRanking, ...]
    reason: str = ""  # why a version after the first was made (an appeal, a court decision)
    citation: str = "A27.6"


@dataclass(frozen=True)
class StudentRecord:
    """One enrolled student (A29.4; A41 for students with special educational needs)."""

    personal_number: str
    last_name: str
    first_name: str
    birth_date: dt.date
    institution_code: str
    programme_code: str
    enrolment_act: str  # the number of the head's enrolment act (A29.2)
    enrolled_on: dt.date
    contract_on: dt.date
    georgian_module: bool = False  # starts with the Georgian-language module (A29.3)
    sen: bool = False  # enrolled on the SEN track (A41)


# --- what comes back ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """The management system's acknowledgement of one submission."""

    id: str
    kind: str  # "ranking" or "students"
    submitted_at: dt.datetime
    sha256: str  # of the JSON document sent
    records: int  # admitted applicants, or students


class State(enum.StrEnum):
    RECEIVED = "received"  # taken, not yet entered
    ENTERED = "entered"  # entered into the management system
    REJECTED = "rejected"  # refused; `detail` says why


@dataclass(frozen=True)
class Status:
    receipt_id: str
    state: State
    updated_at: dt.datetime
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class ManagementSystem(Protocol):
    def submit_ranking(self, document: RankingDocument) -> Receipt:
        """Send an approved ranking (A27.6); the same document sent again gets the same
        receipt."""

    def submit_students(self, records: Sequence[StudentRecord], *, round: str) -> Receipt:
        """Send enrolled students (A29.4, A41); the same batch sent again gets the same
        receipt."""

    def status(self, receipt_id: str) -> Status:
        """Where a submission stands; raises SubmissionError for an unknown receipt."""


# --- JSON --------------------------------------------------------------------------------------


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _score(value: Score | None) -> str | None:
    """Scores as decimal strings ("57.25"), exactly as computed; floats are rounded to 4
    places first, so 57.1 stays "57.1"."""
    if value is None:
        return None
    if isinstance(value, float):
        return str(decimal.Decimal(repr(round(value, 4))).normalize())
    return str(value)


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, default=_default, ensure_ascii=False, sort_keys=True, indent=1
    ).encode("utf-8")


def ranking_payload(document: RankingDocument) -> dict[str, Any]:
    """The ranking as the JSON object of docs/exchange-formats.md."""
    body = asdict(document)
    for programme in body["programmes"]:
        programme["cutoff"] = _score(programme["cutoff"])
        for row in programme["admitted"]:
            row["score"] = _score(row["score"])
    body["approved_at"] = timezone.localtime(document.approved_at).isoformat()
    return {"format": FORMAT_VERSION, "kind": "ranking", **body}


def students_payload(records: Sequence[StudentRecord], *, round: str) -> dict[str, Any]:
    """The students as the JSON object of docs/exchange-formats.md."""
    return {
        "format": FORMAT_VERSION,
        "kind": "students",
        "round": round,
        "citation": "A29.4",
        "students": [asdict(r) for r in records],
    }


# --- the file backend --------------------------------------------------------------------------


class FileManagementSystem:
    """Writes each submission to ``<path>/<receipt>.json``; a status written by an operator (or
    by `record_status`) to ``<path>/<receipt>.status.json`` is what `status` reports.

    The receipt id is the submission's kind and the start of its SHA-256, so a document sent
    twice (a retried job) is stored once and gets the same receipt.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def _write(self, name: str, data: bytes) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.path / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _submit(self, kind: str, payload: dict[str, Any], records: int) -> Receipt:
        data = _canonical(payload)
        digest = hashlib.sha256(data).hexdigest()
        receipt_id = f"{kind}-{digest[:20]}"
        existing = self.path / f"{receipt_id}.json"
        if existing.exists():
            return self._receipt(receipt_id)
        envelope = {
            "receipt": receipt_id,
            "kind": kind,
            "submitted_at": timezone.localtime().isoformat(),
            "sha256": digest,
            "records": records,
            "document": payload,
        }
        self._write(existing.name, _canonical(envelope))
        return self._receipt(receipt_id)

    def _receipt(self, receipt_id: str) -> Receipt:
        try:
            envelope = json.loads((self.path / f"{receipt_id}.json").read_text("utf-8"))
        except (FileNotFoundError, ValueError) as exc:
            raise SubmissionError(f"No submission with the receipt {receipt_id!r}.") from exc
        return Receipt(
            id=envelope["receipt"],
            kind=envelope["kind"],
            submitted_at=dt.datetime.fromisoformat(envelope["submitted_at"]),
            sha256=envelope["sha256"],
            records=envelope["records"],
        )

    def submit_ranking(self, document: RankingDocument) -> Receipt:
        if not document.programmes:
            raise SubmissionError("A ranking without programmes cannot be entered.")
        records = sum(len(p.admitted) for p in document.programmes)
        return self._submit("ranking", ranking_payload(document), records)

    def submit_students(self, records: Sequence[StudentRecord], *, round: str) -> Receipt:
        if not records:
            raise SubmissionError("No students to enter.")
        return self._submit("students", students_payload(records, round=round), len(records))

    def status(self, receipt_id: str) -> Status:
        receipt = self._receipt(receipt_id)
        path = self.path / f"{receipt_id}.status.json"
        if not path.exists():
            return Status(receipt_id, State.RECEIVED, receipt.submitted_at)
        data = json.loads(path.read_text("utf-8"))
        return Status(
            receipt_id=receipt_id,
            state=State(data["state"]),
            updated_at=dt.datetime.fromisoformat(data["updated_at"]),
            detail=data.get("detail", ""),
            extra={k: v for k, v in data.items() if k not in {"state", "updated_at", "detail"}},
        )

    def record_status(self, receipt_id: str, state: State | str, detail: str = "") -> Status:
        """The management system's answer, in the demo: entered, or rejected with a reason."""
        self._receipt(receipt_id)
        payload = {
            "state": State(state).value,
            "updated_at": timezone.localtime().isoformat(),
            "detail": detail,
        }
        self._write(f"{receipt_id}.status.json", _canonical(payload))
        return self.status(receipt_id)


def get_management_system() -> ManagementSystem:
    """The configured adapter; one instance per process and configuration."""
    conf = settings.KARI_MANAGEMENT_SYSTEM
    return _management_system(conf["BACKEND"], conf["PATH"])


@lru_cache(maxsize=8)
def _management_system(backend: str, path: str) -> ManagementSystem:
    system: ManagementSystem = import_string(backend)(path)
    return system
