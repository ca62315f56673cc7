"""The registration printout (A15.4, "ამონაბეჭდი") handed over at a registration centre.

The document is always bilingual, Georgian first, so its labels are fixed strings; the caller
gives a :class:`~kari.documents.inputs.Printout` of display-ready values.
"""

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from . import pdf as kpdf
from .inputs import Printout

TITLE = "რეგისტრაციის ამონაბეჭდი / Registration printout"

STAGES = {
    "primary": "პირველადი საფეხური / primary stage",
    "subsequent": "შემდგომი საფეხური / subsequent stage",
}
NOT_REQUESTED = "არ მოითხოვა / not requested"

FIELDS = [
    ("number", "რეგისტრაციის ნომერი / Registration number"),
    ("round_label", "ტური / Round"),
    ("stage", "საფეხური / Stage"),
    ("applicant_name", "აპლიკანტი / Applicant"),
    ("personal_number", "პირადი ნომერი / Personal number"),
    ("birth_date", "დაბადების თარიღი / Date of birth"),
    ("phone", "ტელეფონი / Phone"),
    ("email", "ელ. ფოსტა / Email"),
    ("exam_municipality", "სასურველი საგამოცდო მუნიციპალიტეტი / Exam municipality"),
    ("test_language", "ტესტირების ენა / Test language"),
    ("foreign_language", "უცხოური ენა / Foreign language"),
    ("skills_test", "პროფესიული უნარების ტესტი / Skills test"),
    ("subject_group", "საგანთა ჯგუფი / Subject group"),
    ("adapted_environment", "ადაპტირებული გარემო / Adapted environment"),
    ("registered_at", "რეგისტრაციის დრო / Registered at"),
    ("version", "ვერსია / Version"),
    ("channel", "რეგისტრაციის არხი / Channel"),
]

PROGRAMMES = "არჩეული პროგრამები პრიორიტეტის მიხედვით / Programmes in order of preference"
PROGRAMME_HEADINGS = ["№", "კოდი / Code", "პროგრამა / Programme", "დაწესებულება / Institution"]
PROGRAMME_WIDTHS = [9, 24, 78, 63]
NO_PROGRAMMES = "პროგრამა არ არის არჩეული / No programme chosen"
DOCUMENTS = "თან მოსატანი დოკუმენტები / Documents to bring"
CONFIRMED_BY = "რეგისტრაცია დაადასტურა / Confirmed by:"
PRINTED_AT = "დაბეჭდილია / Printed at:"
VERIFY = "გადაამოწმეთ / Verify:"
SIGNATURES = [
    "აპლიკანტის ხელმოწერა / Applicant's signature",
    "თანამშრომლის ხელმოწერა / Staff member's signature",
]

QR_SIZE = 30  # mm, quiet zone included
SIGNATURE_GAP = 13  # mm between the QR block and the signature lines: room to sign
LABEL_H = 3.6  # line height of the small labels


def _value(data: Printout, key: str) -> str:
    value = str(getattr(data, key))
    if key == "stage":
        return STAGES.get(value, value)
    if key == "adapted_environment" and not value:
        return NOT_REQUESTED
    return value


def registration_printout(data: Printout) -> bytes:
    """The A15.4 registration printout as PDF bytes."""
    pdf = kpdf.new_document(
        f"{TITLE} {data.number}", footer=f"კარი / Kari · № {data.number} · {data.printed_at}"
    )
    kpdf.heading(pdf, TITLE)
    kpdf.field_table(pdf, [(label, _value(data, key)) for key, label in FIELDS])

    # The ranked programmes.
    pdf.ln(4)
    kpdf.heading(pdf, PROGRAMMES, size=11)
    programmes = sorted(data.programmes, key=lambda p: p.rank)
    if programmes:
        rows = [[str(p.rank), p.code, p.name, p.institution] for p in programmes]
        kpdf.grid_table(
            pdf,
            PROGRAMME_HEADINGS,
            rows,
            PROGRAMME_WIDTHS,
            align=["CENTER", "LEFT", "LEFT", "LEFT"],
        )
    else:
        pdf.multi_cell(0, 5, NO_PROGRAMMES, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if data.documents:
        pdf.ln(5)
        kpdf.heading(pdf, DOCUMENTS, size=11)
        for document in data.documents:
            pdf.multi_cell(0, 4.6, f"•  {document}", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    _confirmation(pdf, data)
    return bytes(pdf.output())


def _confirmation(pdf: FPDF, data: Printout) -> None:
    """Who confirmed it and when, the QR code with its caption, then the two signature lines."""
    pdf.ln(6)
    kpdf.ensure_space(pdf, QR_SIZE + SIGNATURE_GAP + 6)
    y0 = pdf.get_y()
    x_text = pdf.l_margin + QR_SIZE + 5
    x_label = x_text + pdf.c_margin  # where the cells beside it start their text
    text_w = pdf.w - pdf.r_margin - x_text
    kpdf.qr(pdf, data.verify_url, x=pdf.l_margin, y=y0, size_mm=QR_SIZE)

    y = y0 + 1.5
    kpdf.label(pdf, x_label, y, CONFIRMED_BY, size=kpdf.SMALL_SIZE, h=LABEL_H)
    pdf.set_xy(x_text, y + 4.2)
    kpdf.style(pdf, kpdf.BODY_SIZE, bold=True)
    pdf.multi_cell(text_w, 4.6, data.clerk_name, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    kpdf.style(pdf, kpdf.BODY_SIZE)
    pdf.multi_cell(text_w, 4.6, data.centre_name, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    y = pdf.get_y() + 1.5
    x = kpdf.label(pdf, x_label, y, PRINTED_AT, size=kpdf.SMALL_SIZE, h=LABEL_H)
    kpdf.style(pdf, kpdf.BODY_SIZE)
    kpdf.text(pdf, x, y, LABEL_H, f"  {data.printed_at}")
    y += 5.5
    kpdf.label(pdf, x_label, y, VERIFY, size=kpdf.SMALL_SIZE, h=LABEL_H)
    pdf.set_xy(x_text, y + 4)
    kpdf.style(pdf, kpdf.BODY_SIZE - 1)
    pdf.multi_cell(
        text_w,
        4.2,
        data.verify_url,
        align="L",
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), y0 + QR_SIZE) + SIGNATURE_GAP)

    # Signature lines: the applicant's on the left, the staff member's on the right.
    kpdf.signature_lines(pdf, SIGNATURES)
