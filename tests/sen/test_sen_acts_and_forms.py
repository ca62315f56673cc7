"""A39.1-A39.2: the minister's act on the SEN exam centres (its number and date, the hosts, the
distribution, the 5 calendar days, a late act stamped, an amending act) and the hosts acquainting
the applicants; A40.4: the minister's scoring form; A38.4(b) phone or email and A38.6 the
printout without a one-time code."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kari.accounts.roles import Role
from kari.audit.models import AuditEntry
from kari.codes.models import OneTimeCode
from kari.outbox.models import Message
from kari.sen import rules, services
from kari.sen.models import HostAssignment, HostsAct, SenRegistration, Stage, Trial
from tests.conftest import make_user, sign_in
from tests.sen.conftest import PEOPLE, TODAY, cites
from tests.sen.test_sen_services import registered

pytestmark = pytest.mark.django_db

TRIAL = dict(
    tested_on=TODAY,
    minutes=30,
    recommended=True,
    reasons="მოთხოვნები, ექსპერტთა დასკვნა და ინტერესები გათვალისწინებულია.",
    documents_analysis="დოკუმენტები გაანალიზებულია.",
)


def other_staff(sen, role=Role.INSTITUTION_ADMIN):
    """Staff of another institution (inst_b) with the same role."""
    return make_user(f"other-{role}", sen.world["inst_b"].organisation, [role])


def hosted(sen, n=2):
    regs = registered(sen, n)
    inst = sen.world["inst_a"]
    act = sen.hosts(dict.fromkeys(regs, inst))
    services.create_commission(
        sen.admin, inst, sen.round, Stage.PRIMARY, act_number="კ-1", members=[sen.commission_member]
    )
    return regs, inst, act


# ---------------------------------------------------------------- A39.1 the minister's act


def test_a39_1_five_calendar_days_after_registration_rolled_past_a_georgian_holiday():
    """„რეგისტრაციის დასრულებიდან 5 დღის ვადაში“: days, not working days. From Friday
    21 May 2027 the 5th day is Independence Day (Wednesday 26 May): the act is due Thursday
    27 May; counted in working days it would have been Monday 31 May."""
    assert rules.hosts_due(dt.date(2027, 5, 21)) == dt.date(2027, 5, 27)
    assert rules.hosts_due(dt.date(2027, 6, 1)) == dt.date(2027, 6, 7)  # Sunday 6 → Monday 7
    assert rules.hosts_due(dt.date(2027, 6, 7)) == dt.date(2027, 6, 14)  # Saturday 12 → Monday


def test_a39_1_the_act_on_the_holiday_deadline_is_on_time_a_later_one_stamped_late(
    sen, monkeypatch
):
    """The window closes on 21 May 2027; the act of 27 May is on time (26 May is a holiday);
    an amending act of 28 May is recorded and stamped late, not refused."""
    today = {"d": dt.date(2027, 5, 20)}
    monkeypatch.setattr(services, "_today", lambda: today["d"])
    services.set_schedule(
        sen.officer,
        sen.round,
        Stage.PRIMARY,
        registration_opens=dt.date(2027, 5, 10),
        registration_closes=dt.date(2027, 5, 21),
        test_starts=dt.date(2027, 6, 1),
        test_ends=dt.date(2027, 6, 2),
        max_minutes=90,
    )
    regs = [sen.register(i, [sen.programmes[0].code]) for i in range(2)]
    inst_a, inst_b = sen.world["inst_a"], sen.world["inst_b"]
    today["d"] = dt.date(2027, 5, 28)
    act = sen.hosts(dict.fromkeys(regs, inst_a), number="ც-27", issued_on=dt.date(2027, 5, 27))
    assert (act.due, act.late) == (dt.date(2027, 5, 27), False)
    later = services.issue_hosts_act(
        sen.officer,
        sen.round,
        Stage.PRIMARY,
        number="ც-28",
        issued_on=dt.date(2027, 5, 28),
        hosts=[inst_a, inst_b],
        assignments={regs[1]: inst_b},
    )
    assert later.late and later.due == dt.date(2027, 5, 27) and later.amends == act
    entry = AuditEntry.objects.filter(action="sen.hosts_act").latest("pk")
    assert entry.after["late"] is True


def test_a39_1_the_act_names_the_hosts_and_distributes_every_applicant(sen, mailoutbox):
    regs = registered(sen, 2)
    inst_a, inst_b = sen.world["inst_a"], sen.world["inst_b"]

    def issue(**kw):
        args = dict(
            number="ც-1",
            issued_on=TODAY,
            hosts=[inst_a],
            assignments=dict.fromkeys(regs, inst_a),
        )
        return services.issue_hosts_act(sen.officer, sen.round, Stage.PRIMARY, **{**args, **kw})

    with pytest.raises(ValidationError) as e:  # (b): every registered applicant
        issue(assignments={regs[0]: inst_a})
    assert regs[1].number in str(e.value) and cites(e.value, "A39.1")
    with pytest.raises(ValidationError) as e:  # (b): to the hosts the act lists (a)
        issue(assignments={regs[0]: inst_a, regs[1]: inst_b})
    assert cites(e.value, "A39.1(b)")
    with pytest.raises(ValidationError) as e:
        issue(number=" ", hosts=[])
    assert {"number", "hosts"} <= set(e.value.message_dict)
    with pytest.raises(ValidationError) as e:
        issue(issued_on=TODAY + dt.timedelta(days=1))
    assert "issued_on" in e.value.message_dict
    assert issue(dry_run=True) is None and not HostsAct.objects.exists()
    mailoutbox.clear()
    act = issue()
    assert act.number == "ც-1" and act.issued_on == TODAY and not act.amends
    assert list(act.hosts.all()) == [inst_a]
    assert HostAssignment.objects.filter(act=act).count() == 2
    for r in regs:
        r.refresh_from_db()
        assert (r.host, r.host_act) == (inst_a, act)
    assert AuditEntry.objects.filter(action="sen.hosts_act").count() == 1
    assert AuditEntry.objects.filter(action="sen.host").count() == 2
    # the host is told of the act and its duty; the applicants are not yet (A39.2)
    assert any("ც-1" in m.body for m in mailoutbox)
    assert not Message.objects.filter(to=regs[0].phone, body__contains="ც-1").exists()
    with pytest.raises(ValidationError) as e:  # the number is the act's own
        issue(assignments={regs[0]: inst_a})
    assert "number" in e.value.message_dict


def test_a39_2_the_host_acquaints_its_applicants_with_the_act(sen):
    regs, inst, act = hosted(sen)
    with pytest.raises(PermissionDenied):  # another institution's staff
        services.acquaint_applicants(other_staff(sen), inst, act)
    with pytest.raises(PermissionDenied):  # the ministry does not act for the host
        services.acquaint_applicants(sen.officer, inst, act)
    assert services.acquaint_applicants(sen.admin, inst, act) == 2
    sms = Message.objects.filter(to=regs[0].phone, body__contains=act.number)
    assert sms.exists() and inst.organisation.name_ka in sms.first().body
    assert not HostAssignment.objects.filter(act=act, informed_at=None).exists()
    with pytest.raises(ValidationError) as e:  # once
        services.acquaint_applicants(sen.admin, inst, act)
    assert cites(e.value, "A39.2")


def test_a39_1_an_amending_act_reassigns_and_the_earlier_act_is_kept(sen):
    regs, inst_a, act = hosted(sen)
    inst_b = sen.world["inst_b"]
    with pytest.raises(ValidationError) as e:
        sen.hosts({regs[0]: inst_a})  # changes nothing
    assert "assignments" in e.value.message_dict
    amend = services.issue_hosts_act(
        sen.officer,
        sen.round,
        Stage.PRIMARY,
        number="ც-შესწ-1",
        issued_on=TODAY,
        hosts=[inst_a, inst_b],
        assignments={regs[1]: inst_b},
    )
    assert amend.amends == act
    assert list(HostAssignment.objects.filter(act=amend).values_list("registration", "host")) == [
        (regs[1].pk, inst_b.pk)
    ]
    assert HostAssignment.objects.filter(act=act).count() == 2  # the earlier act stays
    regs[1].refresh_from_db()
    assert (regs[1].host, regs[1].host_act) == (inst_b, amend)
    services.score_trial(
        sen.commission_member,
        regs[0],
        sen.programmes[0],
        scores=[{"activity": "ბოსტნეულის დაჭრა", "score": 5}],
        **TRIAL,
    )
    with pytest.raises(ValidationError) as e:  # the trial is scored: no reassignment
        services.issue_hosts_act(
            sen.officer,
            sen.round,
            Stage.PRIMARY,
            number="ც-შესწ-2",
            issued_on=TODAY,
            hosts=[inst_a, inst_b],
            assignments={regs[0]: inst_b},
        )
    assert regs[0].number in str(e.value)


def test_a39_1_only_the_ministry_records_the_act(sen):
    regs = registered(sen, 1)
    for actor in (sen.admin, sen.clerk, sen.commission_member, other_staff(sen)):
        with pytest.raises(PermissionDenied):
            sen.hosts({regs[0]: sen.world["inst_a"]}, actor=actor)
    assert not HostsAct.objects.exists()


def test_a39_1_the_ministry_records_the_act_after_a_confirmation(client, sen):
    regs = registered(sen, 2)
    inst = sen.world["inst_a"]
    sign_in(client, sen.officer)
    page = client.get("/staff/sen/ministry/hosts/").content.decode()
    due = rules.hosts_due(TODAY - dt.timedelta(days=1))
    assert due.strftime("%d.%m.%Y") in page and regs[0].number in page
    post = {
        "number": "ც-15",
        "issued_on": TODAY.isoformat(),
        "hosts": [str(inst.pk)],
        **{f"host_{r.pk}": str(inst.pk) for r in regs},
    }
    r = client.post("/staff/sen/ministry/hosts/", {**post, "number": ""})
    assert r.status_code == 200 and "error-summary" in r.content.decode()
    r = client.post("/staff/sen/ministry/hosts/", {**post, f"host_{regs[1].pk}": ""})
    assert regs[1].number in r.content.decode() and "error-summary" in r.content.decode()
    r = client.post("/staff/sen/ministry/hosts/", post)  # the confirmation step
    assert r.status_code == 200 and 'name="confirm"' in r.content.decode()
    assert not HostsAct.objects.exists()
    r = client.post("/staff/sen/ministry/hosts/", {**post, "back": "1"})  # back to edit
    assert r.status_code == 200 and 'value="ც-15"' in r.content.decode()
    assert not HostsAct.objects.exists()
    r = client.post("/staff/sen/ministry/hosts/?stage=primary", {**post, "confirm": "1"})
    assert r.status_code == 302
    act = HostsAct.objects.get()
    assert "ც-15" in client.get("/staff/sen/ministry/").content.decode()
    client.logout()
    sign_in(client, sen.admin)  # the host sees the act and its applicants
    page = client.get("/staff/sen/host/").content.decode()
    assert "ც-15" in page and regs[0].number in page
    assert client.post(f"/staff/sen/host/act/{act.pk}/acquaint/").status_code == 302
    assert not HostAssignment.objects.filter(informed_at=None).exists()
    client.logout()
    sign_in(client, other_staff(sen))
    assert client.post(f"/staff/sen/host/act/{act.pk}/acquaint/").status_code == 403
    client.logout()
    session = client.session  # the applicant's cabinet shows the centre
    session["kari_applicant"] = regs[0].applicant_id
    session.save()
    page = client.get("/cabinet/").content.decode()
    assert inst.organisation.name in page and "ც-15" in page


# ---------------------------------------------------------------- A40.4 the minister's form


def test_a40_4_the_ministry_sets_the_form_and_a_new_act_is_a_new_version(sen):
    p = sen.programmes[0]
    first = services.current_form(p)
    with pytest.raises(PermissionDenied):
        services.set_scoring_form(
            sen.admin,
            p,
            act_number="1",
            issued_on=TODAY,
            activities=[{"name": "x", "max_score": 5}],
        )
    with pytest.raises(ValidationError) as e:
        services.set_scoring_form(sen.officer, p, act_number="", issued_on=TODAY, activities=[])
    assert {"act_number", "activities"} <= set(e.value.message_dict)
    with pytest.raises(ValidationError) as e:
        services.set_scoring_form(
            sen.officer,
            p,
            act_number="2",
            issued_on=TODAY,
            activities=[{"name": "a", "max_score": 5}, {"name": "a", "max_score": 3}],
        )
    assert "activities" in e.value.message_dict
    regs, inst, act = hosted(sen, 1)
    t1 = services.score_trial(
        sen.commission_member,
        regs[0],
        p,
        scores=[{"activity": "ბოსტნეულის დაჭრა", "score": 6}],
        **TRIAL,
    )
    assert t1.form == first and t1.scores[0]["max"] == 10
    second = services.set_scoring_form(
        sen.officer,
        p,
        act_number="ფ-2",
        issued_on=TODAY,
        activities=[
            {"name": "ბოსტნეულის დაჭრა", "max_score": 5, "criteria": "სიზუსტე"},
            {"name": "ჭურჭლის რეცხვა", "max_score": 4},
        ],
    )
    assert second.version == first.version + 1 and services.current_form(p) == second
    t1.refresh_from_db()
    assert t1.form == first  # the trial keeps the version it was scored on
    assert AuditEntry.objects.filter(action="sen.form_set").exists()


def test_a40_4_a_score_outside_the_form_or_a_missing_activity_is_refused(sen):
    regs, inst, act = hosted(sen, 1)
    p = sen.programmes[0]
    form = services.set_scoring_form(
        sen.officer,
        p,
        act_number="ფ-3",
        issued_on=TODAY,
        activities=[{"name": "დაჭრა", "max_score": 5}, {"name": "რეცხვა", "max_score": 4}],
    )
    a, b = form.activities.all()

    def score(rows):
        return services.score_trial(sen.commission_member, regs[0], p, scores=rows, **TRIAL)

    with pytest.raises(ValidationError) as e:  # outside the form's range
        score([{"activity": "დაჭრა", "score": 6}, {"activity": "რეცხვა", "score": 2}])
    assert f"activity_{a.pk}" in e.value.message_dict and "«დაჭრა»" in str(e.value)
    assert cites(e.value, "A40.4")
    with pytest.raises(ValidationError) as e:  # a missing activity
        score([{"activity": "დაჭრა", "score": 3}])
    assert list(e.value.message_dict) == [f"activity_{b.pk}"] and "«რეცხვა»" in str(e.value)
    with pytest.raises(ValidationError) as e:  # not on the form; its own max is ignored
        score(
            [
                {"activity": "დაჭრა", "score": 3},
                {"activity": "რეცხვა", "score": 4},
                {"activity": "სხვა", "score": 1, "max": 100},
            ]
        )
    assert "სხვა" in str(e.value)
    with pytest.raises(ValidationError):
        score([{"activity": "დაჭრა", "score": -1}, {"activity": "რეცხვა", "score": 4}])
    assert not Trial.objects.exists()
    t = score([{"activity": "დაჭრა", "score": 5}, {"activity": "რეცხვა", "score": 0}])
    assert t.total == 5 and t.form == form and [s["max"] for s in t.scores] == [5, 4]


def test_a40_4_no_trial_before_the_minister_sets_the_form(sen):
    from kari.sen.models import ScoringActivity, ScoringForm

    regs, inst, act = hosted(sen, 1)
    p = sen.programmes[0]
    ScoringActivity.objects.filter(form__programme=p).delete()
    ScoringForm.objects.filter(programme=p).delete()
    with pytest.raises(ValidationError) as e:
        services.score_trial(
            sen.commission_member,
            regs[0],
            p,
            scores=[{"activity": "ბოსტნეულის დაჭრა", "score": 5}],
            **TRIAL,
        )
    assert cites(e.value, "A40.4")


def test_a40_4_another_institutions_commission_cannot_score(sen):
    regs, inst, act = hosted(sen, 1)
    with pytest.raises(PermissionDenied):
        services.score_trial(
            other_staff(sen, Role.SEN_EXAM_COMMISSION),
            regs[0],
            sen.programmes[0],
            scores=[{"activity": "ბოსტნეულის დაჭრა", "score": 5}],
            **TRIAL,
        )


def test_a40_4_the_ministry_sets_the_form_on_its_page(client, sen):
    p = sen.programmes[0]
    sign_in(client, sen.officer)
    assert p.code in client.get("/staff/sen/ministry/forms/").content.decode()
    url = f"/staff/sen/ministry/forms/{p.code}/"
    assert client.get(url).status_code == 200
    r = client.post(url, {"act_number": "ფ-9", "issued_on": TODAY.isoformat(), "name_1": "x"})
    assert r.status_code == 200 and "error-summary" in r.content.decode()
    r = client.post(
        url,
        {
            "act_number": "ფ-9",
            "issued_on": TODAY.isoformat(),
            "name_1": "ხახვის დაჭრა",
            "max_1": "8",
            "criteria_1": "სისწრაფე",
        },
    )
    assert r.status_code == 302
    assert services.current_form(p).act_number == "ფ-9"
    client.logout()
    sign_in(client, sen.admin)
    assert client.get(url).status_code == 403


# ---------------------------------------------------------------- A38.4(b), A38.6


def subsequent(sen):
    from kari.catalogue.models import Programme

    sen.schedule(stage=Stage.SUBSEQUENT)
    Programme.objects.filter(pk__in=[p.pk for p in sen.programmes]).update(stage="subsequent")


def test_a38_4_b_a_phone_or_an_email_is_enough(sen):
    subsequent(sen)
    code = sen.programmes[0].code
    reg = sen.register(0, [code], stage=Stage.SUBSEQUENT, education_level="საბაზო", phone="")
    assert reg.phone == "" and reg.email
    reg = sen.register(1, [code], stage=Stage.SUBSEQUENT, education_level="საბაზო", email="")
    assert reg.phone and reg.email == ""
    with pytest.raises(ValidationError) as e:
        sen.register(
            2, [code], stage=Stage.SUBSEQUENT, education_level="საბაზო", phone="", email=""
        )
    assert "phone" in e.value.message_dict and cites(e.value, "A38.4(b)")
    sen.schedule()  # A37.4(b): the primary stage still needs the phone
    with pytest.raises(ValidationError) as e:
        sen.register(3, [code], phone="")
    assert "phone" in e.value.message_dict


def test_a38_6_the_printout_confirms_the_registration_without_a_code(client, sen):
    subsequent(sen)
    code = sen.programmes[0].code
    data = {
        "personal_number": PEOPLE[4][0],
        "phone": "+995555100004",
        "programmes": [code],
        "education_level": "საბაზო",
    }
    with pytest.raises(ValidationError) as e:  # no one-time code at this stage
        services.start_registration(
            sen.clerk, data, sen.round, stage=Stage.SUBSEQUENT, channel="centre"
        )
    assert cites(e.value, "A38.6")
    assert not OneTimeCode.objects.exists()
    sign_in(client, sen.clerk)
    r = client.post(
        "/staff/sen/register/subsequent/",
        {
            "personal_number": PEOPLE[4][0],
            "phone": "",
            "email": "sen4@example.ge",
            "programme_1": code,
            "education_level": "საბაზო",
        },
    )
    assert r.status_code == 302 and r["Location"].endswith("/staff/sen/register/done/")
    reg = SenRegistration.objects.get(stage=Stage.SUBSEQUENT)
    assert not OneTimeCode.objects.exists() and not sen.sent
    done = client.get("/staff/sen/register/done/").content.decode()
    assert reg.number in done and f"/staff/sen/registration/{reg.pk}/printout.pdf" in done
    pdf = client.get(f"/staff/sen/registration/{reg.pk}/printout.pdf")
    assert pdf.content.startswith(b"%PDF-")
