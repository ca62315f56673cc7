"""The management-system adapter (A27.6, A29.4): an interface, a file backend for the demo chosen
by settings, documents in the format of docs/exchange-formats.md, receipts and status."""

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from kari import management_system as ms


def _ranking(version=1, reason=""):
    return ms.RankingDocument(
        round="2027-spring",
        stage="primary",
        version=version,
        approved_at=dt.datetime(2027, 7, 20, 9, 30, tzinfo=dt.UTC),
        reason=reason,
        programmes=(
            ms.ProgrammeRanking(
                institution_code="college-1",
                programme_code="P-001",
                programme_name="ვებდეველოპერი",
                places=2,
                cutoff=Decimal("51.50"),
                extra_places=1,
                document_sha256="ab" * 32,
                admitted=(
                    ms.AdmittedApplicant("01001012345", "ბერიძე", "ნინო", Decimal("60.25"), 1),
                    ms.AdmittedApplicant("01001012346", "კაპანაძე", "გიორგი", 51.5, 2),
                    ms.AdmittedApplicant("01001012347", "მამაცაშვილი", "ანა", 51.5, 1, tie=True),
                ),
            ),
        ),
    )


def _students():
    return [
        ms.StudentRecord(
            personal_number="01001012345",
            last_name="ბერიძე",
            first_name="ნინო",
            birth_date=dt.date(2008, 3, 1),
            institution_code="college-1",
            programme_code="P-001",
            enrolment_act="12/ბ",
            enrolled_on=dt.date(2027, 8, 1),
            contract_on=dt.date(2027, 8, 2),
            georgian_module=True,
        )
    ]


@pytest.fixture
def system(settings, tmp_path):
    settings.KARI_MANAGEMENT_SYSTEM = {
        "BACKEND": "kari.management_system.FileManagementSystem",
        "PATH": str(tmp_path / "ms"),
    }
    return ms.get_management_system()


def test_the_backend_is_chosen_by_settings(system, tmp_path):
    assert isinstance(system, ms.FileManagementSystem)
    assert system.path == tmp_path / "ms"
    assert ms.get_management_system() is system


def test_A27_6_ranking_entry_writes_the_documented_json(system):
    receipt = system.submit_ranking(_ranking())
    assert receipt.kind == "ranking" and receipt.records == 3
    assert receipt.id.startswith("ranking-")
    path = system.path / f"{receipt.id}.json"
    envelope = json.loads(path.read_text("utf-8"))
    assert envelope["receipt"] == receipt.id
    assert envelope["records"] == 3
    document = envelope["document"]
    assert document["format"] == 1 and document["kind"] == "ranking"
    assert document["citation"] == "A27.6"
    assert document["round"] == "2027-spring" and document["stage"] == "primary"
    assert document["approved_at"] == "2027-07-20T13:30:00+04:00"
    (programme,) = document["programmes"]
    assert programme["cutoff"] == "51.50" and programme["extra_places"] == 1
    assert programme["programme_name"] == "ვებდეველოპერი"
    assert [a["score"] for a in programme["admitted"]] == ["60.25", "51.5", "51.5"]
    assert [a["tie"] for a in programme["admitted"]] == [False, False, True]
    assert programme["admitted"][0] == {
        "personal_number": "01001012345",
        "last_name": "ბერიძე",
        "first_name": "ნინო",
        "score": "60.25",
        "choice": 1,
        "tie": False,
    }
    assert receipt.sha256 == hashlib.sha256(ms._canonical(document)).hexdigest()


def test_the_same_document_twice_gets_the_same_receipt(system):
    first = system.submit_ranking(_ranking())
    again = system.submit_ranking(_ranking())
    assert again == first
    assert len(list(system.path.glob("ranking-*.json"))) == 1
    corrected = system.submit_ranking(_ranking(version=2, reason="A25.4 appeal"))
    assert corrected.id != first.id


def test_A29_4_students_entry(system):
    receipt = system.submit_students(_students(), round="2027-spring")
    assert receipt.kind == "students" and receipt.records == 1
    document = json.loads((system.path / f"{receipt.id}.json").read_text("utf-8"))["document"]
    assert document["citation"] == "A29.4"
    (student,) = document["students"]
    assert student["birth_date"] == "2008-03-01"
    assert student["contract_on"] == "2027-08-02"
    assert student["georgian_module"] is True and student["sen"] is False


def test_status_received_then_entered_or_rejected(system):
    receipt = system.submit_students(_students(), round="2027-spring")
    status = system.status(receipt.id)
    assert status.state == ms.State.RECEIVED
    assert status.updated_at == receipt.submitted_at
    before = timezone.now()
    entered = system.record_status(receipt.id, ms.State.ENTERED)
    assert entered.state == ms.State.ENTERED and entered.updated_at >= before
    rejected = system.record_status(receipt.id, "rejected", detail="unknown programme P-001")
    assert system.status(receipt.id) == rejected
    assert rejected.detail == "unknown programme P-001"


def test_empty_submissions_and_unknown_receipts_are_refused(system):
    with pytest.raises(ms.SubmissionError):
        system.submit_students([], round="2027-spring")
    with pytest.raises(ms.SubmissionError):
        system.submit_ranking(ms.RankingDocument("r", "primary", 1, timezone.now(), programmes=()))
    with pytest.raises(ms.SubmissionError, match="receipt"):
        system.status("ranking-nonexistent")


def test_float_scores_are_written_exactly():
    assert ms._score(57.1) == "57.1"
    assert ms._score(0.1 + 0.2) == "0.3"
    assert ms._score(30) == "30"
    assert ms._score(None) is None
