"""Admission announcements (A13): places, submission, confirmation, the deadline and mismatches."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from kari.accounts.roles import Role
from kari.audit.models import AuditEntry
from kari.catalogue import services
from kari.catalogue.models import AnnouncementStatus
from kari.catalogue.selectors import published_lines

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(world):
    return world["users"][Role.INSTITUTION_ADMIN]


@pytest.fixture
def officer(world):
    return world["users"][Role.QUALITY_OFFICER]


def submitted(world, admin, lines=None):
    services.set_places(
        admin, world["inst_a"], world["round"], lines or {"A-0": (20, 2), "A-1": (10, 1)}
    )
    return services.submit_announcement(admin, world["inst_a"].announcements.get())


def test_A13_1_institution_enters_places_and_submits_before_the_deadline(world, admin):
    ann = submitted(world, admin)
    assert ann.status == AnnouncementStatus.SUBMITTED and ann.submitted_at
    assert ann.snapshot()["lines"] == {"A-0": [20, 2], "A-1": [10, 1]}


def test_A13_4_e_places_errors_name_the_programme_and_field(world, admin):
    with pytest.raises(ValidationError) as exc:
        services.set_places(admin, world["inst_a"], world["round"], {"A-0": (3, 1), "A-1": (20, 1)})
    assert set(exc.value.message_dict) == {"A-0.places", "A-1.sen_places"}
    from kari.catalogue.models import AnnouncementLine

    # nothing half-written: the valid line was rolled back with the invalid one
    assert not AnnouncementLine.objects.filter(announcement__institution=world["inst_a"]).exists()


def test_A13_5_after_the_deadline_an_institution_cannot_announce(world, admin):
    r = world["round"]
    r.announcement_deadline = dt.date.today() - dt.timedelta(days=1)
    r.save()
    with pytest.raises(ValidationError) as exc:
        services.set_places(admin, world["inst_a"], r, {"A-0": (20, 2)})
    assert "მუხ. 13.5" in str(exc.value)
    assert not services.can_admit(world["inst_a"], r)


def test_A13_5_only_a_confirmed_announcement_admits(world, admin, officer):
    ann = submitted(world, admin)
    assert not services.can_admit(world["inst_a"], world["round"])
    services.confirm_announcement(officer, ann)
    assert services.can_admit(world["inst_a"], world["round"])
    assert not services.can_admit(world["inst_b"], world["round"])


def test_A13_3_quality_centre_confirms_and_the_audit_log_says_if_late(world, admin, officer):
    ann = services.confirm_announcement(officer, submitted(world, admin))
    assert ann.status == AnnouncementStatus.CONFIRMED and ann.confirmed_by == officer
    entry = AuditEntry.objects.get(action="announcement.confirm")
    assert entry.after["late"] is False
    with pytest.raises(ValidationError):
        services.set_places(admin, world["inst_a"], world["round"], {"A-0": (30, 3)})


def test_A13_3_only_a_submitted_announcement_is_confirmed(world, admin, officer):
    ann = services.open_announcement(admin, world["inst_a"], world["round"])
    with pytest.raises(ValidationError):
        services.confirm_announcement(officer, ann)


def test_A13_6_mismatch_with_authorised_places_is_flagged_and_notified(
    world, admin, officer, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    p = world["progs_a"][0]
    p.authorised_places = 25
    p.save()
    ann = submitted(world, admin)
    assert [line.programme.code for line in services.mismatches(ann)] == ["A-0"]
    with pytest.raises(ValidationError):
        services.flag_announcement(officer, ann, "  ")
    with pytest.raises(ValidationError):
        services.flag_announcement(officer, ann, "")
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        ann = services.flag_announcement(officer, ann, "A-0: 20 announced, 25 authorised")
    assert ann.status == AnnouncementStatus.FLAGGED
    assert len(mail.outbox) == 1 and "25 authorised" in mail.outbox[0].body
    assert "u-institution_admin@example.ge" in mail.outbox[0].to
    # The institution corrects and resubmits.
    services.set_places(admin, world["inst_a"], world["round"], {"A-0": (25, 3)})
    ann = services.submit_announcement(admin, ann)
    assert ann.status == AnnouncementStatus.SUBMITTED and services.mismatches(ann) == []


def test_A13_9_portal_publishes_only_confirmed_programmes(world, admin, officer):
    ann = submitted(world, admin)
    assert not published_lines(world["round"]).exists()
    services.confirm_announcement(officer, ann)
    assert sorted(published_lines(world["round"]).values_list("programme__code", flat=True)) == [
        "A-0",
        "A-1",
    ]


def test_submission_needs_at_least_one_programme(world, admin):
    ann = services.open_announcement(admin, world["inst_a"], world["round"])
    with pytest.raises(ValidationError):
        services.submit_announcement(admin, ann)


def test_reading_an_announcement_writes_nothing_and_opening_one_is_audited(world, admin):
    """Every write goes through a service with an audit entry: looking at the announcement
    creates nothing; the first change opens it, audited, for the admin's own institution."""
    from django.core.exceptions import PermissionDenied

    from kari.audit.models import AuditEntry
    from kari.catalogue.models import Announcement

    ann = services.announcement_for(world["inst_a"], world["round"])
    assert ann.pk is None and ann.status == AnnouncementStatus.DRAFT
    assert not Announcement.objects.exists()
    with pytest.raises(PermissionDenied):
        services.open_announcement(world["admin_b"], world["inst_a"], world["round"])
    assert not Announcement.objects.exists()
    ann = services.open_announcement(admin, world["inst_a"], world["round"])
    entry = AuditEntry.objects.get(action="announcement.open")
    assert entry.object_id == str(ann.pk) and entry.organisation == world["inst_a"].organisation
    assert services.open_announcement(admin, world["inst_a"], world["round"]).pk == ann.pk
    assert AuditEntry.objects.filter(action="announcement.open").count() == 1
    assert services.announcement_for(world["inst_a"], world["round"]).pk == ann.pk


def test_A13_5_A13_6_a_returned_announcement_after_the_deadline_only_corrects_places(
    world, admin, officer
):
    ann = submitted(world, admin)
    services.flag_announcement(officer, ann, "A-0: 20 announced, 25 authorised")
    r = world["round"]
    r.announcement_deadline = dt.date.today() - dt.timedelta(days=1)
    r.save()
    with pytest.raises(ValidationError) as exc:
        services.set_places(admin, world["inst_a"], r, {"A-2": (10, 1)})
    assert "A-2" in exc.value.message_dict and "მუხ. 13.5" in exc.value.message_dict["A-2"][0]
    ann = services.set_places(admin, world["inst_a"], r, {"A-0": (25, 3)})
    assert ann.snapshot()["lines"] == {"A-0": [25, 3], "A-1": [10, 1]}
    assert services.submit_announcement(admin, ann).status == AnnouncementStatus.SUBMITTED


def test_A13_7_places_computed_from_student_counts_accepted_or_overridden_with_a_reason(
    world, admin, client
):
    from tests.conftest import sign_in

    p = world["progs_a"][0]
    p.authorised_places = 60
    p.save()
    inst, r = world["inst_a"], world["round"]
    with pytest.raises(ValidationError):
        services.set_student_counts(admin, inst, r, {p.code: (10, 2, 20)})  # more graduate
    services.set_student_counts(admin, inst, r, {p.code: (40, 5, 10)})
    # 60 authorised - (40 current - 10 graduating) - 5 admitted = 25
    assert services.suggested_places(inst, r) == {p.code: 25}
    with pytest.raises(ValidationError) as exc:
        services.set_places(admin, inst, r, {p.code: (30, 3)})
    assert "25" in exc.value.message_dict[f"{p.code}.places"][0]
    services.set_places(admin, inst, r, {p.code: (25, 3)})
    ann = services.set_places(admin, inst, r, {p.code: (30, 3)}, reason="ახალი სახელოსნო")
    assert ann.snapshot()["lines"][p.code] == [30, 3]
    sign_in(client, admin)
    page = client.get("/en/catalogue/announcement/").content.decode()
    assert "A13.7" in page and "<td>25</td>" in page


def test_A18_3_the_institution_head_schedules_the_subsequent_stage_test(world, admin):
    from tests.core.test_deadlines import a_round

    autumn = a_round(year=2031, season="autumn")
    autumn.save()
    inst = world["inst_a"]
    D = dt.date
    with pytest.raises(ValidationError) as exc:
        services.set_subsequent_schedule(
            admin,
            inst,
            autumn,
            test_starts=D(2031, 5, 5),
            test_ends=D(2031, 5, 6),
            act_number="",
            act_date=None,
        )
    errors = exc.value.message_dict
    assert {"act_number", "act_date", "test_starts", "test_ends"} <= set(errors)
    assert "მუხ. 18.3" in errors["test_starts"][0]
    s = services.set_subsequent_schedule(
        admin,
        inst,
        autumn,
        test_starts=D(2031, 10, 6),
        test_ends=D(2031, 10, 8),
        act_number="01-123",
        act_date=D(2031, 9, 1),
    )
    assert s.act_number == "01-123" and s.institution == inst
    with pytest.raises(PermissionDenied):
        services.set_subsequent_schedule(
            world["users"][Role.QUALITY_OFFICER],
            inst,
            autumn,
            test_starts=D(2031, 10, 6),
            test_ends=D(2031, 10, 8),
            act_number="x",
            act_date=D(2031, 9, 1),
        )


def test_A13_6_confirming_with_mismatches_asks_first_and_lists_them(world, admin, officer, client):
    """Issue 19: the differences are listed on a confirmation step that cannot be undone."""
    from tests.conftest import sign_in

    p = world["progs_a"][0]
    p.authorised_places = 25
    p.save()
    ann = submitted(world, admin)
    sign_in(client, officer)
    response = client.post(f"/catalogue/review/{ann.pk}/", {"confirm": ""})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="confirm-button"' in html
    assert p.name_ka in html and "25" in html and 'id="confirm-warning"' in html
    assert 'name="confirm" value=""' in html
    ann.refresh_from_db()
    assert ann.status == AnnouncementStatus.SUBMITTED
    response = client.post(f"/catalogue/review/{ann.pk}/", {"confirm": "", "confirmed": "yes"})
    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.status == AnnouncementStatus.CONFIRMED


def test_A13_3_confirming_without_mismatches_needs_no_extra_step(world, admin, officer, client):
    from tests.conftest import sign_in

    ann = submitted(world, admin)
    sign_in(client, officer)
    assert client.post(f"/catalogue/review/{ann.pk}/", {"confirm": ""}).status_code == 302
    ann.refresh_from_db()
    assert ann.status == AnnouncementStatus.CONFIRMED


def test_A13_4_e_errors_on_the_page_name_the_field_in_words(world, admin, client):
    """Issue 19: "Places of A-0: …", never the internal key `A-0.places`."""
    from tests.conftest import sign_in

    sign_in(client, admin)
    response = client.post(
        "/en/catalogue/announcement/",
        {"places-A-0": "3", "sen-A-0": "1", "places-A-1": "20", "sen-A-1": "1"},
        follow=True,
    )
    html = response.content.decode()
    assert "Places of A-0: " in html and "SEN places of A-1: " in html
    assert "A-0.places" not in html and "sen_places" not in html


def test_error_field_names_in_words():
    from django.utils import translation

    from kari.formerrors import field_name

    with translation.override("en"):
        assert field_name("0214-0006.places") == "Places of 0214-0006"
        assert field_name("sen_places") == "SEN places"
        assert field_name("exam_municipality") == "Exam municipality"
