"""PAdES signing and verification per document (kari.documents.signing, ECDSA P-256).

    .venv/bin/python benchmarks/signing.py [--docs 200] [--pages 2]

Signs one rendered PDF (a table of a few pages in DejaVu, like a ranking list) ``--docs`` times
in one process and verifies each result; prints the machine and the median and mean
milliseconds per document for each. The ranking issue's target is the signed PDFs of 2,000
programmes in at most 120 s on both cores, i.e. about 120 ms a document per core for rendering
and signing together.
"""

import argparse
import os
import platform
import statistics
import time
from importlib.metadata import version
from pathlib import Path

from fpdf import FPDF

from kari.documents import signing
from kari.documents.fonts import FONT_FAMILY, add_fonts


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, load {load} (1/5/15 min); "
        f"Python {platform.python_version()}, pyHanko {version('pyhanko')}"
    )


def document(pages: int) -> bytes:
    pdf = FPDF()
    add_fonts(pdf)
    pdf.set_font(FONT_FAMILY, size=9)
    for page in range(pages):
        pdf.add_page()
        pdf.cell(text=f"რეიტინგული ჩამონათვალი / Ranking list, page {page + 1}")
        pdf.ln(8)
        for row in range(45):
            pdf.cell(text=f"{row + 1:3d}  01234567890  გიორგი ბერიძე  {70 - row / 3:.2f}")
            pdf.ln(5)
    return bytes(pdf.output())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--pages", type=int, default=2)
    args = parser.parse_args()

    print(machine())
    identity = signing.make_self_signed("ცენტრის დირექტორი", "NAEC")
    pdf = document(args.pages)
    signing.verify_pdf(signing.sign_pdf(pdf, identity, reason="warm-up"), [identity.certificate])

    sign_ms, verify_ms, signed = [], [], []
    for _ in range(args.docs):
        start = time.perf_counter()
        signed.append(signing.sign_pdf(pdf, identity, reason="A27.5", location="თბილისი"))
        sign_ms.append((time.perf_counter() - start) * 1000)
    for out in signed:
        start = time.perf_counter()
        result = signing.verify_pdf(out, [identity.certificate])
        verify_ms.append((time.perf_counter() - start) * 1000)
        assert result.ok, result.problems

    print(f"document: {args.pages} pages, {len(pdf):,} bytes unsigned, {len(signed[0]):,} signed")
    for label, ms in (("sign", sign_ms), ("verify", verify_ms)):
        print(
            f"{label:6s}: median {statistics.median(ms):6.1f} ms/doc, "
            f"mean {statistics.fmean(ms):6.1f} ms/doc over {len(ms)} documents (one core)"
        )


if __name__ == "__main__":
    main()
