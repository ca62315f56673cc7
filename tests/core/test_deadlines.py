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
    values = {k: v for k, v in a_round().__dict__.items() if k in Round().schedule()}
    values = {k: v.replace(year=2028) for k, v in values.items()}
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
        if k in Round().schedule()
    }
    bad = dict(values, registration_closes="2028-03-01")  # before it opens
    response = client.post("/en/rounds/new/", {"year": 2028, "season": "spring", **bad})
    assert response.status_code == 200 and 'value="2028-03-01"' in response.content.decode()
    response = client.post("/en/rounds/new/", {"year": 2028, "season": "spring", **values})
    assert response.status_code == 302
    assert Round.objects.filter(year=2028, season="spring").exists()
