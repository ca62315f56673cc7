"""The certificate PDF's staff branch needs a staff sign-in: the password *and* the second
factor. A session signed in with a password alone (not verified by TOTP) is refused."""

import pytest

from tests.certification.test_certification_services import certify
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_the_staff_download_needs_the_second_factor(client, cert):
    number = certify(cert).certificate.number
    url = f"/certification/certificates/{number}/certificate.pdf"
    client.force_login(cert["officer"])  # authenticated, but no second factor verified
    assert client.get(url).status_code == 403
    client.logout()
    sign_in(client, cert["officer"])  # the password, then the TOTP code
    pdf = client.get(url)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
