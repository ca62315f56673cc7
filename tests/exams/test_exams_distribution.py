"""A17.2, A15.8, A17.3: distributing the round's applicants to exam centres and sessions."""

import pytest

from kari.audit.models import AuditEntry
from kari.errors import RuleError, ValidationError
from kari.exams import services
from kari.exams.models import Assignment, DistributionStatus, Sitting
from kari.exams.reasons import MESSAGES, reason_label


def test_A17_2_refused_while_registration_is_open(exam_world):
    r = exam_world["round"]
    with pytest.raises(RuleError, match="მუხ. 17.2"):
        services.distribute(exam_world["emis"], r, today=r.registration_closes)


def test_A17_2_only_emis_distributes(exam_world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.distribute(exam_world["naec"], exam_world["round"])


def test_A17_2_places_everyone_within_seats_and_in_their_own_sessions(exam_world):
    d = services.distribute(exam_world["emis"], exam_world["round"])
    assert d.unplaced == {}
    assignments = list(Assignment.objects.filter(distribution=d).select_related("centre"))
    assert len(assignments) == 10
    for s in exam_world["sessions"]:
        for c in exam_world["centres"]:
            assert Sitting.objects.filter(session=s, assignment__centre=c).count() <= c.seats
    for a in assignments:
        sat = sorted(Sitting.objects.filter(assignment=a).values_list("session_id", flat=True))
        assert sat == sorted(s.pk for s in exam_world["sessions"])
    assert AuditEntry.objects.filter(action="distribution.run").count() == 1


def test_A17_2_keeps_the_preferred_municipality_as_far_as_capacity_allows(exam_world):
    """Seven Tbilisi seats (4 + 3) for ten applicants preferring Tbilisi: seven stay."""
    d = services.distribute(exam_world["emis"], exam_world["round"])
    assert d.stats["preferred"] == 7
    moved = Assignment.objects.filter(distribution=d, preferred=False)
    assert {a.centre.code for a in moved} == {"KU-1"}
    assert all(a.distance_km > 100 for a in moved)  # Tbilisi to Kutaisi


def test_A17_2_adapted_environment_only_where_a_centre_has_one(exam_world):
    d = services.distribute(exam_world["emis"], exam_world["round"])
    a = Assignment.objects.get(distribution=d, registration=exam_world["regs"][0])
    assert a.centre.adapted


def test_A17_2_can_be_rerun_until_invitations_are_issued(issued):
    with pytest.raises(RuleError, match="მუხ. 17.3"):
        services.distribute(issued["emis"], issued["round"])


def test_A17_2_rerun_is_deterministic(exam_world):
    def placed(d):
        return sorted(
            Assignment.objects.filter(distribution=d).values_list("registration_id", "centre_id")
        )

    a = services.distribute(exam_world["emis"], exam_world["round"])
    first = placed(a)
    b = services.distribute(exam_world["emis"], exam_world["round"])
    assert b.number == a.number + 1 and a.inputs_hash == b.inputs_hash
    assert placed(b) == first


def test_A17_2_unplaced_reported_and_invitations_refused(exam_world):
    for c in exam_world["centres"]:
        c.seats = 1
        c.save()
    d = services.distribute(exam_world["emis"], exam_world["round"])
    assert len(d.unplaced) == 7
    with pytest.raises(RuleError, match="მუხ. 17.3"):
        services.start_invitations(exam_world["emis"], d)
    d.refresh_from_db()
    assert d.status == DistributionStatus.DRAFT


def test_A15_8_emis_moves_an_applicant_with_a_reason(exam_world):
    d = services.distribute(exam_world["emis"], exam_world["round"])
    a = (
        Assignment.objects.filter(distribution=d, centre__code="KU-1")
        .exclude(registration=exam_world["regs"][0])
        .first()
    )
    with pytest.raises(ValidationError) as exc:
        services.move_applicant(
            exam_world["emis"], d, a.registration, exam_world["centres"][0], reason=" "
        )
    assert "reason" in exc.value.message_dict
    full = exam_world["centres"][0]  # TB-1: its four seats are taken in every session
    with pytest.raises(ValidationError) as exc:
        services.move_applicant(
            exam_world["emis"], d, a.registration, full, reason="closer to home"
        )
    assert "centre" in exc.value.message_dict
    full.seats = 5
    full.save()
    moved = services.move_applicant(
        exam_world["emis"], d, a.registration, full, reason="closer to home"
    )
    assert moved.preferred and moved.distance_km == 0 and moved.centre == full
    assert moved.sittings.count() == len(exam_world["sessions"])
    assert AuditEntry.objects.filter(action="distribution.move", reason="closer to home").exists()


def test_A15_8_adapted_applicant_cannot_be_moved_to_a_centre_without_it(exam_world):
    d = services.distribute(exam_world["emis"], exam_world["round"])
    a = Assignment.objects.get(distribution=d, registration=exam_world["regs"][0])
    with pytest.raises(ValidationError) as exc:
        services.move_applicant(
            exam_world["emis"], d, a.registration, exam_world["centres"][1], reason="x"
        )
    assert "centre" in exc.value.message_dict


def test_A15_8_emis_moves_an_applicant_over_http(exam_world, client):
    from tests.conftest import sign_in

    d = services.distribute(exam_world["emis"], exam_world["round"])
    a = (
        Assignment.objects.filter(distribution=d, centre__code="KU-1")
        .exclude(registration=exam_world["regs"][0])
        .first()
    )
    target = exam_world["centres"][0]
    target.seats = 5
    target.save()
    sign_in(client, exam_world["emis"])
    page = client.get(f"/exams/distributions/{d.pk}/").content.decode()
    assert 'id="move"' in page
    response = client.post(
        f"/exams/distributions/{d.pk}/move/",
        {"registration": str(a.registration), "centre": target.pk, "reason": ""},
    )
    a.refresh_from_db()
    assert a.centre.code == "KU-1"  # no reason, no move
    html = response.content.decode()
    assert response.status_code == 400 and f'value="{a.registration}"' in html  # kept as typed
    assert "id_reason_error" in html
    response = client.post(
        f"/exams/distributions/{d.pk}/move/",
        {
            "registration": str(a.registration),
            "centre": target.pk,
            "reason": "lives in Tbilisi now",
        },
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.centre == target and a.preferred


def test_A15_8_an_unplaced_applicant_is_placed_by_hand_and_the_figures_follow(exam_world):
    for c in exam_world["centres"]:
        c.seats = 1
        c.save()
    d = services.distribute(exam_world["emis"], exam_world["round"])
    reg_id = int(sorted(d.unplaced, key=int)[0])
    reg = next(r for r in exam_world["regs"] if r.pk == reg_id)
    centre = exam_world["centres"][1]
    centre.seats = 2
    centre.save()
    a = services.move_applicant(exam_world["emis"], d, reg, centre, reason="a seat freed up")
    d.refresh_from_db()
    assert str(reg_id) not in d.unplaced and d.stats["unplaced"] == len(d.unplaced) == 6
    assert d.stats["placed"] == 4 and a.sittings.count() == len(exam_world["sessions"])


def test_A17_2_b_a_move_respects_naec_number_for_the_centre(exam_world):
    from kari.exams.models import CentreQuota

    d = services.distribute(exam_world["emis"], exam_world["round"])
    target = exam_world["centres"][0]
    target.seats = 10
    target.save()
    CentreQuota.objects.create(
        round=exam_world["round"],
        centre=target,
        applicants=Assignment.objects.filter(distribution=d, centre=target).count(),
    )
    a = (
        Assignment.objects.filter(distribution=d, centre__code="KU-1")
        .exclude(registration=exam_world["regs"][0])
        .first()
    )
    with pytest.raises(ValidationError) as exc:
        services.move_applicant(exam_world["emis"], d, a.registration, target, reason="x")
    assert "მუხ. 17.2 „ბ“" in str(exc.value)


def test_A17_2_a_registration_without_a_municipality_is_left_out_with_a_reason(exam_world):
    reg = exam_world["regs"][5]
    type(reg).objects.filter(pk=reg.pk).update(exam_municipality=None)
    d = services.distribute(exam_world["emis"], exam_world["round"])
    assert d.unplaced[str(reg.pk)] == {"code": "no_municipality", "items": []}
    assert "(მუხ. 15.3 „გ“)" in reason_label(d.unplaced[str(reg.pk)])
    assert d.stats["placed"] == 9


def test_A17_2_a_centre_without_coordinates_is_named(exam_world):
    from kari.catalogue.models import Municipality

    Municipality.objects.filter(code="kutaisi").update(lat=None, lon=None)
    with pytest.raises(RuleError, match="KU-1"):
        services.distribute(exam_world["emis"], exam_world["round"])


def test_A17_2_the_solver_s_reasons_are_shown_in_georgian(exam_world, client):
    from django.utils import translation

    from tests.conftest import sign_in

    with translation.override("ka"):
        text = reason_label({"code": "no_capacity_for_item", "items": ["subject:georgian"]})
        assert "ქართული ენა" in text and "item" not in text and "subject:" not in text
        assert reason_label({"code": "centre_quotas_reached", "items": []}).endswith(
            "(მუხ. 17.2 „ბ“)"
        )
        unknown = reason_label({"code": "something_new", "items": []})
        assert unknown and "something" not in unknown  # no internal code on the screen
    for c in exam_world["centres"]:
        c.seats = 1
        c.save()
    d = services.distribute(exam_world["emis"], exam_world["round"])
    assert {r["code"] for r in d.unplaced.values()} <= set(MESSAGES)
    sign_in(client, exam_world["emis"])
    html = client.get(f"/exams/distributions/{d.pk}/").content.decode()
    assert "no capacity" not in html and "no_capacity" not in html and "R-" in html
    with translation.override("ka"):
        assert all(reason_label(r) in html for r in d.unplaced.values())


def test_A17_2_the_distribution_page_reads_a_fixed_number_of_queries(exam_world, client):
    """Reasons and loads are read in bulk, not once per unplaced applicant or centre."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import sign_in

    sign_in(client, exam_world["emis"])

    def page_queries(seats):
        for c in exam_world["centres"]:
            c.seats = seats
            c.save()
        d = services.distribute(exam_world["emis"], exam_world["round"])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/exams/distributions/{d.pk}/").status_code == 200
        return len(d.unplaced), len(ctx.captured_queries)

    few, many = page_queries(3), page_queries(1)
    assert few[0] < many[0]  # more applicants unplaced …
    assert few[1] == many[1]  # … the same number of queries


def test_A17_2_reasons_stored_as_text_before_codes_become_codes(exam_world):
    """Migration 0003: a distribution stored before reason codes shows its reasons too."""
    from importlib import import_module

    from django.apps import apps

    from kari.exams.models import Distribution
    from kari.exams.services.distribution import current_figures

    migration = import_module("kari.exams.migrations.0003_unplaced_reason_codes")
    for c in exam_world["centres"]:
        c.seats = 1
        c.save()
    d = services.distribute(exam_world["emis"], exam_world["round"])
    codes = dict(d.unplaced)
    old = {
        "no_capacity_for_item": lambda items: f"no capacity for item {items[0]}",
        "no_adapted_centre": lambda items: "no adapted centre",
        "no_capacity": lambda items: (
            "no capacity: every possible centre is full for one of the applicant's items"
        ),
        "centre_quotas_reached": lambda items: "centre quotas reached",
    }
    texts = {k: old[r["code"]](r["items"]) for k, r in codes.items()}
    first = next(iter(texts))
    texts[first] = "არ აქვს კოორდინატებიანი სასურველი საგამოცდო მუნიციპალიტეტი (A15.3(c))"
    stats = {k: v for k, v in d.stats.items() if k != "centre_preferred"}
    Distribution.objects.filter(pk=d.pk).update(unplaced=texts, stats=stats)
    migration.forwards(apps, None)
    d.refresh_from_db()
    assert d.unplaced == {**codes, first: {"code": "no_municipality", "items": []}}
    assert d.stats["centre_preferred"] == current_figures(d)["centre_preferred"]
    assert migration.reason_code("no centre hosts all of: skills:a, subject:b") == {
        "code": "no_centre_hosts_all",
        "items": ["skills:a", "subject:b"],
    }
