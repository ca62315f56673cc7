"""A27.7-A27.8: the subsequent-stage ranking document (one programme's part): Georgian text,
the head's act, the tie rule marked, and the QR code of its check page (the closing block
shared with the appeals and SEN acts)."""

import datetime as dt
import io

from pypdf import PdfReader

from kari.documents.subsequent import RankedApplicant, SubsequentSheet, render_subsequent
from tests.documents.qr_support import assert_page_has_qr_of

URL = "https://kari.example.ge/ranking/subsequent/check/12-34:abcdef/"


def _sheet(admitted):
    return SubsequentSheet(
        round_label="2027 გაზაფხული",
        institution="თბილისის კოლეჯი",
        head="ნინო ბერიძე",
        programme_code="S-1",
        programme_name="მზარეული",
        test_dates="01.06.2027 – 02.06.2027",
        places=2,
        applicants=5,
        cutoff="25",
        extra_places=1,
        agreed_on=dt.date(2027, 6, 14),
        act_number="01-17/5",
        act_date=dt.date(2027, 6, 15),
        admitted=admitted,
        verify_url=URL,
    )


def test_A27_8_the_document_names_the_act_marks_ties_and_has_the_check_qr():
    admitted = [
        RankedApplicant("01001012345", "მაისურაძე გიორგი", "30", 1, False),
        RankedApplicant("01001012346", "ბერიძე ანა", "25", 1, True),
        RankedApplicant("01001012347", "კაპანაძე ლევანი", "25", 2, True),
    ]
    page = PdfReader(io.BytesIO(render_subsequent(_sheet(admitted)))).pages[0]
    text = page.extract_text()
    for fact in ("რანჟირების დოკუმენტი", "01-17/5", "15.06.2027", "მაისურაძე გიორგი", "25 *"):
        assert fact in text
    assert "ნინო ბერიძე" in text and "A27.9" in text
    assert_page_has_qr_of(page, URL)


def test_A27_8_nobody_placed_is_said():
    text = PdfReader(io.BytesIO(render_subsequent(_sheet([])))).pages[0].extract_text()
    assert "Nobody was placed" in text
