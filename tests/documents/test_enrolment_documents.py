"""The enrolment contract and act (A29.2) on the shared cut fonts (issue 20: a round's contracts).

The text and the pages must be what the plain fonts print; a character the cut fonts lack sends
the document to the full fonts, so it still prints.
"""

import io

from pypdf import PdfReader

from kari.documents import enrolment as kdocs
from kari.documents import pdf as kpdf


def contract(**changes) -> kdocs.ContractData:
    values = {
        "number": "AB-2027-00001",
        "date": "01.06.2027",
        "institution": "კოლეჯი „ოპიზარი“",
        "institution_address": "თბილისი, ვაჟა-ფშაველას 12",
        "head": "გიორგი ბერიძე",
        "student": "ნინო კაპანაძე",
        "personal_number": "01001012345",
        "birth_date": "01.01.2010",
        "signatory": "მშობელი",
        "representative": "მარიამ კაპანაძე (მშობელი), პ/ნ 01001012346",
        "programme": "ვებ-ტექნოლოგიები",
        "programme_code": "P123",
        "duration": "12 თვე",
        "funding": "ვაუჩერი",
        "georgian_module": True,
        "clauses": "1. დაწესებულება უზრუნველყოფს სწავლებას.\n2. სტუდენტი ვალდებულია.",
        "challenge": "აქტი შეიძლება გასაჩივრდეს ერთი თვის ვადაში.",
    }
    return kdocs.ContractData(**(values | changes))


def act() -> kdocs.EnrolmentActData:
    rows = tuple(
        kdocs.EnrolledRow(f"აპლიკანტი {i}", "ვებ-ტექნოლოგიები (P123)", "ვაუჩერი", i % 2 == 0)
        for i in range(60)  # more than a page: the heading row repeats
    )
    return kdocs.EnrolmentActData(
        "AB-2027-SP-001", "20.06.2027", "კოლეჯი", "გიორგი ბერიძე", "2027 გაზაფხული", rows, "—"
    )


def pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def plain(monkeypatch, render, data) -> bytes:
    """The same document on the full fonts, parsed and subset by fpdf2 (the old way)."""
    with monkeypatch.context() as m:
        m.setattr(kpdf, "cut_fonts_cover", lambda: frozenset())
        return render(data)


def test_a29_2_contract_and_act_print_the_same_on_the_cut_fonts(monkeypatch):
    for render, data in ((kdocs.contract_pdf, contract()), (kdocs.act_pdf, act())):
        fast = render(data)
        slow = plain(monkeypatch, render, data)
        assert b"/FontFile2" in fast and len(fast) != len(slow)  # not the fpdf2 subset
        assert pages(fast) == pages(slow)
    text = pages(kdocs.contract_pdf(contract()))[0]
    assert "ნინო კაპანაძე" in text and "ქართული ენის მოდულით" in text
    assert len(pages(kdocs.act_pdf(act()))) > 1


def test_a29_2_a_character_outside_the_cut_fonts_prints_with_the_full_fonts():
    data = kdocs.contract_pdf(contract(student="José Müller-Łukasz"))
    assert "José Müller-Łukasz" in pages(data)[0]
    # and the next document is on the cut fonts again
    assert pages(kdocs.contract_pdf(contract())) == pages(kdocs.contract_pdf(contract()))
