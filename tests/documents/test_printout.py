"""The A15.4 registration printout: Georgian text survives, fonts are embedded, the QR is there."""

import io

import pytest
from pypdf import PdfReader

from kari.documents import Printout, ProgrammeChoice, registration_printout
from kari.documents import pdf as kpdf
from tests.documents.qr_support import assert_page_has_qr_of

VERIFY_URL = "https://kari.example.ge/verify/R-2027-000123/8f3a9c"

PROGRAMME_NAMES = [
    "ინფორმაციული ტექნოლოგიების მხარდაჭერა",
    "სასტუმრო მომსახურება",
    "ელექტრობა",
]


def programmes(n):
    return [
        ProgrammeChoice(
            rank=i + 1,
            code=f"P{1000 + i}",
            name=PROGRAMME_NAMES[i % 3],
            institution="სსიპ თბილისის სახელმწიფო კოლეჯი „ივერია“",
        )
        for i in range(n)
    ]


def printout_data(**overrides) -> Printout:
    data = {
        "number": "R-2027-000123",
        "round_label": "გაზაფხული 2027",
        "stage": "primary",
        "applicant_name": "ნინო ბერიძე",
        "personal_number": "01001012345",
        "birth_date": "05.04.2009",
        "phone": "+995 599 12 34 56",
        "email": "nino.beridze@example.ge",
        "exam_municipality": "თბილისი",
        "test_language": "ქართული",
        "foreign_language": "ინგლისური",
        "skills_test": "ზოგადი უნარები",
        "subject_group": "საინჟინრო",
        "adapted_environment": "",
        "programmes": programmes(3),
        "registered_at": "10.03.2027 11:02:33",
        "version": 2,
        "channel": "რეგისტრაციის ცენტრი / Registration centre",
        "clerk_name": "გიორგი მაისურაძე",
        "centre_name": "თბილისის რეგისტრაციის ცენტრი №1",
        "printed_at": "10.03.2027 11:05:10",
        "verify_url": VERIFY_URL,
    }
    data.update(overrides)
    return Printout(**data)


def read(data):
    return PdfReader(io.BytesIO(data))


def all_text(reader):
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def printout():
    return registration_printout(printout_data())


def test_printout_is_a_one_page_pdf(printout):
    assert printout.startswith(b"%PDF")
    assert len(read(printout).pages) == 1


def test_georgian_text_and_key_facts_are_extractable(printout):
    text = read(printout).pages[0].extract_text()
    assert "რეგისტრაციის ამონაბეჭდი" in text
    assert "Registration printout" in text
    assert "ნინო ბერიძე" in text
    assert "გიორგი მაისურაძე" in text
    assert "თბილისის რეგისტრაციის ცენტრი №1" in text
    assert "01001012345" in text
    assert "R-2027-000123" in text
    assert "10.03.2027 11:05:10" in text
    assert "პირველადი საფეხური" in text
    assert "Confirmed by" in text
    assert "Verify" in text
    assert VERIFY_URL in text
    for programme in programmes(3):
        assert programme.code in text
        assert programme.name in text


def test_dejavu_fonts_are_embedded(printout):
    fonts = read(printout).pages[0]["/Resources"]["/Font"]
    base_fonts = [font.get_object()["/BaseFont"] for font in fonts.values()]
    assert base_fonts
    assert all("DejaVu" in name for name in base_fonts)
    assert any("Bold" in name for name in base_fonts)


def test_metadata(printout):
    metadata = read(printout).metadata
    assert metadata["/Creator"] == "Kari"
    assert metadata["/Title"].startswith("რეგისტრაციის ამონაბეჭდი / Registration printout")
    assert "R-2027-000123" in metadata["/Title"]


def test_the_qr_code_is_an_image_of_the_verify_url(printout):
    assert_page_has_qr_of(read(printout).pages[0], VERIFY_URL)


def test_a_long_programme_list_flows_onto_a_second_page():
    reader = read(registration_printout(printout_data(programmes=programmes(15))))
    assert len(reader.pages) >= 2
    text = all_text(reader)
    for programme in programmes(15):
        assert programme.code in text
    # The closing block (confirmation, QR, signatures) is still printed, after the programmes.
    assert "გიორგი მაისურაძე" in reader.pages[-1].extract_text()
    assert VERIFY_URL in reader.pages[-1].extract_text()
    assert "Page 2 / 2" in reader.pages[1].extract_text()


def test_programmes_are_listed_by_rank():
    shuffled = list(reversed(programmes(3)))
    text = read(registration_printout(printout_data(programmes=shuffled))).pages[0].extract_text()
    positions = [text.index(p.code) for p in programmes(3)]
    assert positions == sorted(positions)


def test_adapted_environment_and_documents_to_bring():
    without = read(registration_printout(printout_data())).pages[0].extract_text()
    assert "not requested" in without
    assert "Documents to bring" not in without

    data = printout_data(
        adapted_environment="ეტლით მისადგომი აუდიტორია",
        documents=["სსსმ სტატუსის დამადასტურებელი დოკუმენტი"],
    )
    text = all_text(read(registration_printout(data)))
    assert "ეტლით მისადგომი აუდიტორია" in text
    assert "Documents to bring" in text
    assert "სსსმ სტატუსის დამადასტურებელი დოკუმენტი" in text


def test_subsequent_stage_and_no_programmes():
    text = (
        read(registration_printout(printout_data(stage="subsequent", programmes=[])))
        .pages[0]
        .extract_text()
    )
    assert "შემდგომი საფეხური" in text
    assert "No programme chosen" in text


def test_field_table_wraps_long_values():
    pdf = kpdf.new_document("test")
    y0 = pdf.get_y()
    kpdf.field_table(pdf, [("ერთი / One", "მოკლე")])
    one_line = pdf.get_y() - y0
    y1 = pdf.get_y()
    long_value = " ".join(["გრძელი მნიშვნელობა"] * 30)
    kpdf.field_table(pdf, [("ორი / Two", long_value)])
    assert pdf.get_y() - y1 > 3 * one_line
    unbroken = "x" * 400  # one word wider than the column still wraps, by character
    kpdf.field_table(pdf, [("სამი / Three", unbroken)])
    text = read(bytes(pdf.output())).pages[0].extract_text()
    assert text.count("გრძელი") == 30
    assert text.count("მნიშვნელობა") == 30
    assert text.replace("\n", "").count("x") == 400
