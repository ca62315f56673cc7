"""The SEN track's rules by citation (A33-A40), on the Georgian calendar. Deadlines are the
rule's own: each case falls on or next to a Georgian public holiday, so that a calendar
without the holidays would give another day."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kari import workdays
from kari.accounts.roles import OrgKind, Role
from kari.errors import RuleError
from kari.sen import rules, services
from kari.sen.models import DocumentKind, SenRegistration, SenStatus, Stage
from tests.conftest import make_org, make_user
from tests.sen.conftest import PEOPLE, TODAY, cites

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- deadlines (pure)


def test_A37_5_documents_within_4_working_days_skip_12_may():
    # Thursday 7 May 2026: Fri 8, Mon 11, (Tue 12 May is St Andrew's day), Wed 13, Thu 14.
    registered = dt.date(2026, 5, 7)
    assert workdays.holiday_name(dt.date(2026, 5, 12))
    assert rules.documents_due(registered) == dt.date(2026, 5, 14)


def test_A38_9_subsequent_stage_documents_have_the_same_4_working_days():
    assert rules.documents_due(dt.date(2026, 5, 8)) == dt.date(2026, 5, 15)


def test_A36_2_conclusion_within_3_days_rolls_past_epiphany():
    # Friday 16 January 2026 + 3 days = Monday 19 January, Epiphany: the next working day.
    assert workdays.holiday_name(dt.date(2026, 1, 19))
    assert rules.conclusion_due(dt.date(2026, 1, 16)) == dt.date(2026, 1, 20)


def test_A37_9_status_change_within_5_days_rolls_past_orthodox_easter():
    # Window closes Sunday 5 April 2026; +5 = Good Friday 10 April; Easter Monday 13 April.
    assert rules.status_change_until(dt.date(2026, 4, 5)) == dt.date(2026, 4, 14)


def test_A39_1_exam_centres_within_5_days_after_registration():
    assert rules.hosts_due(dt.date(2026, 4, 5)) == dt.date(2026, 4, 14)
    assert rules.hosts_due(dt.date(2026, 10, 1)) == dt.date(2026, 10, 6)


def test_A40_7_results_within_3_days_of_the_testing_skip_26_may():
    # Last trial day Saturday 23 May 2026; +3 = 26 May, Independence Day.
    assert rules.package_due(dt.date(2026, 5, 23)) == dt.date(2026, 5, 27)


def test_A40_8_distribution_within_7_days_skips_12_may():
    assert rules.distribution_due(dt.date(2026, 5, 5)) == dt.date(2026, 5, 13)


def test_A37_10_documents_required_follow_the_conclusion():
    assert rules.required_documents(hearing=False, sight=False, behavioural=False) == ["conclusion"]
    assert rules.required_documents(hearing=True, sight=True, behavioural=True) == [
        "conclusion",
        "audiogram",
        "ophthalmologist",
        "specialist",
    ]


def test_A38_10_subsequent_documents_only_if_not_assessed_or_another_institution():
    common = {"hearing": True, "sight": False, "behavioural": False, "stage": "subsequent"}
    assert rules.required_documents(**common, assessed=True) == []
    assert rules.required_documents(**common, assessed=False) == ["conclusion", "audiogram"]
    assert rules.required_documents(**common, assessed=True, continues_elsewhere=True) == [
        "conclusion",
        "audiogram",
    ]


def test_A40_6_registration_time_to_the_second():
    t = dt.datetime(2026, 9, 3, 14, 5, 9)
    assert rules.registration_time(t) == "03.09 14:05:09"
    assert rules.oversubscribed(3, 2) and not rules.oversubscribed(2, 2)


# ---------------------------------------------------------------- A33, A36 expert teams


def test_A36_1_a_team_has_at_least_three_experts(sen):
    org = make_org("experts-x", OrgKind.EXPERT_TEAM)
    two = [make_user(f"ex-{i}", org, [Role.SEN_EXPERT]) for i in range(2)]
    with pytest.raises(ValidationError) as e:
        services.form_team(sen.officer, org, act_number="1", formed_on=TODAY, members=two)
    assert cites(e.value, "A36.1")
    three = [*two, make_user("ex-3", org, [Role.SEN_EXPERT])]
    team = services.form_team(sen.officer, org, act_number="1", formed_on=TODAY, members=three)
    assert team.members.count() == 3


def test_A34_each_body_acts_within_its_responsibility(sen):
    """A34.3(a) the institution and A34.4(a) the resource centre register SEN applicants;
    A34.1 the ministry (its SEN unit; A40.8 its commission) runs the rest; nobody else."""
    sen.schedule()
    rc_clerk = make_user(
        "rc-clerk", sen.world["orgs"][OrgKind.RESOURCE_CENTRE][0], [Role.REGISTRATION_CLERK]
    )

    def data(i):
        return {
            "personal_number": PEOPLE[i][0],
            "phone": f"+995555100{i:03d}",
            "programmes": [sen.programmes[0].code],
        }

    regs = []
    for i, clerk in enumerate((rc_clerk, sen.clerk)):
        pending = services.start_registration(clerk, data(i), sen.round, channel="centre")
        regs.append(services.confirm_registration(pending.code_id, sen.sent[-1]))
        assert regs[-1].centre == clerk.organisation and regs[-1].clerk_name
    emis = sen.world["users"][Role.EMIS_OPERATOR]
    for actor in (sen.experts[0], sen.commission_member, emis, sen.officer):
        with pytest.raises(PermissionDenied):
            services.start_registration(actor, data(2), sen.round, channel="centre")
    for actor in (sen.admin, sen.clerk, emis):  # the ministry's acts (A34.1)
        with pytest.raises(PermissionDenied):
            services.set_schedule(
                actor,
                sen.round,
                Stage.PRIMARY,
                registration_opens=TODAY,
                registration_closes=TODAY,
                test_starts=TODAY + dt.timedelta(days=1),
                test_ends=TODAY + dt.timedelta(days=1),
                max_minutes=60,
            )
        with pytest.raises(PermissionDenied):
            services.set_status(actor, regs[0], SenStatus.CONFIRMED)
        with pytest.raises(PermissionDenied):
            sen.hosts(actor=actor, assignments={})
    with pytest.raises(PermissionDenied):  # A40.8: the minister's commission distributes
        services.distribute(sen.officer, sen.round, Stage.PRIMARY, number="1", placements={})
    with pytest.raises(PermissionDenied):  # A40.3: the host institution's head
        services.create_commission(
            sen.officer, sen.world["inst_a"], sen.round, Stage.PRIMARY, act_number="1", members=[]
        )


def test_A36_1_only_the_ministry_forms_teams(sen):
    with pytest.raises(PermissionDenied):
        services.form_team(
            sen.admin, sen.team.organisation, act_number="2", formed_on=TODAY, members=sen.experts
        )


def test_A36_2_conclusion_due_three_days_after_the_request(sen):
    a = services.request_assessment(
        sen.experts[0], PEOPLE[0][0], requested_on=TODAY, requested_by="representative"
    )
    assert a.due == rules.conclusion_due(TODAY)
    assert a.due >= TODAY + dt.timedelta(days=3)


def test_A37_10_a_conclusion_with_two_signatures_is_refused(sen):
    a = sen.conclusion(signers=2)
    with pytest.raises(ValidationError) as e:
        services.issue_conclusion(sen.experts[0], a)
    assert cites(e.value, "A37.10")
    a.refresh_from_db()
    assert a.concluded_on is None
    services.sign_conclusion(sen.experts[2], a)
    services.issue_conclusion(sen.experts[0], a)
    a.refresh_from_db()
    assert a.concluded_on == TODAY


def test_A36_1_only_the_teams_members_sign(sen):
    a = sen.conclusion(signers=1)
    outsider = make_user("not-member", sen.team.organisation, [Role.SEN_EXPERT])
    with pytest.raises(PermissionDenied):
        services.sign_conclusion(outsider, a)


def test_A37_10_a_changing_the_text_drops_the_signatures(sen):
    a = sen.conclusion(signers=3)
    services.write_conclusion(sen.experts[0], a, findings="ახალი ტექსტი")
    with pytest.raises(ValidationError):
        services.issue_conclusion(sen.experts[0], a)


# ---------------------------------------------------------------- A37, A38 registration


def test_A37_4_at_most_three_programmes_a_fourth_is_refused(sen):
    sen.schedule()
    four = [p.code for p in sen.programmes]
    assert len(four) == 4
    with pytest.raises(ValidationError) as e:
        sen.register(0, four)
    assert "programmes" in e.value.message_dict
    reg = sen.register(0, four[:3])
    assert [c.programme.code for c in reg.choices.all()] == four[:3]
    assert reg.sen_flag


def test_A37_2_registration_only_in_the_ministers_window(sen):
    with pytest.raises(ValidationError):
        sen.register(0)  # no window set yet
    sen.schedule(opens=2, closes=6)
    with pytest.raises(ValidationError) as e:
        sen.register(0)
    assert cites(e.value, "A37.2")


def test_A37_3_only_programmes_with_reserved_places_are_offered(sen):
    from kari.catalogue.models import AnnouncementLine

    sen.schedule()
    p = sen.programmes[0]
    AnnouncementLine.objects.filter(programme=p).update(sen_places=0)
    with pytest.raises(ValidationError) as e:
        sen.register(0, [p.code])
    assert p.code in str(e.value)


def test_A37_3_a_programme_whose_requirements_the_applicant_does_not_meet_is_refused(sen):
    from kari.catalogue.models import Programme

    sen.schedule()
    young, other = sen.programmes[0], sen.programmes[1]
    # The registry's applicants were born on 1 May 2007: too young for a minimum age of 30.
    Programme.objects.filter(pk=young.pk).update(min_age=30)
    with pytest.raises(ValidationError) as e:
        sen.register(0, [young.code, other.code])
    assert young.code in str(e.value) and cites(e.value, "A37.3")
    assert not SenRegistration.objects.exists()
    # A requirement met (age 18) is offered; the education level is told, not refused (A13.4(f)).
    Programme.objects.filter(pk=young.pk).update(min_age=18, min_education="basic")
    data = {
        "personal_number": PEOPLE[0][0],
        "phone": "+995555100000",
        "programmes": [young.code, other.code],
    }
    pending = services.start_registration(sen.clerk, data, sen.round, channel="centre")
    assert any(young.code in w for w in pending.warnings)


def test_A37_5_registration_keeps_the_time_to_the_second_and_the_4_working_day_deadline(
    sen, monkeypatch
):
    from django.utils import timezone

    sen.schedule()
    at = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(14, 5, 9, 250000)))
    monkeypatch.setattr(timezone, "now", lambda: at)  # a simulated clock
    reg = sen.register(0)
    reg.refresh_from_db()
    # A40.6: month, day, hour, minute, second, as the clock read them.
    assert timezone.localtime(reg.registered_at).replace(microsecond=0) == at.replace(microsecond=0)
    assert rules.registration_time(timezone.localtime(reg.registered_at)) == (
        f"{TODAY:%d.%m} 14:05:09"
    )
    assert reg.documents_due == rules.documents_due(TODAY)
    # A later change within the window keeps the first registration time (docs/decisions.md).
    monkeypatch.setattr(timezone, "now", lambda: at + dt.timedelta(minutes=3, seconds=7))
    again = sen.register(0, [sen.programmes[1].code])
    again.refresh_from_db()
    assert again.pk == reg.pk and again.version == reg.version + 1
    assert again.registered_at == reg.registered_at


def test_A37_6_online_registration_needs_the_second_identity_fact(sen):
    from kari.sen.models import Channel

    sen.schedule()
    with pytest.raises(ValidationError):
        sen.register(0, channel=Channel.ONLINE, document_number="WRONG")
    reg = sen.register(0, channel=Channel.ONLINE)
    assert reg.channel == "online" and reg.centre is None


def test_A37_6_a_wrong_code_registers_nothing(sen):
    from kari.sen.models import SenRegistration

    sen.schedule()
    data = {
        "personal_number": PEOPLE[0][0],
        "phone": "+995555100000",
        "programmes": [sen.programmes[0].code],
    }
    pending = services.start_registration(sen.clerk, data, sen.round, channel="centre")
    with pytest.raises(ValidationError):
        services.confirm_registration(
            pending.code_id, "000000" if sen.sent[-1] != "000000" else "1"
        )
    assert not SenRegistration.objects.exists()


def test_A40_6_a_change_in_the_window_keeps_the_first_registration_time(sen):
    sen.schedule()
    first = sen.register(0, [sen.programmes[0].code])
    again = sen.register(0, [sen.programmes[1].code])
    assert again.pk == first.pk and again.version == 2
    assert again.registered_at == first.registered_at
    assert [c.programme.code for c in again.choices.all()] == [sen.programmes[1].code]


def test_A37_8_a_change_after_the_window_is_refused(sen, monkeypatch):
    sen.schedule()
    reg = sen.register(0)
    s = sen.schedule(opens=-10, closes=-1)
    assert s.registration_closes < TODAY
    with pytest.raises(ValidationError) as e:
        sen.register(0, [sen.programmes[0].code])
    assert cites(e.value, "A37.8")
    reg.refresh_from_db()
    assert reg.version == 1


def test_A37_9_the_ministry_changes_the_status_within_5_days_on_a_conclusion(sen, monkeypatch):
    sen.schedule()
    reg = sen.register(0)
    a = sen.conclusion(0)
    services.issue_conclusion(sen.experts[0], a)
    sen.schedule(opens=-10, closes=-1)  # the window is over; day 1 of the 5
    with pytest.raises(ValidationError) as e:  # not without a conclusion
        services.set_status(sen.officer, reg, SenStatus.REJECTED, reason="არ დადასტურდა")
    assert cites(e.value, "A37.9")
    services.set_status(sen.officer, reg, SenStatus.CONFIRMED, assessment=a)
    reg.refresh_from_db()
    assert reg.status == SenStatus.CONFIRMED
    # After the 5 days: refused, even on a conclusion.
    until = rules.status_change_until(TODAY - dt.timedelta(days=1))
    monkeypatch.setattr(services, "_today", lambda: until + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as e:
        services.set_status(sen.officer, reg, SenStatus.REJECTED, reason="x", assessment=a)
    assert cites(e.value, "A37.8") or cites(e.value, "A37.9")


def test_A37_11_the_ministry_unit_confirms_or_rejects_during_the_window(sen):
    sen.schedule()
    reg = sen.register(0)
    with pytest.raises(ValidationError):
        services.set_status(sen.officer, reg, SenStatus.REJECTED)  # a reason is needed
    services.set_status(sen.officer, reg, SenStatus.REJECTED, reason="დასკვნა არ არის")
    reg.refresh_from_db()
    assert reg.status == SenStatus.REJECTED
    with pytest.raises(PermissionDenied):
        services.set_status(sen.clerk, reg, SenStatus.CONFIRMED)


def test_A33_the_status_is_confirmed_only_on_an_expert_teams_conclusion(sen):
    """A33: the right to the SEN test comes from the expert team's conclusion; the ministry's
    confirmation (A37.11) cannot stand in for one."""
    sen.schedule()
    reg = sen.register(0)
    with pytest.raises(RuleError) as e:
        services.set_status(sen.officer, reg, SenStatus.CONFIRMED)
    assert e.value.citation == "A33"
    reg.refresh_from_db()
    assert reg.status != SenStatus.CONFIRMED
    services.record_document(
        sen.admin,
        reg,
        sen.world["inst_a"],
        DocumentKind.CONCLUSION,
        received_on=TODAY,
        signatures=3,
    )
    services.set_status(sen.officer, reg, SenStatus.CONFIRMED)
    reg.refresh_from_db()
    assert reg.status == SenStatus.CONFIRMED


def test_A38_1_subsequent_stage_at_a_registration_centre_only(sen):
    from kari.sen.models import Channel

    sen.schedule(stage=Stage.SUBSEQUENT)
    with pytest.raises(ValidationError) as e:
        sen.register(0, channel=Channel.ONLINE, stage=Stage.SUBSEQUENT)
    assert cites(e.value, "A38.1")


def test_A38_4_subsequent_stage_data_and_at_most_three(sen):
    from kari.catalogue.models import Programme

    sen.schedule(stage=Stage.SUBSEQUENT)
    Programme.objects.filter(pk__in=[p.pk for p in sen.programmes]).update(stage="subsequent")
    with pytest.raises(ValidationError) as e:
        sen.register(0, stage=Stage.SUBSEQUENT)  # no education level
    assert "education_level" in e.value.message_dict
    with pytest.raises(ValidationError):
        sen.register(
            0, [p.code for p in sen.programmes], stage=Stage.SUBSEQUENT, education_level="საბაზო"
        )
    reg = sen.register(0, stage=Stage.SUBSEQUENT, education_level="საბაზო", qualification="")
    assert reg.stage == "subsequent" and reg.education_level == "საბაზო"


# ---------------------------------------------------------------- A37.10 documents


def test_A37_10_a_conclusion_document_with_two_signatures_is_refused(sen):
    sen.schedule()
    reg = sen.register(0)
    inst = sen.world["inst_a"]
    with pytest.raises(ValidationError) as e:
        services.record_document(
            sen.admin, reg, inst, DocumentKind.CONCLUSION, received_on=TODAY, signatures=2
        )
    assert "signatures" in e.value.message_dict
    services.record_document(
        sen.admin, reg, inst, DocumentKind.CONCLUSION, received_on=TODAY, signatures=3
    )
    assert reg.documents.count() == 1


def test_A37_10_only_an_institution_the_applicant_chose_records_documents(sen):
    sen.schedule()
    reg = sen.register(0, [sen.programmes[0].code])
    with pytest.raises(PermissionDenied):
        services.record_document(
            sen.world["admin_b"],
            reg,
            sen.world["inst_b"],
            DocumentKind.CONCLUSION,
            received_on=TODAY,
            signatures=3,
        )
    with pytest.raises(PermissionDenied):  # another institution's documents
        services.record_document(
            sen.admin, reg, sen.world["inst_b"], "disability", received_on=TODAY
        )


def test_A37_5_missing_documents_after_the_deadline_are_flagged(sen):
    from kari.sen import selectors

    sen.schedule()
    reg = sen.register(0)
    a = sen.conclusion(0, hearing=True)
    services.issue_conclusion(sen.experts[0], a)
    inst = sen.world["inst_a"]
    assert selectors.missing_documents(reg, inst) == ["conclusion", "audiogram"]
    assert not selectors.overdue(reg, inst, today=reg.documents_due)
    assert selectors.overdue(reg, inst, today=reg.documents_due + dt.timedelta(days=1))
    services.record_document(sen.admin, reg, inst, "conclusion", received_on=TODAY, signatures=3)
    services.record_document(sen.admin, reg, inst, "audiogram", received_on=TODAY)
    assert not selectors.overdue(reg, inst, today=reg.documents_due + dt.timedelta(days=1))
