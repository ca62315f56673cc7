"""The closing block of Kari's acts and receipts: the QR code that leads to the document's
check page, the address under "Verify", then the lines to sign on.

Shared by the appeals commission's receipt and decision, the minister's SEN act and the
institution head's subsequent-stage ranking document; a PAdES signature (:mod:`.signing`)
is added to the rendered bytes by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import pdf as kpdf

__all__ = ["QR_SIZE", "VERIFY", "verify_and_sign"]

QR_SIZE = 28  # mm, quiet zone included
VERIFY = "გადაამოწმეთ / Verify:"


def verify_and_sign(
    pdf: kpdf.KariPDF, url: str, signatures: Sequence[str], *, before: float = 3, gap: float = 10
) -> None:
    """From the current y: ``before`` mm of space, the QR code of ``url`` with the address
    beside it, ``gap`` mm of space, then a line to sign on for each of ``signatures``."""
    pdf.ln(before)
    kpdf.ensure_space(pdf, QR_SIZE + 4)
    y = pdf.get_y()
    kpdf.qr(pdf, url, pdf.l_margin, y, QR_SIZE)
    kpdf.label(pdf, pdf.l_margin + QR_SIZE + 3, y + 8, VERIFY, size=kpdf.SMALL_SIZE, h=4)
    kpdf.style(pdf, kpdf.SMALL_SIZE)
    kpdf.text(pdf, pdf.l_margin + QR_SIZE + 3, y + 13, 4, url)
    kpdf.style(pdf, kpdf.BODY_SIZE)
    pdf.set_xy(pdf.l_margin, y + QR_SIZE + 2)
    pdf.ln(gap)
    kpdf.signature_lines(pdf, signatures, line_w=0.2)
