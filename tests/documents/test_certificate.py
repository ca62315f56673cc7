"""The certificate PDF (C4): Georgian text, one landscape page, a QR code, revocation shown."""

import io

from pypdf import PdfReader

from kari.documents.certificate import certificate_pdf

DATA = {
    "number": "SF-2026-0007", "holder_name": "ნინო ბერიძე", "holder_name_en": "Nino Beridze",
    "programme": "დემოკრატიის მხარდაჭერა", "programme_en": "Democracy Support",
    "title_ka": "ინდივიდუალური სერტიფიცირება", "title_en": "Individual Certification",
    "achievement_ka": "მონაწილეობის მექანიზმებისა და სამოქალაქო ბიუჯეტის ექსპერტიზა",
    "achievement_en": "Expertise in participation mechanisms and the civic budget",
    "organisation": "სოლიდარობის ფონდი PL საქართველოში",
    "organisation_en": "Solidarity Fund PL in Georgia", "issued_on": "21.11.2026",
    "signatories": [{"name": "გიორგი მაისურაძე", "role": "ექსპერტთა გუნდი / Expert team"}],
    "verify_url": "https://kari.example.ge/certification/certificates/SF-2026-0007/",
    "status_note": "",
}


def _reader(data):
    return PdfReader(io.BytesIO(certificate_pdf(data)))


def test_C4_certificate_is_one_landscape_page_with_georgian_text_and_the_number():
    reader = _reader(DATA)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)
    text = page.extract_text()
    for expected in ("ნინო ბერიძე", "სოლიდარობის ფონდი PL საქართველოში", "SF-2026-0007"):
        assert expected in text, expected
    assert DATA["verify_url"] in text.replace("\n", "")  # the long URL may wrap
    fonts = [str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()]
    assert any("DejaVu" in f for f in fonts)
    assert page["/Resources"]["/XObject"]  # the QR code image


def test_C4_a_revoked_certificate_says_so():
    text = _reader(dict(DATA, status_note="REVOKED / გაუქმებულია")).pages[0].extract_text()
    assert "REVOKED" in text
