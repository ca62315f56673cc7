"""The registration printout (A15.4, "ამონაბეჭდი") handed over at a registration centre.

The document is always bilingual, Georgian first, so its labels are fixed strings, not gettext.

``data`` holds display-ready strings: ``number``, ``round``, ``stage`` ("primary"/"subsequent"),
``applicant_name``, ``personal_number``, ``birth_date``, ``phone``, ``email``,
``exam_municipality``, ``test_language``, ``foreign_language``, ``skills_test``,
``subject_group``, ``adapted_environment`` (may be ""), ``registered_at``, ``version`` (int),
``channel``, ``clerk_name``, ``centre_name``,
``printed_at``, ``verify_url`` (absolute, encoded in the QR code); ``programmes``, a list of
``{"rank": int, "code", "name", "institution"}``; and optionally ``documents``, a list of strings.
"""

from . import pdf as kpdf

TITLE = "რეგისტრაციის ამონაბეჭდი / Registration printout"

STAGES = {
    "primary": "პირველადი საფეხური / primary stage",
    "subsequent": "შემდგომი საფეხური / subsequent stage",
}
NOT_REQUESTED = "არ მოითხოვა / not requested"

FIELDS = [
    ("number", "რეგისტრაციის ნომერი / Registration number"),
    ("round", "ტური / Round"),
    ("stage", "საფეხური / Stage"),
    ("applicant_name", "აპლიკანტი / Applicant"),
    ("personal_number", "პირადი ნომერი / Personal number"),
    ("birth_date", "დაბადების თარიღი / Date of birth"),
    ("phone", "ტელეფონი / Phone"),
    ("email", "ელ. ფოსტა / Email"),
    ("exam_municipality", "გამოცდის მუნიციპალიტეტი / Exam municipality"),
    ("test_language", "ტესტის ენა / Test language"),
    ("foreign_language", "უცხო ენა / Foreign language"),
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


def _value(data: dict, key: str) -> str:
    value = data.get(key, "")
    if key == "stage":
        return STAGES.get(value, value)
    if key == "adapted_environment" and not value:
        return NOT_REQUESTED
    return str(value)


def _small_label(pdf, label: str, line_h: float = 3.6) -> None:
    """A bilingual label as one small line: Georgian in ink, the English in grey."""
    ka, en = kpdf.split_label(label)
    pdf.set_font(kpdf.FONT_FAMILY, "", kpdf.SMALL_SIZE)
    pdf.set_text_color(kpdf.INK)
    pdf.write(line_h, ka)
    if en:
        pdf.set_text_color(kpdf.GREY)
        pdf.write(line_h, f" / {en}")
    pdf.set_text_color(kpdf.INK)


def registration_printout(data: dict) -> bytes:
    """The A15.4 registration printout as PDF bytes; see the module docstring for ``data``."""
    pdf = kpdf.new_document(f"{TITLE} {data['number']}")
    kpdf.footer_text(pdf, f"კარი / Kari · № {data['number']} · {data['printed_at']}")

    kpdf.heading(pdf, TITLE)
    kpdf.field_table(pdf, [(label, _value(data, key)) for key, label in FIELDS])

    # The ranked programmes.
    pdf.ln(4)
    kpdf.heading(pdf, PROGRAMMES, size=11)
    programmes = sorted(data.get("programmes") or [], key=lambda p: p["rank"])
    if programmes:
        rows = [[str(p["rank"]), p["code"], p["name"], p["institution"]] for p in programmes]
        kpdf.grid_table(
            pdf,
            PROGRAMME_HEADINGS,
            rows,
            PROGRAMME_WIDTHS,
            align=["CENTER", "LEFT", "LEFT", "LEFT"],
        )
    else:
        pdf.multi_cell(0, 5, NO_PROGRAMMES, new_x="LMARGIN", new_y="NEXT")

    documents = data.get("documents") or []
    if documents:
        pdf.ln(5)
        kpdf.heading(pdf, DOCUMENTS, size=11)
        for document in documents:
            pdf.multi_cell(0, 4.6, f"•  {document}", align="L", new_x="LMARGIN", new_y="NEXT")

    _confirmation(pdf, data)
    return bytes(pdf.output())


def _confirmation(pdf, data: dict) -> None:
    """Who confirmed it and when, the QR code with its caption, then the two signature lines."""
    pdf.ln(6)
    kpdf.ensure_space(pdf, QR_SIZE + SIGNATURE_GAP + 6)
    y0 = pdf.get_y()
    x_text = pdf.l_margin + QR_SIZE + 5
    text_w = pdf.w - pdf.r_margin - x_text
    kpdf.qr(pdf, data["verify_url"], x=pdf.l_margin, y=y0, size_mm=QR_SIZE)

    left_margin = pdf.l_margin
    pdf.set_left_margin(x_text)  # write() wraps to the left margin: keep it beside the QR code
    try:
        pdf.set_xy(x_text, y0 + 1.5)
        _small_label(pdf, CONFIRMED_BY)
        pdf.ln(4.2)
        pdf.set_font(kpdf.FONT_FAMILY, "B", kpdf.BODY_SIZE)
        pdf.multi_cell(text_w, 4.6, data["clerk_name"], align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(kpdf.FONT_FAMILY, "", kpdf.BODY_SIZE)
        pdf.multi_cell(text_w, 4.6, data["centre_name"], align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
        _small_label(pdf, PRINTED_AT)
        pdf.set_font(kpdf.FONT_FAMILY, "", kpdf.BODY_SIZE)
        pdf.write(3.6, f"  {data['printed_at']}")
        pdf.ln(5.5)
        _small_label(pdf, VERIFY)
        pdf.ln(4)
        pdf.set_font(kpdf.FONT_FAMILY, "", kpdf.BODY_SIZE - 1)
        pdf.multi_cell(
            text_w,
            4.2,
            data["verify_url"],
            align="L",
            wrapmode="CHAR",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    finally:
        pdf.set_left_margin(left_margin)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), y0 + QR_SIZE) + SIGNATURE_GAP)

    # Signature lines: the applicant's on the left, the staff member's on the right.
    gap = 14
    line_w = (pdf.epw - gap) / 2
    y_line = pdf.get_y()
    pdf.set_draw_color(kpdf.INK)
    pdf.set_line_width(0.3)
    for i, label in enumerate(SIGNATURES):
        x = pdf.l_margin + i * (line_w + gap)
        pdf.line(x, y_line, x + line_w, y_line)
        pdf.set_xy(x, y_line + 1.2)
        _small_label(pdf, label)
    pdf.set_xy(pdf.l_margin, y_line + 6)
