"""Issue 19, point 5: the quality centre's queue shows the announcements awaiting
confirmation first, with a count and a filter."""

import re

import pytest

from kari.accounts.roles import Role
from kari.catalogue import services
from kari.catalogue.models import Announcement, AnnouncementStatus
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _rows(html: str) -> list[str]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r'<span class="status (\w+)">', body)


def test_the_queue_leads_with_what_awaits_confirmation_and_filters(world, client):
    admin_a = world["users"][Role.INSTITUTION_ADMIN]
    services.set_places(admin_a, world["inst_a"], world["round"], {"A-0": (20, 2)})
    submitted = services.submit_announcement(admin_a, world["inst_a"].announcements.get())
    # Another institution's announcement, confirmed earlier: alphabetically before "submitted".
    other, _ = Announcement.objects.update_or_create(
        institution=world["inst_b"],
        round=world["round"],
        defaults={"status": AnnouncementStatus.CONFIRMED},
    )
    sign_in(client, world["users"][Role.QUALITY_OFFICER])
    html = client.get("/en/catalogue/review/").content.decode()
    assert "1 announcement awaits your confirmation" in html
    assert _rows(html) == ["submitted", "confirmed"]  # awaiting first
    html = client.get("/en/catalogue/review/?status=confirmed").content.decode()
    assert _rows(html) == ["confirmed"] and '<option value="confirmed" selected>' in html
    assert "(1)" in html and "1 announcement shown" in html
    name = other.institution.organisation.name_ka
    html = client.get("/en/catalogue/review/", {"q": name}).content.decode()
    assert (
        name in html and submitted.institution.organisation.name_ka not in html.split("<tbody>")[1]
    )
    html = client.get("/en/catalogue/review/?status=draft").content.decode()
    assert "No announcement matches. Clear the filter." in html
