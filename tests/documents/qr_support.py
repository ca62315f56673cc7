"""Shared check for documents' QR codes (no decoder is installed: compare with segno's matrix)."""

import segno


def assert_page_has_qr_of(page, url: str) -> None:
    xobjects = page["/Resources"]["/XObject"]
    assert any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values())
    image = page.images[0].image.convert("L")
    matrix = segno.make_qr(url, error="m").matrix
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
