"""An applicant's attachment downloads with the type sniffed from its content at filing (not
one guessed from the uploader's file name); a complaint whose organisation is missing is
nobody's, so no commission member sees it, while the list pages keep working."""

import pytest
from django.core.files.base import ContentFile

from kari.accounts.models import User
from kari.appeals.models import Attachment
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n0000"


def test_an_attachment_downloads_with_its_sniffed_type_not_its_names(client, received):
    w = received
    a = Attachment(complaint=w["complaint"], name="photo.html", size=len(PNG))
    a.content_type = "image/png"  # what the content showed when it was filed
    a.file.save("P-test.png", ContentFile(PNG), save=False)
    a.save()
    sign_in(client, w["chair"].user)
    r = client.get(f"/appeals/attachments/{a.pk}/")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png"  # not text/html, guessed from "photo.html"
    assert r["Content-Disposition"].startswith("attachment")
    assert b"".join(r.streaming_content) == PNG


def test_a_complaint_of_no_organisation_is_nobodys(client, received):
    w = received
    c = w["complaint"]
    sign_in(client, w["chair"].user)
    assert client.get(f"/appeals/complaints/{c.pk}/").status_code == 200
    # the proctor who filed it no longer belongs to an organisation: the complaint has none
    User.objects.filter(pk=c.filed_by_id).update(organisation=None)
    assert client.get(f"/appeals/complaints/{c.pk}/").status_code == 403
    # the list pages still work, for the member's own organisation
    assert client.get("/appeals/").status_code == 200
    assert client.get("/appeals/results/").status_code == 200
