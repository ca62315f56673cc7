"""A19, A20: check-in at the exam centre; A21: warnings, removal and its protocol; A22: presence."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from pypdf import PdfReader

from kari.accounts.roles import Role
from kari.audit.models import AuditEntry
from kari.errors import RuleError, ValidationError
from kari.exams import services
from kari.exams.models import (
    Incident,
    IncidentKind,
    Invitation,
    Presence,
    Sitting,
    SittingStatus,
)
from tests.conftest import sign_in


@pytest.fixture
def first(issued):
    """The first session (check-in 07:30-08:45, start 09:00) at TB-1, and its sittings there."""
    session = issued["sessions"][0]
    centre = issued["centres"][0]
    sittings = list(
        Sitting.objects.filter(session=session, assignment__centre=centre)
        .select_related("assignment__registration__applicant")
        .order_by("pk")
    )
    assert len(sittings) >= 3
    at = lambda hh, mm=0: issued["aware"](session.date, hh, mm)  # noqa: E731
    return {**issued, "session": session, "centre": centre, "sittings": sittings, "at": at}


def _errors(call):
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value


def _checked_in(first, sitting):
    return services.admit(first["proctor"], sitting, now=first["at"](8, 0))


# ---------------------------------------------------------------- finding the applicant (A19.1)


def test_A19_1_find_by_personal_number_and_by_qr_token(first):
    s = first["sittings"][0]
    person = s.assignment.registration.applicant
    found = services.find_sitting(
        first["proctor"],
        first["session"],
        first["centre"],
        personal_number=f" {person.personal_number} ",
    )
    assert found.pk == s.pk
    token = Invitation.objects.get(registration=s.assignment.registration).token
    assert (
        services.find_sitting(first["proctor"], first["session"], first["centre"], token=token).pk
        == s.pk
    )


def test_A19_1_nobody_found_at_another_centre_or_with_an_unknown_number(first):
    s = first["sittings"][0]
    person = s.assignment.registration.applicant
    other_centre = first["centres"][2]
    exc = _errors(
        lambda: services.find_sitting(
            first["proctor"], first["session"], other_centre, personal_number=person.personal_number
        )
    )
    assert "personal_number" in exc.message_dict
    exc = _errors(
        lambda: services.find_sitting(
            first["proctor"], first["session"], first["centre"], personal_number="99999999999"
        )
    )
    assert "personal_number" in exc.message_dict
    exc = _errors(
        lambda: services.find_sitting(
            first["proctor"], first["session"], first["centre"], token="forged"
        )
    )
    assert "personal_number" in exc.message_dict


def test_A19_1_only_proctors_check_in(first):
    with pytest.raises(PermissionDenied):
        services.find_sitting(
            first["emis"], first["session"], first["centre"], personal_number="01001000000"
        )
    with pytest.raises(PermissionDenied):
        services.admit(first["host_manager"], first["sittings"][0], now=first["at"](8, 0))


# ---------------------------------------------------------------- admitting (A19.2, A20)


def test_A19_2_admitted_inside_the_window(first):
    s = services.admit(first["proctor"], first["sittings"][0], now=first["at"](7, 30))
    s.refresh_from_db()
    assert s.status == SittingStatus.CHECKED_IN and s.checked_in_by == first["proctor"]
    assert s.checked_in_at == first["at"](7, 30) and s.verified_by == ""
    entry = AuditEntry.objects.get(action="exam.check_in", object_id=str(s.pk))
    assert entry.after["documents"] is True and entry.reason == "A19.1"


def test_A20_1_refused_before_check_in_opens(first):
    with pytest.raises(RuleError, match="მუხ. 20.1") as exc:
        services.admit(first["proctor"], first["sittings"][0], now=first["at"](7, 29))
    assert "07:30" in str(exc.value)
    assert Sitting.objects.get(pk=first["sittings"][0].pk).status == SittingStatus.EXPECTED


def test_A20_2_nobody_admitted_after_check_in_closes(first):
    assert (
        services.admit(first["proctor"], first["sittings"][1], now=first["at"](8, 45)).status
        == SittingStatus.CHECKED_IN
    )  # last minute
    with pytest.raises(RuleError, match="მუხ. 20.2") as exc:
        services.admit(first["proctor"], first["sittings"][0], now=first["at"](8, 46))
    assert exc.value.citation == "A20.2" and "08:45" in str(exc.value)
    assert Sitting.objects.get(pk=first["sittings"][0].pk).status == SittingStatus.EXPECTED


def test_A20_3_without_documents_only_after_verification_which_is_recorded(first):
    sitting = first["sittings"][0]
    exc = _errors(
        lambda: services.admit(
            first["proctor"],
            sitting,
            documents_shown=False,
            verified_by="  ",
            now=first["at"](8, 0),
        )
    )
    assert "verified_by" in exc.message_dict and "მუხ. 20.3" in exc.message_dict["verified_by"][0]
    assert Sitting.objects.get(pk=sitting.pk).status == SittingStatus.EXPECTED
    s = services.admit(
        first["proctor"],
        sitting,
        documents_shown=False,
        verified_by=" EMIS, ნ. ბერიძე ",
        now=first["at"](8, 0),
    )
    s.refresh_from_db()
    assert s.status == SittingStatus.CHECKED_IN and s.verified_by == "EMIS, ნ. ბერიძე"
    entry = AuditEntry.objects.get(action="exam.check_in", object_id=str(s.pk))
    assert entry.reason == "A20.3" and entry.after["verified_by"] == "EMIS, ნ. ბერიძე"


def test_A19_scanning_twice_is_idempotent(first):
    sitting = first["sittings"][0]
    a = services.admit(first["proctor"], sitting, now=first["at"](8, 0))
    b = services.admit(first["proctor"], sitting, now=first["at"](8, 30))
    b.refresh_from_db()
    assert a.pk == b.pk and b.status == SittingStatus.CHECKED_IN
    assert b.checked_in_at == first["at"](8, 0)  # the first scan counts
    assert AuditEntry.objects.filter(action="exam.check_in", object_id=str(sitting.pk)).count() == 1


# -------------------------------------------------------------- no-shows and refusal (A20.2, A20.4)


def test_A20_4_no_shows_marked_only_when_the_session_starts(first):
    admitted = _checked_in(first, first["sittings"][0])
    with pytest.raises(RuleError, match="მუხ. 20.4"):
        services.mark_no_shows(
            first["proctor"], first["session"], first["centre"], now=first["at"](8, 59)
        )
    assert not Sitting.objects.filter(
        session=first["session"], status=SittingStatus.ABSENT
    ).exists()
    n = services.mark_no_shows(
        first["proctor"], first["session"], first["centre"], now=first["at"](9, 0)
    )
    assert n == len(first["sittings"]) - 1
    here = Sitting.objects.filter(session=first["session"], assignment__centre=first["centre"])
    assert {s.pk: s.status for s in here} == {
        s.pk: SittingStatus.CHECKED_IN if s.pk == admitted.pk else SittingStatus.ABSENT
        for s in first["sittings"]
    }
    # other centres and later sessions are untouched
    assert (
        not Sitting.objects.exclude(assignment__centre=first["centre"])
        .filter(status=SittingStatus.ABSENT)
        .exists()
    )
    assert (
        not Sitting.objects.exclude(session=first["session"])
        .filter(status=SittingStatus.ABSENT)
        .exists()
    )
    entry = AuditEntry.objects.get(action="exam.no_shows")
    assert entry.after == {"centre": "TB-1", "absent": n}


def test_A20_4_an_absent_applicant_cannot_be_admitted_afterwards(first):
    services.mark_no_shows(
        first["proctor"], first["session"], first["centre"], now=first["at"](9, 0)
    )
    with pytest.raises(RuleError):
        services.admit(first["proctor"], first["sittings"][0], now=first["at"](8, 0))


def test_A20_2_refuse_entry_needs_a_reason(first):
    sitting = first["sittings"][0]
    exc = _errors(lambda: services.refuse_entry(first["proctor"], sitting, reason=" "))
    assert "reason" in exc.message_dict
    s = services.refuse_entry(first["proctor"], sitting, reason="arrived at 08:55")
    assert Sitting.objects.get(pk=s.pk).status == SittingStatus.REFUSED
    assert AuditEntry.objects.get(action="exam.refuse").reason == "arrived at 08:55"
    with pytest.raises(RuleError):  # only an expected applicant can be refused
        services.refuse_entry(first["proctor"], sitting, reason="again")


# ---------------------------------------------------------------- breaches (A20.6, A21)


def test_A21_first_breach_is_a_warning_the_second_removes(first):
    sitting = _checked_in(first, first["sittings"][0])
    one = services.report_breach(
        first["proctor"], sitting, category="device", note="ტელეფონი ჯიბეში", now=first["at"](9, 10)
    )
    assert one.kind == IncidentKind.WARNING
    assert Sitting.objects.get(pk=sitting.pk).status == SittingStatus.CHECKED_IN
    two = services.report_breach(
        first["proctor"],
        sitting,
        category="aids",
        note="შპარგალკა მაგიდაზე",
        now=first["at"](9, 40),
    )
    assert two.kind == IncidentKind.REMOVAL
    assert Sitting.objects.get(pk=sitting.pk).status == SittingStatus.REMOVED
    assert [
        e.action
        for e in AuditEntry.objects.filter(
            object_id=str(sitting.pk), action__startswith="exam."
        ).order_by("seq")
    ] == ["exam.check_in", "exam.warning", "exam.removal"]
    with pytest.raises(RuleError, match="მუხ. 21"):  # a removed applicant no longer sits the test
        services.report_breach(first["proctor"], sitting, category="talking")


def test_A21_warnings_count_across_sittings_and_removal_is_from_the_whole_test(first):
    """A warning in one session and a breach in the next remove the applicant from the testing
    (A21.2); the sessions still to come refuse check-in with that reason."""
    reg = first["sittings"][0].assignment.registration
    own = list(
        Sitting.objects.filter(assignment__registration=reg)
        .select_related("session")
        .order_by("session__starts_at")
    )
    assert len(own) >= 3
    proctor, day = first["proctor"], own[0].session.date

    def at(sitting, minutes):
        t = sitting.session.check_in_opens
        return first["aware"](day, t.hour, t.minute) + dt.timedelta(minutes=minutes)

    services.admit(proctor, own[0], now=at(own[0], 10))
    one = services.report_breach(proctor, own[0], category="device", now=at(own[0], 100))
    assert one.kind == IncidentKind.WARNING
    services.admit(proctor, own[1], now=at(own[1], 10))
    two = services.report_breach(proctor, own[1], category="talking", now=at(own[1], 100))
    assert two.kind == IncidentKind.REMOVAL
    statuses = [Sitting.objects.get(pk=s.pk).status for s in own]
    assert statuses[0] == SittingStatus.CHECKED_IN
    assert statuses[1:] == [SittingStatus.REMOVED] * (len(own) - 1)
    with pytest.raises(RuleError, match="მუხ. 21.2"):
        services.admit(proctor, own[2], now=at(own[2], 10))


def test_A21_protocol_pdf_names_the_applicant_and_both_breaches(first, client):
    sitting = _checked_in(first, first["sittings"][0])
    services.report_breach(
        first["proctor"], sitting, category="device", note="ტელეფონი ჯიბეში", now=first["at"](9, 10)
    )
    services.report_breach(
        first["proctor"],
        sitting,
        category="aids",
        note="შპარგალკა მაგიდაზე",
        now=first["at"](9, 40),
    )
    sign_in(client, first["proctor"])
    response = client.get(f"/exams/sittings/{sitting.pk}/protocol.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    person = sitting.assignment.registration.applicant
    assert person.first_name_ka in text and person.last_name_ka in text
    assert person.personal_number in text
    assert "ტელეფონი ჯიბეში" in text and "შპარგალკა მაგიდაზე" in text
    assert "09:10" in text and "09:40" in text
    assert first["centre"].name_ka in text


def test_A21_no_protocol_without_a_removal(first, client):
    sitting = _checked_in(first, first["sittings"][0])
    sign_in(client, first["proctor"])
    assert client.get(f"/exams/sittings/{sitting.pk}/protocol.pdf").status_code == 404
    services.report_breach(first["proctor"], sitting, category="device", now=first["at"](9, 10))
    assert client.get(f"/exams/sittings/{sitting.pk}/protocol.pdf").status_code == 404


def test_A21_protocol_is_for_proctors_only(first, client):
    sitting = _checked_in(first, first["sittings"][0])
    for category in ("device", "aids"):
        services.report_breach(first["proctor"], sitting, category=category)
    sign_in(client, first["users"][Role.INSTITUTION_ADMIN])
    assert client.get(f"/exams/sittings/{sitting.pk}/protocol.pdf").status_code == 403


def test_A20_6_category_must_be_from_the_list(first):
    sitting = _checked_in(first, first["sittings"][0])
    exc = _errors(lambda: services.report_breach(first["proctor"], sitting, category="sneezing"))
    assert "category" in exc.message_dict and "მუხ. 20.6" in exc.message_dict["category"][0]
    assert not Incident.objects.exists()


def test_A21_breach_refused_for_an_applicant_not_checked_in(first):
    with pytest.raises(RuleError, match="მუხ. 21"):
        services.report_breach(first["proctor"], first["sittings"][0], category="device")
    assert not Incident.objects.exists()


# ---------------------------------------------------------------- presence (A22)


@pytest.mark.parametrize(
    ("kind", "full_name", "document", "field"),
    [
        ("observer", " ", "MIN-17", "full_name"),
        ("observer", "გიორგი ბერიძე", "", "document"),
        ("parent", "გიორგი ბერიძე", "MIN-17", "kind"),
    ],
)
def test_A22_presence_needs_a_name_a_document_and_an_allowed_capacity(
    first, kind, full_name, document, field
):
    exc = _errors(
        lambda: services.record_presence(
            first["proctor"],
            first["session"],
            first["centre"],
            kind=kind,
            full_name=full_name,
            document=document,
        )
    )
    assert field in exc.message_dict
    assert not Presence.objects.exists()


def test_A22_observer_recorded(first):
    p = services.record_presence(
        first["proctor"],
        first["session"],
        first["centre"],
        kind="observer",
        full_name=" გიორგი ბერიძე ",
        document="MIN-17",
        now=first["at"](9, 5),
    )
    assert (p.full_name, p.document, p.at) == ("გიორგი ბერიძე", "MIN-17", first["at"](9, 5))
    assert AuditEntry.objects.get(action="exam.presence").reason == "A22"


# ---------------------------------------------------------------- over HTTP


def test_A19_proctor_page_finds_the_applicant_by_personal_number(first, client):
    sign_in(client, first["proctor"])
    person = first["sittings"][0].assignment.registration.applicant
    url = f"/exams/proctor/{first['centre'].pk}/{first['session'].pk}/"
    response = client.post(url, {"personal_number": person.personal_number})
    # the lookup redirects to the sitting's id: no personal number in any URL (access logs)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?sitting={first['sittings'][0].pk}")
    assert person.personal_number not in response["Location"]
    html = client.get(response["Location"]).content.decode()
    assert f"{person.first_name_ka} {person.last_name_ka}" in html
    assert f"/exams/sittings/{first['sittings'][0].pk}/admit/" in html
    response = client.post(url, {"personal_number": "99999999999"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="who"' not in html and 'value="99999999999"' in html  # keeps what was typed


def test_A19_non_proctor_staff_get_403_on_the_proctor_pages(first, client):
    sign_in(client, first["users"][Role.INSTITUTION_ADMIN])
    assert client.get("/exams/proctor/").status_code == 403
    url = f"/exams/proctor/{first['centre'].pk}/{first['session'].pk}/"
    assert client.get(url).status_code == 403
    sitting = first["sittings"][0]
    assert client.post(f"/exams/sittings/{sitting.pk}/admit/").status_code == 403
    assert Sitting.objects.get(pk=sitting.pk).status == SittingStatus.EXPECTED
    # a form that fails its own checks shows nothing either (no page with the applicants)
    assert client.post(f"/exams/sittings/{sitting.pk}/breach/", {"category": ""}).status_code == 403
    assert client.post(f"{url}presence/", {"kind": "parent"}).status_code == 403
    assert client.post(f"{url}no-shows/").status_code == 403


@pytest.fixture
def live(exam_world):
    """A world whose skills-test session's check-in window contains the real clock.

    The admit view reads timezone.now(), so before distributing, the fixture's sessions other
    than the first are moved to tomorrow (another test day, keeping their times), and the first
    is rescheduled today around now: check-in from an hour ago to an hour ahead, start at its
    close. Nothing else runs today, so nothing overlaps.
    """
    now = timezone.localtime()
    if now.time() >= dt.time(23, 58):
        pytest.skip("too close to midnight for a same-day check-in window")
    naec, r = exam_world["naec"], exam_world["round"]
    tomorrow = exam_world["today"] + dt.timedelta(days=1)
    for s in exam_world["sessions"][1:]:
        services.save_session(
            naec,
            r,
            {
                "date": tomorrow,
                "starts_at": s.starts_at,
                "check_in_opens": s.check_in_opens,
                "check_in_closes": s.check_in_closes,
                "duration_minutes": s.duration_minutes,
                "skills_test": s.skills_test,
                "subject": s.subject,
            },
            s,
        )
    first = exam_world["sessions"][0]
    minute = now.hour * 60 + now.minute
    opens, closes = max(0, minute - 60), min(23 * 60 + 59, minute + 60)
    hm = lambda m: dt.time(m // 60, m % 60)  # noqa: E731
    session = services.save_session(
        naec,
        r,
        {
            "date": exam_world["today"],
            "starts_at": hm(closes),
            "check_in_opens": hm(opens),
            "check_in_closes": hm(closes),
            "duration_minutes": 10,
            "skills_test": first.skills_test,
            "subject": None,
        },
        first,
    )
    d = services.distribute(exam_world["emis"], r)
    services.agree_distribution(exam_world["naec"], d)  # A17.2
    services.start_invitations(exam_world["emis"], d)
    sitting = (
        Sitting.objects.filter(session=session)
        .select_related("assignment__registration__applicant", "assignment__centre")
        .order_by("pk")
        .first()
    )
    return {**exam_world, "session": session, "sitting": sitting}


def test_A19_admit_through_the_view(live, client):
    sitting = live["sitting"]
    sign_in(client, live["proctor"])
    response = client.post(f"/exams/sittings/{sitting.pk}/admit/")
    person = sitting.assignment.registration.applicant
    assert response.status_code == 302
    assert response["Location"].endswith(
        f"/exams/proctor/{sitting.assignment.centre.pk}/{live['session'].pk}/?sitting={sitting.pk}"
    )
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.CHECKED_IN and sitting.checked_in_by == live["proctor"]
    page = client.get(response["Location"]).content.decode()
    assert 'id="sitting-status"' in page and f"{person.first_name_ka} {person.last_name_ka}" in page


def test_A20_3_admit_verified_through_the_view_needs_who_verified(live, client):
    sitting = live["sitting"]
    sign_in(client, live["proctor"])
    client.post(f"/exams/sittings/{sitting.pk}/admit_verified/", {"verified_by": ""})
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.EXPECTED
    client.post(
        f"/exams/sittings/{sitting.pk}/admit_verified/", {"verified_by": "NAEC, ლ. კაპანაძე"}
    )
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.CHECKED_IN and sitting.verified_by == "NAEC, ლ. კაპანაძე"


def test_A21_breach_through_the_view_warns_then_removes(live, client):
    sitting = live["sitting"]
    sign_in(client, live["proctor"])
    client.post(f"/exams/sittings/{sitting.pk}/admit/")
    client.post(
        f"/exams/sittings/{sitting.pk}/breach/", {"category": "talking", "note": "ლაპარაკი"}
    )
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.CHECKED_IN
    assert list(sitting.incidents.values_list("kind", flat=True)) == ["warning"]
    client.post(f"/exams/sittings/{sitting.pk}/breach/", {"category": "nonsense"})
    assert sitting.incidents.count() == 1  # not a category from A20.6
    # the removal asks for confirmation first, naming the applicant and both breaches
    page = client.post(f"/exams/sittings/{sitting.pk}/breach/", {"category": "leaving"})
    assert page.status_code == 200 and 'id="confirm-button"' in page.content.decode()
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.CHECKED_IN
    client.post(
        f"/exams/sittings/{sitting.pk}/breach/", {"category": "leaving", "confirmed": "yes"}
    )
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.REMOVED
    assert client.get(f"/exams/sittings/{sitting.pk}/protocol.pdf").status_code == 200
    assert client.post(f"/exams/sittings/{sitting.pk}/dance/").status_code == 404


def test_A19_1_a_draft_distribution_gives_nobody_a_seat_at_check_in(exam_world, client):
    """Before invitations are issued nobody is expected: neither the services nor the page act."""
    d = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], d)  # A17.2
    sitting = Sitting.objects.filter(assignment__distribution=d).first()
    with pytest.raises(RuleError, match="მუხ. 19.1"):
        services.admit(exam_world["proctor"], sitting)
    sign_in(client, exam_world["proctor"])
    url = (
        f"/exams/proctor/{sitting.assignment.centre.pk}/{sitting.session.pk}/?sitting={sitting.pk}"
    )
    html = client.get(url).content.decode()
    assert sitting.assignment.registration.applicant.personal_number not in html


def test_A20_3_a_refused_verification_keeps_what_was_typed_beside_its_field(live, client):
    sitting = live["sitting"]
    sign_in(client, live["proctor"])
    response = client.post(f"/exams/sittings/{sitting.pk}/admit_verified/", {"verified_by": "   "})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_verified_by_error"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="id_verified_by_error"' in html  # the field names its error
    assert "<details open>" in html  # the form the proctor used stays open


def test_A21_a_breach_without_a_category_keeps_the_note(live, client):
    sitting = live["sitting"]
    sign_in(client, live["proctor"])
    client.post(f"/exams/sittings/{sitting.pk}/admit/")
    response = client.post(
        f"/exams/sittings/{sitting.pk}/breach/", {"category": "", "note": "ტელეფონი ჯიბეში"}
    )
    html = response.content.decode()
    assert response.status_code == 400 and "ტელეფონი ჯიბეში" in html
    assert not sitting.incidents.exists()


def test_A22_presence_in_a_session_the_centre_does_not_host_is_refused(first):
    from kari.exams.models import ExamCentre

    other = ExamCentre.objects.exclude(pk=first["centre"].pk).first()
    other.sessions_per_day = 1
    other.save()
    later = [s for s in first["sessions"] if s.pk != first["sessions"][0].pk][0]
    with pytest.raises(ValidationError):
        services.record_presence(
            first["proctor"],
            later,
            other,
            kind="observer",
            full_name="გიორგი ბერიძე",
            document="MIN-1",
        )


# ------------------------------------------------ intent before high-stakes actions (issue 19)


def test_A21_the_breach_has_no_default_and_must_be_chosen(live, client):
    sitting = live["sitting"]
    sign_in(client, live["proctor"])
    page = client.post(f"/exams/sittings/{sitting.pk}/admit/", follow=True).content.decode()
    select = page[page.index('id="id_category"') - 60 :]
    select = select[: select.index("</select>")]
    assert "required" in select
    first_option = select[select.index("<option") :].split("</option>")[0]
    assert 'value=""' in first_option and "selected" in first_option
    # two taps with nothing chosen record nothing (no default "phone")
    response = client.post(f"/exams/sittings/{sitting.pk}/breach/", {"note": ""})
    assert response.status_code == 400 and not sitting.incidents.exists()
    assert 'id="id_category_error"' in response.content.decode()


def test_A21_removal_is_confirmed_on_a_page_naming_the_applicant_and_both_breaches(live, client):
    from django.utils import translation

    from kari.exams.models import BreachCategory

    sitting = live["sitting"]
    person = sitting.assignment.registration.applicant
    sign_in(client, live["proctor"])
    client.post(f"/exams/sittings/{sitting.pk}/admit/")
    client.post(f"/exams/sittings/{sitting.pk}/breach/", {"category": "device", "note": "ჯიბეში"})
    check_in = client.get(
        f"/exams/proctor/{sitting.assignment.centre.pk}/{live['session'].pk}/?sitting={sitting.pk}"
    ).content.decode()
    assert 'class="warning" id="breach-button"' in check_in  # the remove button is a warning
    response = client.post(
        f"/exams/sittings/{sitting.pk}/breach/", {"category": "talking", "note": "ეხმარებოდა"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    with translation.override("ka"):
        device, talking = str(BreachCategory.DEVICE.label), str(BreachCategory.TALKING.label)
    assert f"{person.first_name_ka} {person.last_name_ka}" in html
    assert device in html and talking in html and "ჯიბეში" in html and "ეხმარებოდა" in html
    assert 'id="confirm-warning"' in html and 'class="warning" id="confirm-button"' in html
    assert 'name="category" value="talking"' in html  # posted again on confirmation
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.CHECKED_IN and sitting.incidents.count() == 1
    client.post(
        f"/exams/sittings/{sitting.pk}/breach/",
        {"category": "talking", "note": "ეხმარებოდა", "confirmed": "yes"},
    )
    sitting.refresh_from_db()
    assert sitting.status == SittingStatus.REMOVED
    assert [i.category for i in sitting.incidents.order_by("at")] == ["device", "talking"]


def test_A20_4_marking_no_shows_is_confirmed_first(live, client):
    sitting = live["sitting"]
    centre, session = sitting.assignment.centre, live["session"]
    expected = (
        Sitting.objects.issued().at(centre, session).filter(status=SittingStatus.EXPECTED).count()
    )
    sign_in(client, live["proctor"])
    url = f"/exams/proctor/{centre.pk}/{session.pk}/no-shows/"
    response = client.post(url)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="confirm-button"' in html
    assert f"<dd>{expected}</dd>" in html
    assert not Sitting.objects.filter(status=SittingStatus.ABSENT).exists()
    # confirmed, the service decides (here: the session has not started yet, A20.4)
    response = client.post(url, {"confirmed": "yes"})
    assert response.status_code == 302
    assert not Sitting.objects.filter(status=SittingStatus.ABSENT).exists()


def test_A19_1_the_english_interface_shows_the_registrys_latin_name(live, client):
    """Issue 19: data with an English form is shown in it in the English interface."""
    sitting = live["sitting"]
    person = sitting.assignment.registration.applicant
    person.first_name_en, person.last_name_en = "Nino", "Beridze"
    person.save(update_fields=["first_name_en", "last_name_en"])
    sign_in(client, live["proctor"])
    url = (
        f"/exams/proctor/{sitting.assignment.centre.pk}/{live['session'].pk}/?sitting={sitting.pk}"
    )
    english = client.get("/en" + url).content.decode()
    georgian = client.get(url).content.decode()
    assert '<span lang="en">Nino Beridze</span>' in english
    assert '<span lang="en">Nino Beridze</span>' not in georgian
    assert f"{person.first_name_ka} {person.last_name_ka}" in georgian
