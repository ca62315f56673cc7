"""Issue 19, point 4: the certification applicant reads back what they submitted; anyone
looks a certificate up by its number on a page, without a command."""

import pytest
from django.db import transaction

from kari.certification.issuing import generate_key, issue_certificate
from tests.certification.conftest import submitted
from tests.certification.test_certification_http import applicant_sign_in

pytestmark = pytest.mark.django_db


def test_the_applicant_reads_back_what_they_submitted(client, cert):
    app = submitted(cert)
    applicant_sign_in(client)
    html = client.get("/en/certification/my/").content.decode()
    block = html[html.index(f'id="submitted-{app.pk}"') :]
    block = block[: block.index("</details>")]
    assert "What you submitted" in block and " open" in block.split(">")[0]
    assert block.index("Describe your experience") < block.index("Why do you want")
    assert "5 წელი" in block and "სწავლა" in block and "cv.pdf" in block
    assert "<textarea" not in block and "<input" not in block  # read-only


def test_anyone_looks_a_certificate_up_by_number(client, cert):
    generate_key(cert["org"])
    app = submitted(cert)
    with transaction.atomic():
        number = issue_certificate(app).number
    assert (
        'href="/en/certification/certificates/"'
        in client.get("/en/certification/").content.decode()
    )
    page = client.get("/en/certification/certificates/").content.decode()
    assert '<input type="text" id="number" name="number"' in page
    response = client.get("/en/certification/certificates/", {"number": f" {number.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == f"/en/certification/certificates/{number}/"
    wrong = client.get("/en/certification/certificates/", {"number": "NOPE-2026-AAAA-BBBB"})
    html = wrong.content.decode()
    assert wrong.status_code == 200 and 'href="#number"' in html and "No certificate has" in html
    assert 'value="NOPE-2026-AAAA-BBBB"' in html  # what was typed is kept
    empty = client.get("/en/certification/certificates/", {"number": ""}).content.decode()
    assert "Enter the certificate number" in empty
