"""A12.3(e), A12.7: exam centres; A18.1, A19.4: the round's sessions."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from kari.accounts.roles import OrgKind
from kari.audit.models import AuditEntry
from kari.errors import RuleError, ValidationError
from kari.exams import services
from kari.exams.models import ExamCentre, ExamSession
from kari.exams.services.centres import snapshot


def _centre_data(world, **over):
    from kari.catalogue.models import Municipality

    data = {
        "code": "RU-1",
        "name_ka": "ცენტრი რუსთავი",
        "name_en": "Rustavi centre",
        "host": world["orgs"][OrgKind.EXAM_HOST][0],
        "municipality": Municipality.objects.get(code="tbilisi"),
        "address": "მშვიდობის ქუჩა 5",
        "seats": 20,
        "sessions_per_day": 3,
        "adapted": False,
        "active": True,
    }
    data.update(over)
    return data


def _errors(call):
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


# ---------------------------------------------------------------- centres


def test_A12_3_e_emis_creates_a_centre_and_audits_it(exam_world):
    c = services.save_centre(exam_world["emis"], _centre_data(exam_world))
    c.refresh_from_db()
    assert (c.code, c.seats, c.sessions_per_day, c.host.code) == ("RU-1", 20, 3, "host-1")
    entry = AuditEntry.objects.filter(action="exam_centre.save", object_id=str(c.pk)).get()
    assert (
        entry.before is None and entry.after["code"] == "RU-1" and entry.after["host"] == "host-1"
    )


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"seats": 0}, "seats"),
        ({"sessions_per_day": 7}, "sessions_per_day"),
        ({"sessions_per_day": 0}, "sessions_per_day"),
        ({"address": "   "}, "address"),
        ({"code": "TB-1"}, "code"),  # the fixture's centre
        ({"name_ka": ""}, "name_ka"),
    ],
)
def test_A12_3_e_invalid_centre_names_the_field_and_saves_nothing(exam_world, over, field):
    before = ExamCentre.objects.count()
    errors = _errors(
        lambda: services.save_centre(exam_world["emis"], _centre_data(exam_world, **over))
    )
    assert field in errors
    assert ExamCentre.objects.count() == before
    assert not AuditEntry.objects.filter(
        action="exam_centre.save", object_repr__contains="RU-1"
    ).exists()


def test_A12_7_a_ministry_cannot_host_an_exam_centre(exam_world):
    ministry = exam_world["orgs"][OrgKind.MINISTRY][0]
    errors = _errors(
        lambda: services.save_centre(exam_world["emis"], _centre_data(exam_world, host=ministry))
    )
    assert "host" in errors and "(მუხ. 12.7)" in errors["host"][0]


def test_A12_7_an_institution_may_host_an_exam_centre(exam_world):
    c = services.save_centre(
        exam_world["emis"], _centre_data(exam_world, host=exam_world["inst_a"].organisation)
    )
    assert c.host == exam_world["inst_a"].organisation


def test_A12_7_host_manager_edits_its_own_centre_but_not_host_or_code(exam_world):
    manager = exam_world["host_manager"]
    assert manager.organisation.code == "host-1"
    tb1 = exam_world["centres"][0]
    data = {
        **snapshot(tb1, services.CENTRE_FIELDS),
        "municipality": tb1.municipality,
        "seats": 12,
        "address": "ახალი მისამართი 7",
        "code": "HIJACK",
        "host": exam_world["orgs"][OrgKind.EXAM_HOST][1],
    }  # tries to hand it to host-2
    c = services.save_centre(manager, data, tb1, reason="new computers")
    c.refresh_from_db()
    assert (c.seats, c.address) == (12, "ახალი მისამართი 7")
    assert (c.code, c.host.code) == ("TB-1", "host-1")
    entry = AuditEntry.objects.filter(
        action="exam_centre.save", object_id=str(c.pk), actor=manager
    ).get()
    assert entry.before["seats"] == 4 and entry.after["seats"] == 12
    assert entry.reason == "new computers"


def test_A12_7_host_manager_is_refused_for_another_hosts_centre(exam_world):
    manager = exam_world["host_manager"]
    ku1 = exam_world["centres"][2]
    assert ku1.host.code == "host-2"
    data = {
        **snapshot(ku1, services.CENTRE_FIELDS),
        "host": ku1.host,
        "municipality": ku1.municipality,
        "seats": 99,
    }
    with pytest.raises(PermissionDenied):
        services.save_centre(manager, data, ku1)
    ku1.refresh_from_db()
    assert ku1.seats == 10


def test_A12_3_e_host_manager_cannot_create_a_centre(exam_world):
    with pytest.raises(PermissionDenied):
        services.save_centre(exam_world["host_manager"], _centre_data(exam_world))
    assert not ExamCentre.objects.filter(code="RU-1").exists()


# ---------------------------------------------------------------- sessions


def _session_data(w, **over):
    prog = w["progs_a"][0]
    data = {
        "date": w["today"] + dt.timedelta(days=1),
        "starts_at": dt.time(9, 0),
        "check_in_opens": dt.time(7, 30),
        "check_in_closes": dt.time(8, 45),
        "duration_minutes": 90,
        "skills_test": prog.skills_test,
        "subject": None,
    }
    data.update(over)
    return data


def test_A18_1_naec_adds_a_session_within_the_test_days(exam_world):
    s = services.save_session(exam_world["naec"], exam_world["round"], _session_data(exam_world))
    assert s.pk and s.date == exam_world["today"] + dt.timedelta(days=1)
    assert AuditEntry.objects.filter(action="exam_session.save", object_id=str(s.pk)).exists()


@pytest.mark.parametrize("days", [-1, 3])
def test_A18_1_a_date_outside_the_test_days_is_refused(exam_world, days):
    before = ExamSession.objects.count()
    errors = _errors(
        lambda: services.save_session(
            exam_world["naec"],
            exam_world["round"],
            _session_data(exam_world, date=exam_world["today"] + dt.timedelta(days=days)),
        )
    )
    assert "date" in errors and "მუხ. 18.1" in errors["date"][0]
    assert ExamSession.objects.count() == before


def test_A19_4_a_session_tests_exactly_one_item(exam_world):
    prog = exam_world["progs_a"][0]
    subject = prog.subject_group.subjects.first()
    both = _session_data(exam_world, subject=subject)
    neither = _session_data(exam_world, skills_test=None)
    for data in (both, neither):
        assert "skills_test" in _errors(
            lambda d=data: services.save_session(exam_world["naec"], exam_world["round"], d)
        )
    s = services.save_session(
        exam_world["naec"],
        exam_world["round"],
        _session_data(exam_world, skills_test=None, subject=subject),
    )
    assert s.item == f"subject:{subject.code}"


def test_A18_1_overlapping_sessions_are_refused_naming_starts_at(exam_world):
    """The fixture's first session runs 09:00-10:30 today; 10:00 overlaps, 10:30 does not."""
    today = exam_world["today"]
    errors = _errors(
        lambda: services.save_session(
            exam_world["naec"],
            exam_world["round"],
            _session_data(
                exam_world,
                date=today,
                starts_at=dt.time(10, 0),
                check_in_opens=dt.time(9, 0),
                check_in_closes=dt.time(9, 45),
            ),
        )
    )
    assert "starts_at" in errors and "09:00" in errors["starts_at"][0]
    last = exam_world["sessions"][-1]
    after_last = (
        dt.datetime.combine(today, last.starts_at) + dt.timedelta(minutes=last.duration_minutes)
    ).time()
    s = services.save_session(
        exam_world["naec"],
        exam_world["round"],
        _session_data(
            exam_world,
            date=today,
            starts_at=after_last,
            check_in_opens=dt.time(7, 0),
            check_in_closes=after_last,
        ),
    )
    assert s.starts_at == after_last


def test_A18_1_editing_a_session_does_not_overlap_itself(exam_world):
    first = exam_world["sessions"][0]
    data = _session_data(
        exam_world,
        date=first.date,
        starts_at=dt.time(9, 15),
        check_in_opens=dt.time(8, 0),
        check_in_closes=dt.time(9, 0),
    )
    s = services.save_session(exam_world["naec"], exam_world["round"], data, first)
    assert s.pk == first.pk and s.starts_at == dt.time(9, 15)


@pytest.mark.parametrize(
    ("opens", "closes", "starts"),
    [
        ((8, 45), (7, 30), (9, 0)),  # closes before it opens
        ((7, 30), (9, 15), (9, 0)),  # closes after the start
        ((8, 0), (8, 0), (9, 0)),  # opens and closes at once
    ],
)
def test_A19_4_check_in_opens_then_closes_no_later_than_the_start(
    exam_world, opens, closes, starts
):
    errors = _errors(
        lambda: services.save_session(
            exam_world["naec"],
            exam_world["round"],
            _session_data(
                exam_world,
                check_in_opens=dt.time(*opens),
                check_in_closes=dt.time(*closes),
                starts_at=dt.time(*starts),
            ),
        )
    )
    assert "check_in_closes" in errors


def test_A12_4_emis_cannot_add_sessions(exam_world):
    with pytest.raises(PermissionDenied):
        services.save_session(exam_world["emis"], exam_world["round"], _session_data(exam_world))
    with pytest.raises(PermissionDenied):
        services.delete_session(exam_world["emis"], exam_world["sessions"][0])


def test_A18_1_naec_deletes_a_session_nobody_is_distributed_to(exam_world):
    s = services.save_session(exam_world["naec"], exam_world["round"], _session_data(exam_world))
    pk = s.pk
    services.delete_session(exam_world["naec"], s)
    assert not ExamSession.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(action="exam_session.delete", object_id=str(pk)).exists()


def test_A17_2_a_session_with_distributed_applicants_cannot_be_deleted(exam_world):
    services.distribute(exam_world["emis"], exam_world["round"])
    with pytest.raises(RuleError):
        services.delete_session(exam_world["naec"], exam_world["sessions"][0])
    assert ExamSession.objects.filter(pk=exam_world["sessions"][0].pk).exists()


def test_A17_3_after_invitations_the_schedule_is_final(issued):
    with pytest.raises(RuleError, match="მუხ. 17.3"):
        services.save_session(issued["naec"], issued["round"], _session_data(issued))
    with pytest.raises(RuleError, match="მუხ. 17.3"):
        services.save_session(
            issued["naec"],
            issued["round"],
            _session_data(issued, date=issued["today"], starts_at=dt.time(9, 5)),
            issued["sessions"][0],
        )
    with pytest.raises(RuleError, match="მუხ. 17.3"):
        services.delete_session(issued["naec"], issued["sessions"][-1])
    assert ExamSession.objects.filter(round=issued["round"]).count() == len(issued["sessions"])


def test_A12_7_editing_through_the_form_audits_the_real_before_and_keeps_the_code(
    exam_world, client
):
    """A bound ModelForm writes the posted values onto the instance: the service must take its
    "before" and the fields a host manager may not change from the database."""
    from tests.conftest import sign_in

    centre = exam_world["centres"][0]  # TB-1, hosted by host-1
    sign_in(client, exam_world["host_manager"])
    response = client.post(
        f"/exams/centres/{centre.pk}/",
        {
            "code": "HACKED",
            "name_ka": centre.name_ka,
            "name_en": centre.name_en,
            "host": centre.host.pk,
            "municipality": centre.municipality.pk,
            "address": centre.address,
            "seats": 9,
            "sessions_per_day": 4,
            "adapted": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    centre.refresh_from_db()
    assert centre.code == "TB-1" and centre.seats == 9
    entry = AuditEntry.objects.filter(action="exam_centre.save").order_by("-seq").first()
    assert entry.before["seats"] == 4 and entry.after["seats"] == 9


def test_A17_3_a_centre_named_on_invitations_keeps_its_place_and_enough_seats(issued):
    centre = next(
        c for c in issued["centres"] if c.assignments.filter(distribution__status="final").exists()
    )
    errors = _errors(
        lambda: services.save_centre(
            issued["emis"],
            {
                **_centre_data(
                    issued, code=centre.code, host=centre.host, municipality=centre.municipality
                ),
                "address": "ახალი მისამართი",
                "seats": 1,
                "active": False,
            },
            centre,
        )
    )
    assert {"address", "seats", "active"} <= set(errors)
    centre.refresh_from_db()
    assert centre.address != "ახალი მისამართი"
