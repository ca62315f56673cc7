"""The A21 removal protocol: the applicant, every recorded breach, the basis and two signatures."""

import datetime as dt
import io

from pypdf import PdfReader

from kari.documents import Incident, RemovalProtocol, render_protocol


def protocol(**overrides) -> RemovalProtocol:
    data = {
        "number": "P-000042",
        "applicant": "ნინო ბერიძე",
        "personal_number": "01001012345",
        "registration": "R-2027-000123",
        "centre": "ქუთაისის საგამოცდო ცენტრი, თამარ მეფის ქუჩა 59",
        "session": "14.09.2026 10:00 მექანიკური უნარები",
        "incidents": [
            Incident(
                at=dt.datetime(2026, 9, 14, 10, 20),
                measure="გაფრთხილება",
                breach="მობილური ტელეფონი",
                note="",
                by="გიორგი მაისურაძე",
            ),
            Incident(
                at="14.09.2026 10:41",
                measure="მოხსნა",
                breach="კარნახი",
                note="მეორე დარღვევა",
                by="გიორგი მაისურაძე",
            ),
        ],
    }
    data.update(overrides)
    return RemovalProtocol(**data)


def test_A21_protocol_names_the_applicant_lists_every_breach_and_has_two_signatures():
    reader = PdfReader(io.BytesIO(render_protocol(protocol())))
    assert reader.metadata["/Title"].endswith("P-000042")
    text = " ".join(reader.pages[0].extract_text().split())
    for expected in (
        "ტესტიდან მოხსნის ოქმი",
        "Protocol of removal from the test",
        "ნინო ბერიძე",
        "01001012345",
        "R-2027-000123",
        "14.09.2026 10:20",  # a datetime, formatted
        "14.09.2026 10:41",  # a string, as given
        "მობილური ტელეფონი",
        "კარნახი",
        "მეორე დარღვევა",
        "(მუხ. 21)",
        "Proctor's signature",
        "Applicant's signature",
    ):
        assert expected in text, expected


def test_A21_protocol_without_incidents_still_renders():
    reader = PdfReader(io.BytesIO(render_protocol(protocol(incidents=()))))
    assert len(reader.pages) == 1
    assert "ნინო ბერიძე" in reader.pages[0].extract_text()
