"""A27.5: one programme's ranking list (drawn row by row): its facts, the admitted, the tie rule
marked, the heading row on every page, a long name wrapped within its column."""

import datetime as dt
import io

from pypdf import PdfReader

from kari.documents.ranking import RankedApplicant, RankingSheet, ranking_sheet

LONG = "ხარაიშვილი-წიკლაური ალექსანდრე-ნიკოლოზ გიორგი-დავით მარიამ"


def _sheet(admitted):
    return RankingSheet(
        round_label="2027 გაზაფხული",
        stage_label="ძირითადი",
        version=2,
        approved_on=dt.date(2027, 7, 1),
        body="შეფასებისა და გამოცდების ეროვნული ცენტრი",
        signatory="ნინო ბერიძე",
        institution="თბილისის კოლეჯი",
        programme_code="P-7",
        programme_name="მზარეული",
        places=len(admitted),
        cutoff="31.5",
        extra_places=1,
        admitted=admitted,
        reason="სასამართლოს გადაწყვეტილება",
    )


def _pages(data):
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def test_A27_5_the_list_spans_pages_with_headings_ties_marked_and_long_names_wrapped():
    admitted = [
        RankedApplicant(
            f"0100101{n:04d}", f"ბერიძე ანა {n}", f"{60 - n / 10:.1f}", n % 10 + 1, False
        )
        for n in range(1, 120)
    ]
    admitted.append(RankedApplicant("01001019998", LONG, "31.5", 3, True))
    admitted.append(RankedApplicant("01001019999", "კაპანაძე ლევანი", "31.5", 1, True))
    pages = _pages(ranking_sheet(_sheet(admitted)))
    assert len(pages) >= 3
    for page in pages:
        assert "პირადი ნომერი" in page and "Personal number" in page
    text = "\n".join(pages)
    for fact in ("რანჟირების დოკუმენტი", "თბილისის კოლეჯი", "მზარეული (P-7)", "31.5", "v2"):
        assert fact in text
    assert "სასამართლოს გადაწყვეტილება" in text and "A27.9" in text
    assert "01001010001" in text and "ბერიძე ანა 119" in text and "01001019999" in text
    assert text.count("31.5 *") == 2
    assert "ხარაიშვილი-წიკლაური" in text and "მარიამ" in text
    assert "ნინო ბერიძე" in " ".join(text.split())  # the signature line is justified


def test_A27_5_nobody_placed_is_said():
    assert "Nobody was placed" in _pages(ranking_sheet(_sheet([])))[0]
