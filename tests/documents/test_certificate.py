"""The individual-certification certificate (C4-C5): one landscape page, Georgian text survives."""

import io

import pytest
from pypdf import PdfReader

from kari.documents import CertificateData, Signatory, certificate_pdf
from kari.documents import certificate as kcert
from tests.documents.qr_support import assert_page_has_qr_of

VERIFY_URL = "https://kari.example.ge/certificates/verify/SF-2026-0007/8f3a9c"
MM = 72 / 25.4  # points per mm


def certificate_data(**overrides) -> CertificateData:
    data = {
        "number": "SF-2026-0007",
        "holder_name": "ნინო ბერიძე",
        "holder_name_en": "Nino Beridze",
        "programme": "დემოკრატიის მხარდაჭერა",
        "programme_en": "Democracy Support",
        "title_ka": "ინდივიდუალური სერტიფიცირება",
        "title_en": "Individual Certification",
        "achievement_ka": "მონაწილეობის (პარტიციპაციის) მექანიზმებისა და სამოქალაქო ბიუჯეტის "
        "ანალიზის, შეფასებისა და მონიტორინგის ცოდნისა და უნარების "
        "დადასტურებისთვის.",
        "achievement_en": "For demonstrated knowledge and skills in analysing, evaluating and "
        "monitoring participation mechanisms and the civic budget.",
        "organisation": "სოლიდარობის ფონდი PL საქართველოში",
        "organisation_en": "Solidarity Fund PL in Georgia",
        "issued_on": "14.05.2026",
        "signatories": [
            Signatory(
                name="თამარ ხარაიშვილი",
                role="ექსპერტთა გუნდის ხელმძღვანელი / Head of the expert team",
            ),
            Signatory(name="Jan Kowalski", role="პროგრამის დირექტორი / Programme director"),
        ],
        "verify_url": VERIFY_URL,
    }
    data.update(overrides)
    return CertificateData(**data)


def read(data):
    return PdfReader(io.BytesIO(data))


def text_of(pdf_bytes):
    return read(pdf_bytes).pages[0].extract_text()


@pytest.fixture(scope="module")
def certificate():
    return certificate_pdf(certificate_data())


@pytest.fixture(scope="module")
def revoked():
    return certificate_pdf(certificate_data(status_note="REVOKED"))


def test_certificate_is_a_one_page_pdf(certificate):
    assert certificate.startswith(b"%PDF")
    assert len(read(certificate).pages) == 1


def test_the_page_is_a4_landscape(certificate):
    box = read(certificate).pages[0].mediabox
    width, height = float(box.width), float(box.height)
    assert width > height
    assert width == pytest.approx(297 * MM, abs=1)
    assert height == pytest.approx(210 * MM, abs=1)


def test_georgian_and_english_text_is_extractable(certificate):
    text = text_of(certificate)
    for expected in [
        "სოლიდარობის ფონდი PL საქართველოში",
        "Solidarity Fund PL in Georgia",
        "სერტიფიკატი",
        "CERTIFICATE",
        "ინდივიდუალური სერტიფიცირება",
        "Individual Certification",
        "გადაეცემა / Awarded to",
        "ნინო ბერიძე",
        "Nino Beridze",
        "დემოკრატიის მხარდაჭერა",
        "Democracy Support",
        "14.05.2026",
        "SF-2026-0007",
        "თამარ ხარაიშვილი",
        "Head of the expert team",
        "Jan Kowalski",
        "გადაამოწმეთ / Verify:",
        VERIFY_URL,
    ]:
        assert expected in text, expected
    flat = " ".join(text.split())
    assert "სამოქალაქო ბიუჯეტის" in flat
    assert "monitoring participation mechanisms and the civic budget." in flat
    assert "REVOKED" not in text


def test_text_reads_top_to_bottom(certificate):
    text = text_of(certificate)
    order = [
        "სოლიდარობის ფონდი",
        "სერტიფიკატი",
        "ნინო ბერიძე",
        "დემოკრატიის მხარდაჭერა",
        "SF-2026-0007",
        "Jan Kowalski",
        VERIFY_URL,
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)


def test_dejavu_fonts_are_embedded(certificate):
    fonts = read(certificate).pages[0]["/Resources"]["/Font"]
    base_fonts = []
    for font in fonts.values():
        font = font.get_object()
        base_fonts.append(font["/BaseFont"])
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # the TrueType program itself is in the file
    assert base_fonts
    assert all("DejaVu" in name for name in base_fonts)
    assert any("Bold" in name for name in base_fonts)


def test_metadata(certificate):
    metadata = read(certificate).metadata
    assert metadata["/Creator"] == "Kari"
    assert metadata["/Title"] == "სერტიფიკატი / Certificate SF-2026-0007"


def test_the_qr_code_is_an_image_of_the_verify_url(certificate):
    assert_page_has_qr_of(read(certificate).pages[0], VERIFY_URL)


def test_the_qr_code_is_about_35_mm(certificate):
    sizes = []

    def visitor(op, args, cm, tm):
        if op == b"Do":
            sizes.append((cm[0] / MM, cm[3] / MM))

    read(certificate).pages[0].extract_text(visitor_operand_before=visitor)
    assert sizes
    width, height = sizes[0]
    assert width == pytest.approx(kcert.QR_SIZE, abs=0.1)
    assert height == pytest.approx(kcert.QR_SIZE, abs=0.1)


def test_a_revoked_certificate_says_so(revoked):
    reader = read(revoked)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "REVOKED" in text
    assert "სტატუსი / Status" in text
    assert "ნინო ბერიძე" in text
    # It is also stamped across the page: large, rotated, red and see-through.
    stamps = []

    def visitor(text, cm, tm, font_dict, font_size):
        if "REVOKED" in text and abs(cm[1]) > 0.3:  # a rotated run
            stamps.append(font_size * (cm[0] ** 2 + cm[1] ** 2) ** 0.5)

    reader.pages[0].extract_text(visitor_text=visitor)
    assert stamps and stamps[0] > 60  # points
    red = " ".join(f"{c / 255:.4f}" for c in kcert.RED).encode()
    assert red + b" rg" in reader.pages[0].get_contents().get_data()
    assert b"/ca 0.28" in revoked


def text_origins(pdf_bytes):
    """(x, y) in mm of every upright text run on page 1 (the rotated watermark is left out)."""
    origins = []

    def visitor(text, cm, tm, font_dict, font_size):
        if text.strip() and abs(cm[1]) < 1e-6 and abs(tm[1]) < 1e-6:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            origins.append((x / MM, y / MM))

    read(pdf_bytes).pages[0].extract_text(visitor_text=visitor)
    return origins


def test_long_content_still_fits_one_page_inside_the_frame():
    long_url = "https://kari.example.ge/certificates/verify/SF-2026-0007/" + "a1b2c3" * 10
    data = certificate_data(
        holder_name="ალექსანდრე-ბესარიონ ჯავახიშვილი-მუხრანბატონი ორბელიანი დადიანი",
        holder_name_en="Aleksandre-Besarion Javakhishvili-Mukhranbatoni Orbeliani Dadiani",
        achievement_ka=certificate_data().achievement_ka * 3,
        achievement_en=certificate_data().achievement_en * 3,
        signatories=list(certificate_data().signatories) * 2,
        verify_url=long_url,
        status_note="გაუქმებულია / REVOKED 01.06.2026",
    )
    pdf_bytes = certificate_pdf(data)
    reader = read(pdf_bytes)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "ჯავახიშვილი-მუხრანბატონი" in text
    assert "REVOKED 01.06.2026" in text
    assert long_url in text.replace("\n", "")
    origins = text_origins(pdf_bytes)
    assert origins
    for x, y in origins:
        assert kcert.INNER < x < 297 - kcert.INNER, (x, y)
        assert kcert.INNER < y < 210 - kcert.INNER, (x, y)


def test_optional_parts_may_be_missing():
    data = certificate_data(
        holder_name_en="", signatories=[], achievement_en="", organisation_en="", programme_en=""
    )
    pdf_bytes = certificate_pdf(data)
    reader = read(pdf_bytes)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "ნინო ბერიძე" in text
    assert "Nino Beridze" not in text
    assert "Democracy Support" not in text
    assert VERIFY_URL in text


def test_a_single_signatory_and_three_signatories():
    people = [Signatory(name=f"ხელმომწერი {i}", role="წევრი / Member") for i in range(1, 4)]
    for signatories in (people[:1], people):
        text = text_of(certificate_pdf(certificate_data(signatories=signatories)))
        for person in signatories:
            assert person.name in text
