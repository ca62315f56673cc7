"""The exam invitation card (A17.3): Georgian text survives, the sittings, the rules, the QR code,
bulk rendering with progress, identical bytes for the same input."""

import datetime as dt
import io

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from kari.documents import InvitationCard, InvitationSitting, render_card, render_many
from kari.documents import fonts as kfonts
from kari.documents import invitation as kinv
from kari.documents import pdf as kpdf
from tests.documents.qr_support import assert_page_has_qr_of, decode

VERIFY_URL = "https://kari.example.ge/invitations/verify/INV-2026-A-000123/8f3a9c2d"


def card_data(**overrides) -> InvitationCard:
    data = {
        "number": "INV-2026-A-000123",
        "round_label": "2026 შემოდგომა / 2026 autumn",
        "first_name": "ნინო",
        "last_name": "ბერიძე",
        "first_name_latin": "Nino",
        "last_name_latin": "Beridze",
        "personal_number": "01024056789",
        "birth_date": dt.date(2009, 3, 14),
        "centre_name_ka": "ქუთაისის პროფესიული კოლეჯის საგამოცდო ცენტრი",
        "centre_name_en": "Kutaisi vocational college exam centre",
        "centre_address": "თამარ მეფის ქუჩა 59, მეორე სართული",
        "centre_municipality": "ქუთაისი",
        "sittings": [
            InvitationSitting(
                "მექანიკური უნარები",
                "Mechanical skills",
                dt.date(2026, 9, 14),
                dt.time(10, 0),
                dt.time(9, 0),
                dt.time(9, 45),
                room="204",
            ),
            InvitationSitting(
                "ქართული ენა",
                "Georgian language",
                dt.date(2026, 9, 16),
                dt.time(13, 30),
                dt.time(12, 30),
                dt.time(13, 15),
            ),
        ],
        "verify_url": VERIFY_URL,
        "issued_on": dt.date(2026, 8, 20),
    }
    data.update(overrides)
    return InvitationCard(**data)


def read(pdf_bytes):
    return PdfReader(io.BytesIO(pdf_bytes))


def text_of(pdf_bytes) -> str:
    return read(pdf_bytes).pages[0].extract_text()


@pytest.fixture(scope="module")
def card_pdf():
    return render_card(card_data())


def test_a17_3_card_is_one_page_with_the_title(card_pdf):
    reader = read(card_pdf)
    assert len(reader.pages) == 1
    text = text_of(card_pdf)
    assert "საგამოცდო მოსაწვევი" in text
    assert "Exam invitation" in text
    assert "INV-2026-A-000123" in text
    assert "2026 შემოდგომა" in text


def test_a17_3_applicant_and_centre_in_georgian_are_extractable(card_pdf):
    text = text_of(card_pdf)
    assert "ნინო ბერიძე" in text
    assert "Nino Beridze" in text
    assert "01024056789" in text
    assert "14.03.2009" in text
    assert "ქუთაისის პროფესიული კოლეჯის საგამოცდო ცენტრი" in text
    assert "Kutaisi vocational college exam centre" in text
    assert "თამარ მეფის ქუჩა 59, მეორე სართული" in text
    assert "ქუთაისი" in text


def test_a17_3_each_sitting_has_its_date_check_in_window_and_start(card_pdf):
    text = text_of(card_pdf)
    for date, check_in, start, test_ka, test_en in [
        ("14.09.2026", "09:00–09:45", "10:00", "მექანიკური უნარები", "Mechanical skills"),
        ("16.09.2026", "12:30–13:15", "13:30", "ქართული ენა", "Georgian language"),
    ]:
        assert date in text
        assert check_in in text  # check-in opens - closes
        assert start in text
        assert test_ka in text
        assert test_en in text
    assert "ოთახი / Room: 204" in text
    assert "ორშაბათი / Mon" in text  # 14.09.2026 is a Monday


def test_a19_a20_2_a20_6_rules_are_printed(card_pdf):
    text = " ".join(text_of(card_pdf).split())
    # A19.1-2: an identity document and the invitation.
    for document in (
        "დაბადების მოწმობა",
        "პირადობის მოწმობა",
        "ბინადრობის ნებართვა",
        "პასპორტი",
        "birth certificate",
        "ID card",
        "residence permit",
        "passport",
        "this invitation",
    ):
        assert document in text
    assert "(A19.1-2)" in text
    # A20.2: nobody is admitted after check-in closes; A20.6: no phones or electronics.
    assert "Nobody is admitted after check-in closes" in text
    assert "(A20.2)" in text
    assert "Phones and other electronic devices are not allowed" in text
    assert "(A20.6)" in text


def test_a17_3_the_qr_code_is_an_image_of_the_verify_url(card_pdf):
    assert_page_has_qr_of(read(card_pdf).pages[0], VERIFY_URL, mask=kinv.QR_MASK)
    assert VERIFY_URL in text_of(card_pdf)


def test_a17_3_dejavu_fonts_are_embedded(card_pdf):
    fonts = read(card_pdf).pages[0]["/Resources"]["/Font"]
    names = {f.get_object()["/BaseFont"] for f in fonts.values()}
    assert any("DejaVuSans" in name and "Bold" not in name for name in names)
    assert any("DejaVuSans" in name and "Bold" in name for name in names)
    for font in fonts.values():
        descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        assert descriptor.get_object()["/FontFile2"]  # embedded, not referenced


def test_a17_3_adapted_environment_is_printed_when_granted():
    text = text_of(render_card(card_data(adapted_environment="ეტლით მისადგომი ოთახი")))
    assert "ადაპტირებული გარემო" in text
    assert "ეტლით მისადგომი ოთახი" in text
    assert "ადაპტირებული გარემო" not in text_of(render_card(card_data()))


def test_a17_3_a_character_outside_the_cut_fonts_renders_with_the_full_fonts():
    pdf = render_card(card_data(first_name_latin="José", last_name_latin="Müller-Łukasz"))
    assert "José Müller-Łukasz" in text_of(pdf)
    assert "ნინო ბერიძე" in text_of(pdf)


def test_a17_3_long_names_and_addresses_wrap_and_stay_on_one_page():
    long_address = "აღმაშენებლის ხეივანი, მე-13 კილომეტრი, ტექნოლოგიური პარკის მესამე კორპუსი, " * 2
    pdf = render_card(
        card_data(centre_address=long_address.strip(), last_name="ჰაჰუტაშვილი-ჭავჭავაძე-წერეთელი")
    )
    assert len(read(pdf).pages) == 1
    text = " ".join(text_of(pdf).split())
    assert "ტექნოლოგიური პარკის" in text
    assert "ჰაჰუტაშვილი-ჭავჭავაძე-წერეთელი" in text


def test_a17_3_same_input_gives_identical_bytes(card_pdf):
    assert render_card(card_data()) == card_pdf
    assert render_card(card_data(number="INV-2026-A-000124")) != card_pdf


def test_a17_3_render_many_writes_one_file_per_card_and_reports_progress(tmp_path):
    cards = [
        card_data(
            number=f"INV-2026-A-{i:06d}", verify_url=f"https://kari.example.ge/i/INV-2026-A-{i:06d}"
        )
        for i in range(1, 8)
    ]
    calls = []
    paths = render_many(
        cards,
        tmp_path / "out",
        workers=2,
        chunk_size=2,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert [p.name for p in paths] == [f"INV-2026-A-{i:06d}.pdf" for i in range(1, 8)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [p.name for p in paths]
    assert calls[0] == (0, 7)
    assert calls[-1] == (7, 7)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert all(total == 7 for _, total in calls)
    assert len(calls) == 1 + 4  # up front, then one per chunk of 2
    # The pool's files are the same bytes as rendering in this process.
    assert paths[2].read_bytes() == render_card(cards[2])
    assert "INV-2026-A-000003" in text_of(paths[2].read_bytes())


def test_a17_3_render_many_in_process_and_duplicate_numbers(tmp_path):
    calls = []
    paths = render_many(
        [card_data()], tmp_path, workers=1, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(0, 1), (1, 1)]
    assert paths[0].read_bytes() == render_card(card_data())
    with pytest.raises(ValueError):
        render_many([card_data(), card_data()], tmp_path)


# --- The speed shortcuts keep the output right (see the module doc of kari.documents.fonts) ---


def _qr_samples():
    import random

    rnd = random.Random(2026)
    urls = [
        f"https://kari.example.ge/invitations/verify/INV-2026-A-{rnd.randint(0, 999999):06d}/"
        f"{rnd.getrandbits(64):016x}"
        for _ in range(20)
    ]
    # Other lengths (QR versions 1 to 10 and more) and modes (numeric, alphanumeric, byte).
    urls += [
        "".join(rnd.choice("abcXYZ019/:.-?=& ") for _ in range(rnd.randint(1, 300)))
        for _ in range(20)
    ]
    return urls + ["0123456789" * 8, "HTTPS://KARI.EXAMPLE.GE/I/1"]


@pytest.mark.parametrize("url", _qr_samples())
def test_a17_3_a_qr_code_with_the_cards_fixed_mask_is_read_by_a_scanner(url):
    assert decode(kpdf.qr_image(url, mask=kinv.QR_MASK)) == [url]


def test_a17_3_the_cards_own_labels_are_in_the_cut_fonts():
    labels = [
        getattr(kinv, name)
        for name in dir(kinv)
        if name.isupper() and isinstance(getattr(kinv, name), str)
    ]
    labels += kinv.SITTING_HEADINGS + kinv.WEEKDAYS
    labels += [ka for ka, _en, _refs in kinv.RULE_LINES] + [
        en for _ka, en, _refs in kinv.RULE_LINES
    ]
    labels += [ref for _ka, _en, refs in kinv.RULE_LINES for ref in refs]
    labels += ["კარი / Kari · № ", "  ·  ", "–", "•", ": ", "—"]
    assert kfonts.use_cut_fonts(FPDF(), labels)


def test_every_character_of_the_cut_fonts_extracts_from_the_card():
    letters = "".join(chr(c) for c in range(0x10D0, 0x10FB))
    card = card_data(
        first_name=letters,
        last_name="«№ 5 — 10 € · ‘x’ “y” …»",
        first_name_latin="ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        last_name_latin="0123456789",
    )
    # Rendered with the cut fonts and their frozen PDF objects.
    assert kfonts.use_cut_fonts(FPDF(), kinv._card_texts(card))
    text = " ".join(text_of(render_card(card)).split())
    assert letters in text.replace(" ", "")  # wrapped over lines
    assert "«№ 5 — 10 € · ‘x’ “y” …»" in text
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789" in text


def test_a17_3_the_plain_fonts_print_the_same_card(card_pdf):
    plain = render_card(card_data(), cut_fonts=False)  # fpdf2's own add_font and subsetting
    assert len(read(plain).pages) == 1
    assert text_of(plain) == text_of(card_pdf)


def test_cards_leave_fpdf2_and_other_documents_alone():
    import fontTools.subset
    from fpdf import output as fpdf_output

    first = render_card(card_data())
    assert fpdf_output.ftsubset is fontTools.subset  # nothing patched process-wide
    # A plain fpdf2 document with the same (full) fonts is subset by fpdf2 as usual...
    doc = FPDF()
    kfonts.add_fonts(doc)
    doc.add_page()
    doc.set_font(kfonts.FONT_FAMILY, "B", 12)
    doc.cell(text="ნინო ბერიძე")
    plain = bytes(doc.output())
    assert len(plain) < 40_000  # subset, not the 700 kB font
    assert "ნინო ბერიძე" in text_of(plain)
    # ... and does not change the next card.
    assert render_card(card_data()) == first
