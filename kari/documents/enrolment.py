"""A29.2: the enrolment contract and the institution head's enrolment act, in Georgian.

The caller builds a :class:`ContractData` or :class:`EnrolmentActData`; the act's bytes are then
signed (PAdES) by the caller with the head's key.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf.enums import XPos, YPos

from . import pdf as kpdf


@dataclass(frozen=True)
class ContractData:
    number: str
    date: str
    institution: str
    institution_address: str
    head: str
    student: str
    personal_number: str
    birth_date: str
    signatory: str  # who signs for the student: the student, or the representative
    representative: str  # "" when the student signs
    programme: str
    programme_code: str
    duration: str
    funding: str
    georgian_module: bool
    clauses: str
    challenge: str


@dataclass(frozen=True)
class EnrolledRow:
    name: str
    programme: str
    funding: str
    georgian_module: bool


@dataclass(frozen=True)
class EnrolmentActData:
    number: str
    date: str
    institution: str
    head: str
    round_label: str
    rows: tuple[EnrolledRow, ...]
    challenge: str


CONTRACT_TITLE = "ხელშეკრულება პროფესიულ საგანმანათლებლო პროგრამაზე ჩარიცხვის შესახებ"
ACT_TITLE = "ინდივიდუალური ადმინისტრაციულ-სამართლებრივი აქტი პროფესიულ სტუდენტად ჩარიცხვის შესახებ"
MODULE_CLAUSE = (
    "სტუდენტი ჩაირიცხა რუსულ, აზერბაიჯანულ ან სომხურ ენაზე ტესტირების შედეგით; სწავლება "
    "იწყება ქართული ენის მოდულით (მუხ. 29.3)."
)


def contract_pdf(c: ContractData) -> bytes:
    """The contract between the institution and the student (or the representative) as PDF."""
    return kpdf.render(
        f"{CONTRACT_TITLE} {c.number}", f"კარი · {c.number}", lambda pdf: _contract(pdf, c)
    )


def _contract(pdf: kpdf.KariPDF, c: ContractData) -> None:
    kpdf.heading(pdf, CONTRACT_TITLE)
    rows = [
        ("ხელშეკრულების ნომერი", c.number),
        ("თარიღი", c.date),
        ("დაწესებულება", f"{c.institution}, {c.institution_address}"),
        ("დაწესებულების ხელმძღვანელი", c.head),
        ("პროფესიული სტუდენტი", c.student),
        ("პირადი ნომერი", c.personal_number),
        ("დაბადების თარიღი", c.birth_date),
    ]
    if c.representative:
        rows.append(("მშობელი / კანონიერი წარმომადგენელი (მუხ. 29.2)", c.representative))
    rows += [
        ("პროფესიული საგანმანათლებლო პროგრამა", f"{c.programme} ({c.programme_code})"),
        ("სწავლის ხანგრძლივობა", c.duration),
        ("დაფინანსება", c.funding),
    ]
    kpdf.field_table(pdf, rows)
    pdf.ln(4)
    if c.georgian_module:
        kpdf.style(pdf, kpdf.BODY_SIZE, bold=True)
        pdf.multi_cell(0, 5, MODULE_CLAUSE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        kpdf.style(pdf, kpdf.BODY_SIZE)
        pdf.ln(2)
    kpdf.heading(pdf, "ხელშეკრულების პირობები", size=11)
    pdf.multi_cell(0, 5, c.clauses, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    kpdf.style(pdf, kpdf.SMALL_SIZE, color=kpdf.GREY)
    pdf.multi_cell(0, 4, c.challenge, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    kpdf.style(pdf, kpdf.BODY_SIZE)
    pdf.ln(16)
    kpdf.signature_lines(pdf, ["დაწესებულების ხელმძღვანელი", c.signatory], line_w=0.2)


def act_pdf(a: EnrolmentActData) -> bytes:
    """The head's act listing the enrolled applicants, as PDF (to be signed by the caller)."""
    return kpdf.render(f"{ACT_TITLE} {a.number}", f"კარი · {a.number}", lambda pdf: _act(pdf, a))


def _act(pdf: kpdf.KariPDF, a: EnrolmentActData) -> None:
    kpdf.heading(pdf, ACT_TITLE)
    kpdf.field_table(
        pdf,
        [
            ("აქტის ნომერი", a.number),
            ("თარიღი", a.date),
            ("დაწესებულება", a.institution),
            ("ხელმძღვანელი", a.head),
            ("ტესტირება", a.round_label),
        ],
    )
    pdf.ln(3)
    pdf.multi_cell(
        0,
        5,
        "რეიტინგული ჩამონათვალისა და წარდგენილი დოკუმენტების საფუძველზე (მუხ. 29.2) "
        "პროფესიულ სტუდენტებად ჩაირიცხნენ:",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(2)
    kpdf.grid_table(
        pdf,
        ["№", "სახელი, გვარი", "პროგრამა", "დაფინანსება", "ქართული ენის მოდული"],
        [
            [
                str(i),
                r.name,
                r.programme,
                r.funding,
                "დიახ (მუხ. 29.3)" if r.georgian_module else "—",
            ]
            for i, r in enumerate(a.rows, 1)
        ],
        [10, 46, 58, 30, 30],
    )
    pdf.ln(4)
    kpdf.style(pdf, kpdf.SMALL_SIZE, color=kpdf.GREY)
    pdf.multi_cell(0, 4, a.challenge, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    kpdf.style(pdf, kpdf.BODY_SIZE)
    pdf.ln(14)
    kpdf.signature_lines(pdf, [f"დაწესებულების ხელმძღვანელი: {a.head}"], line_w=0.2)
