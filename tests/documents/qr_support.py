"""Shared check for documents' QR codes: decoded by a real reader (zxing-cpp), and the very
modules segno makes for the URL."""

import segno
import zxingcpp


def decode(image) -> list[str]:
    """The texts of the QR codes a scanner finds in ``image`` (a PIL image)."""
    return [
        result.text
        for result in zxingcpp.read_barcodes(image)
        if result.format == zxingcpp.BarcodeFormat.QRCode
    ]


def assert_page_has_qr_of(page, url: str, mask: int | None = None) -> None:
    """``page`` (pypdf) shows a QR code of ``url``: it decodes to ``url``, and its modules are
    segno's for ``url`` (error correction M, ``mask`` None for segno's choice), with the quiet
    zone."""
    xobjects = page["/Resources"]["/XObject"]
    assert any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values())
    image = page.images[0].image.convert("L")
    assert decode(image) == [url]
    matrix = segno.make_qr(url, error="m", mask=mask).matrix
    border = 4
    modules = len(matrix) + 2 * border
    assert image.width == image.height
    assert image.width % modules == 0
    scale = image.width // modules
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            pixel = image.getpixel(
                ((c + border) * scale + scale // 2, (r + border) * scale + scale // 2)
            )
            assert (pixel < 128) == bool(dark), (r, c)
