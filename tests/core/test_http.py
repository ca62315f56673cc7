"""Pages through HTTP: the portal (A13.9), language switch, staff sign-in with TOTP, staff flows."""

import pytest
from django_otp.oath import totp

from kari.accounts.roles import Role
from kari.accounts.services import confirmed_device
from kari.catalogue import services
from kari.catalogue.models import AnnouncementStatus
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(world):
    admin = world["users"][Role.INSTITUTION_ADMIN]
    services.set_places(admin, world["inst_a"], world["round"], {"A-0": (20, 2)})
    ann = services.submit_announcement(admin, world["inst_a"].announcements.get())
    services.confirm_announcement(world["users"][Role.QUALITY_OFFICER], ann)
    return world


def test_A13_9_portal_is_georgian_by_default_and_lists_confirmed_programmes(client, published):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ka">' in html and "მზარეული" in html
    assert "A-0" in html and "A-1" not in html


def test_portal_filters_by_municipality_and_test_type(client, published):
    assert "A-0" in client.get("/?municipality=tbilisi").content.decode()
    assert "A-0" not in client.get("/?municipality=kutaisi").content.decode()
    test_code = published["progs_a"][0].skills_test.code
    assert "A-0" in client.get(f"/?skills_test={test_code}&q=მზარ").content.decode()
    assert "A-0" not in client.get("/?q=nothing-like-this").content.decode()


def test_programme_page_shows_places_sen_places_test_subjects_and_requirements(client, published):
    p = published["progs_a"][0]
    html = client.get(f"/en/programmes/{p.code}/").content.decode()
    assert "20" in html and p.skills_test.name_en in html
    for s in p.subject_group.subjects.all():
        assert s.name_en in html
    assert client.get("/programmes/A-1/").status_code == 404  # not confirmed


def test_language_switch_back_to_georgian_from_an_english_page(client, published):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/en/programmes/A-0/").content.decode()
    assert 'name="next" type="hidden" value="/programmes/A-0/"' in page
    response = client.post("/i18n/setlang/", {"language": "ka", "next": "/programmes/A-0/"})
    assert response["Location"] == "/programmes/A-0/"
    assert '<html lang="ka">' in client.get(response["Location"]).content.decode()


def test_language_switch_to_english(client, published):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html and "Cook" in html


def test_staff_need_password_and_totp(client, world):
    user = world["users"][Role.INSTITUTION_ADMIN]
    assert client.get("/staff/").status_code == 302
    client.post("/staff/login/", {"username": user.username, "password": "Long-enough-pass-1"})
    assert client.get("/staff/").status_code == 302  # password alone is not enough
    device = confirmed_device(user)
    bad = client.post("/staff/login/code/", {"token": "000000"})
    assert bad.status_code == 200 and client.get("/staff/").status_code == 302
    # Throttled: right after a wrong code even the right one is refused for a while.
    good = f"{totp(device.bin_key):06d}"
    assert client.post("/staff/login/code/", {"token": good}).status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1
    device.throttle_reset()
    sign_in(client, user)
    assert client.get("/staff/").status_code == 200


def test_wrong_password_is_refused(client, world):
    response = client.post("/staff/login/", {"username": "u-institution_admin", "password": "nope"})
    assert response.status_code == 200 and client.get("/staff/").status_code == 302


def test_first_sign_in_enrols_an_authenticator(client, world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kari.accounts.services import create_staff

    user = create_staff(
        None,
        username="newbie",
        password="Long-enough-pass-1",
        organisation=world["inst_a"].organisation,
        roles=[Role.INSTITUTION_ADMIN],
    )
    response = client.post(
        "/staff/login/", {"username": "newbie", "password": "Long-enough-pass-1"}
    )
    assert "/staff/login/enrol/" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "data:image/svg+xml" in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/staff/login/enrol/", {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302 and confirmed_device(user) is not None


def test_the_announcement_page_writes_nothing_on_get(client, world):
    """A GET shows a blank announcement without saving it; the first saved places open it
    through the service, with its audit entries."""
    from kari.audit.models import AuditEntry

    sign_in(client, world["users"][Role.INSTITUTION_ADMIN])
    entries = AuditEntry.objects.count()
    response = client.get("/en/catalogue/announcement/")
    assert response.status_code == 200 and 'name="places-A-0"' in response.content.decode()
    assert not world["inst_a"].announcements.exists()
    assert AuditEntry.objects.count() == entries
    response = client.post(
        "/en/catalogue/announcement/", {"places-A-0": "20", "sen-A-0": "2", "save": "1"}
    )
    assert response.status_code == 302
    ann = world["inst_a"].announcements.get()
    actions = set(AuditEntry.objects.filter(object_id=str(ann.pk)).values_list("action", flat=True))
    assert {"announcement.open", "announcement.places"} <= actions


def test_announcement_flow_over_http(client, world):
    admin = world["users"][Role.INSTITUTION_ADMIN]
    sign_in(client, admin)
    response = client.post(
        "/en/catalogue/announcement/", {"places-A-0": "3", "sen-A-0": "1", "save": "1"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "A13.4(e)" in html
    assert 'value="3"' in html  # the form keeps what the user typed
    response = client.post(
        "/en/catalogue/announcement/", {"places-A-0": "20", "sen-A-0": "2", "submit": "1"}
    )
    assert response.status_code == 302
    ann = world["inst_a"].announcements.get()
    assert ann.status == AnnouncementStatus.SUBMITTED
    client.post("/staff/logout/")
    sign_in(client, world["users"][Role.QUALITY_OFFICER])
    assert (
        "college-a" in client.get("/en/catalogue/review/").content.decode().lower()
        or world["inst_a"].organisation.name_en
        in client.get("/en/catalogue/review/").content.decode()
    )
    response = client.post(f"/en/catalogue/review/{ann.pk}/", {"confirm": "1"})
    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.status == AnnouncementStatus.CONFIRMED


def test_other_institutions_admin_gets_403_on_review(client, world):
    sign_in(client, world["admin_b"])
    admin_a = world["users"][Role.INSTITUTION_ADMIN]
    ann = services.open_announcement(admin_a, world["inst_a"], world["round"])
    assert client.get(f"/catalogue/review/{ann.pk}/").status_code == 403


def test_programme_form_keeps_input_and_names_the_field(client, world):
    sign_in(client, world["users"][Role.INSTITUTION_ADMIN])
    response = client.post(
        "/en/catalogue/programmes/new/",
        {
            "code": "NEW-1",
            "name_ka": "ახალი",
            "field": "1013",
            "stage": "primary",
            "foreign_language": "any",
            "work_based": "on",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "A13.4(g)" in html and 'value="NEW-1"' in html


def test_import_page_lists_errors(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sign_in(client, world["users"][Role.INSTITUTION_ADMIN])
    upload = SimpleUploadedFile("p.csv", b"code,institution\nX,college-a\n", "text/csv")
    response = client.post("/en/catalogue/import/", {"kind": "programmes", "file": upload})
    assert "nothing was imported" in response.content.decode()


def test_csp_and_security_headers(client, db):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_audit_history_page(client, published):
    sign_in(client, published["users"][Role.INSTITUTION_ADMIN])
    ann = published["inst_a"].announcements.get()
    html = client.get(f"/en/audit/catalogue.announcement/{ann.pk}/").content.decode()
    # the action in words, never its internal name (issue 19)
    assert "Announcement confirmed" in html and "u-quality_officer" in html
    assert "announcement.confirm" not in html


def test_portal_chart_shows_places_by_direction(client, published):
    html = client.get("/en/").content.decode()
    direction = published["progs_a"][0].field.direction
    assert 'id="chart-title"' in html and f"{direction.name_en}: 20 (2 SEN)" in html


def test_signing_out_ends_the_session_on_the_server_so_a_copied_cookie_is_useless(client, world):
    from django.conf import settings
    from django.test import Client

    sign_in(client, world["users"][Role.EMIS_OPERATOR])
    copied = client.cookies[settings.SESSION_COOKIE_NAME].value
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = copied
    assert other.get("/staff/").status_code == 200  # the copy works while the session lives
    client.post("/staff/logout/")
    assert other.get("/staff/").status_code == 302  # … and not after signing out


def test_charts_are_drawn_narrow_enough_to_read_on_a_phone(client, published):
    """Issue 19: the chart is at most 380 units wide (its 13-unit text stays about 13 px on a
    390 px phone) and its label sits above its bar."""
    import re

    html = client.get("/en/").content.decode()
    box = re.search(r'<svg viewBox="0 0 (\d+) \d+"[^>]*class="bars"', html)
    assert box and int(box.group(1)) <= 380
    label = re.search(r'<text x="0" y="(\d+)" class="bar-label">', html)
    bar = re.search(r'<rect x="0" y="(\d+)" height="16"[^>]*class="bar"', html)
    assert label and bar and int(label.group(1)) < int(bar.group(1))  # the label above
