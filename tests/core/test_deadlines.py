"""Statutory deadlines computed from a round's schedule (A13.3, A12.3(c), A17.2, A26.1, A27.1)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kari.accounts.roles import OrgKind, Role
from kari.rounds import services
from kari.rounds.deadlines import deadline, statutory_deadlines
from kari.rounds.models import Round

D = dt.date


def a_round(**over):
    values = dict(
        year=2027,
        season="spring",
        announcement_deadline=D(2027, 3, 1),
        registration_opens=D(2027, 3, 10),
        registration_closes=D(2027, 4, 28),
        test_starts=D(2027, 5, 7),
        test_ends=D(2027, 5, 11),
        results_published=D(2027, 5, 20),
        reranking_opens=D(2027, 5, 21),
        reranking_closes=D(2027, 5, 25),
        ranking_date=D(2027, 6, 3),
        enrolment_starts=D(2027, 6, 7),
        enrolment_ends=D(2027, 6, 18),
    )
    values.update(over)
    return Round(**values)


def test_A13_3_quality_centre_confirms_within_7_days_after_the_deadline():
    d = deadline(a_round(), "confirmation")
    # 1 March + 7 days is 8 March, International Women's Day: the deadline moves to 9 March.
    assert d.date == D(2027, 3, 9) and d.body == OrgKind.QUALITY_CENTRE and d.citation == "A13.3"


def test_A12_3_c_registration_data_10_days_before_the_test():
    # 10 days before Friday 7 May 2027 is Tuesday 27 April.
    d = deadline(a_round(), "registration_data")
    assert d.date == D(2027, 4, 27) and d.body == OrgKind.EMIS


def test_A17_2_distribution_within_2_days_after_registration_closes():
    # Registration closes Wednesday 28 April 2027; +2 days = Friday 30 April, Good Friday -> 4 May.
    assert deadline(a_round(), "distribution").date == D(2027, 5, 4)


def test_A17_2_a_and_b_each_by_the_next_working_day_over_easter():
    r = a_round()
    assert deadline(r, "centres_to_naec").date == D(2027, 4, 29)
    assert deadline(r, "numbers_to_emis").date == D(2027, 5, 4)  # after the Easter holidays
    assert deadline(r, "numbers_to_emis").body == OrgKind.NAEC


def test_A17_2_distribution_is_due_no_earlier_than_naecs_answer():
    # Registration closes Friday 23 April 2027: the 2 days end on Sunday -> Monday 26, while
    # A17.2(a) is due Monday 26 and NAEC's answer Tuesday 27 April: the distribution waits.
    r = a_round(registration_closes=D(2027, 4, 23))
    assert deadline(r, "numbers_to_emis").date == D(2027, 4, 27)
    assert deadline(r, "distribution").date == D(2027, 4, 27)


@pytest.mark.django_db
def test_A17_4_and_A17_2_b_count_from_the_recorded_receipt(world):
    r = world["round"]
    planned_b = deadline(r, "numbers_to_emis").date
    planned_4 = deadline(r, "distribution_to_naec").date
    emis, naec = world["users"][Role.EMIS_OPERATOR], world["users"][Role.NAEC_OFFICER]
    late = planned_b + dt.timedelta(days=6)
    services.record_receipt(emis, r, "centres_to_naec", perm="exams.handover", on=late)
    b = deadline(r, "numbers_to_emis").date
    assert b > late and b > planned_b  # the next working day after NAEC received the data
    got = b + dt.timedelta(days=1)
    services.record_receipt(naec, r, "numbers_to_emis", perm="exams.numbers", on=got)
    assert deadline(r, "distribution_to_naec").date >= got + dt.timedelta(days=3) > planned_4
    # The first receipt counts.
    services.record_receipt(
        naec, r, "numbers_to_emis", perm="exams.numbers", on=got + dt.timedelta(days=9)
    )
    assert deadline(r, "distribution_to_naec").date < got + dt.timedelta(days=9)


def test_A26_1_results_within_5_days_after_the_test():
    # Test ends Tuesday 11 May 2027; +5 = Sunday 16 -> Monday 17 May is a holiday -> Tuesday 18.
    assert deadline(a_round(), "results").date == D(2027, 5, 18)


def test_A27_1_ranking_document_within_7_days_of_the_final_lists():
    r = a_round()
    assert deadline(r, "final_lists").date == D(2027, 5, 27)  # A26.3: 26 May is a holiday
    assert deadline(r, "ranking").date == D(2027, 6, 3)


def test_deadlines_are_sorted_and_each_names_a_body():
    items = statutory_deadlines(a_round())
    assert [i.date for i in items] == sorted(i.date for i in items)
    assert {i.citation for i in items} >= {"A13.3", "A12.3(c)", "A17.2", "A26.1", "A27.1"}
    assert all(i.body in OrgKind.values for i in items)


@pytest.mark.django_db
def test_A18_1_a_round_is_spring_or_autumn_once_a_year(world):
    ministry = world["users"][Role.MINISTRY_OFFICER]
    values = {k: v for k, v in a_round().__dict__.items() if k in Round().schedule() and v}
    values = {k: v.replace(year=2028) for k, v in values.items()}
    values["registration_closes"] = D(2028, 4, 20)  # A12.3(c): 10 days before the test
    r = services.create_round(ministry, year=2028, season="spring", **values)
    assert str(r).endswith("2028")
    with pytest.raises(ValidationError) as exc:
        services.create_round(ministry, year=2028, season="spring", **values)
    assert "მუხ. 18.1" in str(exc.value)


@pytest.mark.django_db
def test_A18_1_schedule_dates_must_be_in_order(world):
    ministry = world["users"][Role.MINISTRY_OFFICER]
    r = world["round"]
    with pytest.raises(ValidationError) as exc:
        services.set_schedule(
            ministry, r, registration_closes=r.registration_opens - dt.timedelta(days=1)
        )
    assert "registration_closes" in exc.value.message_dict


@pytest.mark.django_db
def test_only_the_ministry_sets_the_schedule(world):
    with pytest.raises(PermissionDenied):
        services.set_schedule(world["users"][Role.EMIS_OPERATOR], world["round"], reason="x")


@pytest.mark.django_db
def test_timeline_page_shows_each_deadline_with_its_body(client, world):
    response = client.get("/en/rounds/")
    html = response.content.decode()
    assert response.status_code == 200
    r = world["round"]
    due = deadline(r, "confirmation").date
    assert due.strftime("%d.%m.%Y") in html and "A13.3" in html
    assert "Quality centre (NCEQE)" in html and "A17.2(b)" in html


@pytest.mark.django_db
def test_A18_1_ministry_creates_a_round_over_http_and_errors_keep_input(client, world):
    from tests.conftest import sign_in

    sign_in(client, world["users"][Role.MINISTRY_OFFICER])
    values = {
        k: v.replace(year=2028).isoformat()
        for k, v in a_round().__dict__.items()
        if k in Round().schedule() and v
    }
    values["registration_closes"] = "2028-04-20"  # A12.3(c): 10 days before the test
    bad = dict(values, registration_closes="2028-03-01")  # before it opens
    response = client.post("/en/rounds/new/", {"year": 2028, "season": "spring", **bad})
    assert response.status_code == 200 and 'value="2028-03-01"' in response.content.decode()
    response = client.post("/en/rounds/new/", {"year": 2028, "season": "spring", **values})
    assert response.status_code == 302
    assert Round.objects.filter(year=2028, season="spring").exists()


def test_A27_5_and_A27_6_electronic_copy_in_2_days_then_the_management_system_in_3():
    r = a_round()
    approved = deadline(r, "ranking").date  # Thursday 3 June 2027
    sent = deadline(r, "ranking_sent")
    assert (sent.citation, sent.body, sent.date) == ("A27.5", OrgKind.NAEC, D(2027, 6, 7))
    entered = deadline(r, "ranking_entered")
    assert (entered.citation, entered.body) == ("A27.6", OrgKind.EMIS)
    assert entered.date == D(2027, 6, 10) and approved < sent.date < entered.date


def _schedule_2028(**over):
    values = {
        k: v.replace(year=2028)
        for k, v in a_round().__dict__.items()
        if k in Round().schedule() and v
    }
    values["registration_closes"] = D(2028, 4, 20)
    values.update(over)
    return values


@pytest.mark.django_db
def test_A12_3_c_schedule_refuses_registration_closing_after_the_handover_is_due(world):
    ministry = world["users"][Role.MINISTRY_OFFICER]
    with pytest.raises(ValidationError) as exc:
        services.create_round(
            ministry,
            year=2028,
            season="spring",
            **_schedule_2028(registration_closes=D(2028, 4, 28)),
        )
    message = exc.value.message_dict["registration_closes"][0]
    assert "28.04.2028" in message and "27.04.2028" in message and "12.3" in message


@pytest.mark.django_db
def test_A17_4_schedule_refuses_a_test_before_the_distribution_can_reach_naec(world):
    ministry = world["users"][Role.MINISTRY_OFFICER]
    values = _schedule_2028(
        registration_closes=D(2028, 4, 20), test_starts=D(2028, 4, 26), test_ends=D(2028, 4, 28)
    )
    with pytest.raises(ValidationError) as exc:
        services.create_round(ministry, year=2028, season="spring", **values)
    assert "17.4" in " ".join(exc.value.message_dict["test_starts"])


@pytest.mark.django_db
def test_A18_1_test_days_fall_in_the_rounds_season(world):
    ministry = world["users"][Role.MINISTRY_OFFICER]
    with pytest.raises(ValidationError) as exc:
        services.create_round(ministry, year=2028, season="autumn", **_schedule_2028())
    assert "07.05.2028" in exc.value.message_dict["test_starts"][0]
    assert services.create_round(ministry, year=2028, season="spring", **_schedule_2028())


@pytest.mark.django_db
def test_A16_2_subsequent_stage_window_is_both_dates_in_order(world):
    ministry = world["users"][Role.MINISTRY_OFFICER]
    with pytest.raises(ValidationError) as exc:
        services.create_round(
            ministry,
            year=2028,
            season="spring",
            **_schedule_2028(subsequent_registration_opens=D(2028, 3, 10)),
        )
    assert "subsequent_registration_closes" in exc.value.message_dict
    r = services.create_round(
        ministry,
        year=2028,
        season="spring",
        **_schedule_2028(
            subsequent_registration_opens=D(2028, 3, 10),
            subsequent_registration_closes=D(2028, 4, 10),
        ),
    )
    assert r.subsequent_registration_closes == D(2028, 4, 10)
