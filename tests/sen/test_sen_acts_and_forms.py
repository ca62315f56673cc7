"""A39.1-A39.2: the minister's act on the SEN exam centres (its number and date, the hosts, the
distribution, the 5 calendar days, a late act stamped, an amending act) and the hosts acquainting
the applicants; A40.4: the minister's scoring form; A38.4(b) phone or email and A38.6 the
printout without a one-time code."""

import datetime as dt
import html
import io

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from kari.accounts.roles import Role
from kari.audit.models import AuditEntry
from kari.codes.models import OneTimeCode
from kari.errors import RuleError
from kari.outbox.models import Message
from kari.sen import rules, services
from kari.sen.models import HostAssignment, HostsAct, SenRegistration, Stage, Trial
from tests.conftest import make_user, sign_in
from tests.sen.conftest import PEOPLE, TODAY, cites
from tests.sen.test_sen_services import registered

pytestmark = pytest.mark.django_db


def _ka(message: str) -> str:
    with translation.override("ka"):
        return _(message)


def error_summary(response) -> str:
    """The page's error summary (the refusal the user reads), or "" without one."""
    page = response.content.decode()
    start = page.find('id="error-summary"')
    return page[start : page.find("</div>", start)] if start >= 0 else ""


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
    assert (
        str(
            RuleError(
                _("%(number)s: the trial is scored at %(host)s; the centre cannot change.")
                % {"number": regs[0].number, "host": inst_a.organisation.name_ka},
                citation="A39.1",
            ).messages[0]
        )
    ) in e.value.message_dict["assignments"]
    regs[0].refresh_from_db()
    assert (regs[0].host, regs[0].host_act) == (inst_a, act)
    assert not HostsAct.objects.filter(number="ც-შესწ-2").exists()


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
    assert r.status_code == 200
    assert 'href="#id_number"' in error_summary(r)  # the summary links to the field
    r = client.post("/staff/sen/ministry/hosts/", {**post, f"host_{regs[1].pk}": ""})
    with translation.override("ka"):
        missing = str(
            RuleError(
                _("Distribute every registered SEN applicant (A39.1(b)); not yet: %(numbers)s")
                % {"numbers": regs[1].number},
                citation="A39.1",
            ).messages[0]
        )
    assert html.escape(missing) in error_summary(r)
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
        "document_number": PEOPLE[4][1],
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
            "document_number": PEOPLE[4][1],
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


def pdf_text(data: bytes) -> str:
    """The printout's text as a reader sees it (line breaks joined)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_a38_6_the_printout_and_the_notice_show_the_email_and_the_a38_10_condition(
    client, sen, mailoutbox
):
    """A38.4(b)/A38.6: an email-only registration's printout shows the email; A38.6 prints the
    A38.9 information with A38.10's condition; the clerk's registration is audited."""
    subsequent(sen)
    code = sen.programmes[0].code
    sign_in(client, sen.clerk)
    r = client.post(
        "/staff/sen/register/subsequent/",
        {
            "personal_number": PEOPLE[4][0],
            "document_number": PEOPLE[4][1],
            "phone": "",
            "email": "sen4@example.ge",
            "programme_1": code,
            "education_level": "საბაზო",
        },
    )
    assert r.status_code == 302
    reg = SenRegistration.objects.get(stage=Stage.SUBSEQUENT)
    entry = AuditEntry.objects.get(action="sen.registered", object_id=str(reg.pk))
    assert entry.actor_id == sen.clerk.pk and entry.after["email"] == "s•••@example.ge"
    assert PEOPLE[4][0] not in str(entry.after) and "sen4@example.ge" not in str(entry.after)
    text = pdf_text(client.get(f"/staff/sen/registration/{reg.pk}/printout.pdf").content)
    assert "sen4@example.ge" in text and "Email" in text
    assert "38.10" in text and "has not been assessed by an expert team" in text
    assert "required; signed by at least three members" not in text  # not unconditional
    body = mailoutbox[-1].body
    with translation.override("ka"):
        told = str(services.REGISTERED_SUBSEQUENT_TEXT) % {
            "number": reg.number,
            "due": reg.documents_due.strftime("%d.%m.%Y"),
        }
    assert "38.10" in told and told in body
    # the primary stage's printout still says the conclusion is required
    from kari.catalogue.models import Programme

    Programme.objects.filter(pk__in=[p.pk for p in sen.programmes]).update(stage="primary")
    sen.schedule()
    primary = sen.register(5, [sen.programmes[0].code])
    text = pdf_text(client.get(f"/staff/sen/registration/{primary.pk}/printout.pdf").content)
    assert "required; signed by at least three members" in text and "38.10" not in text


def test_a38_10_an_assessed_applicant_continuing_here_is_told_no_documents_are_needed(
    client, sen, mailoutbox
):
    subsequent(sen)
    services.issue_conclusion(sen.experts[0], sen.conclusion(6))  # assessed by an expert team
    reg = sen.register(6, [sen.programmes[0].code], stage=Stage.SUBSEQUENT, education_level="x")
    sign_in(client, sen.clerk)
    text = pdf_text(client.get(f"/staff/sen/registration/{reg.pk}/printout.pdf").content)
    assert "the documents are not required" in text
    with translation.override("ka"):
        told = str(services.REGISTERED_EXEMPT_TEXT) % {"number": reg.number}
    assert told in mailoutbox[-1].body
    elsewhere = sen.register(
        7,
        [sen.programmes[0].code],
        stage=Stage.SUBSEQUENT,
        continues_elsewhere=True,
        education_level="x",
    )
    services.issue_conclusion(sen.experts[0], sen.conclusion(7))
    text = pdf_text(client.get(f"/staff/sen/registration/{elsewhere.pk}/printout.pdf").content)
    assert "has not been assessed by an expert team" in text
    assert "the documents are not required" not in text


def test_a38_a_change_by_another_centre_is_confirmed_audited_and_told_to_the_old_contacts(
    client, sen, mailoutbox
):
    """A38 has no change-by-code: another centre's clerk sees which registration the change
    replaces and confirms it; the audit keeps the old and new centre and masked contacts; the
    previous phone and email are told."""
    from kari.accounts.models import Organisation
    from kari.accounts.roles import OrgKind

    subsequent(sen)
    code = sen.programmes[0].code
    reg = sen.register(8, [code], stage=Stage.SUBSEQUENT, education_level="საბაზო")
    old_phone, old_email, old_at = reg.phone, reg.email, reg.registered_at
    rc = Organisation.objects.filter(kind=OrgKind.RESOURCE_CENTRE).first()
    clerk_b = make_user("clerk-rc", rc, [Role.REGISTRATION_CLERK])
    data = {
        "personal_number": PEOPLE[8][0],
        "document_number": PEOPLE[8][1],
        "phone": "+995555199999",
        "email": "new8@example.ge",
        "programmes": [code],
        "education_level": "საბაზო",
    }
    for confirm in ("", "SEN-00S-99999"):
        with pytest.raises(services.ChangeToConfirm) as e:
            services.register_subsequent(clerk_b, data, sen.round, confirm_change=confirm)
        assert e.value.number == reg.number and reg.centre.name_ka in e.value.notice
    reg.refresh_from_db()
    assert (reg.version, reg.centre, reg.phone) == (1, sen.clerk.organisation, old_phone)
    sign_in(client, clerk_b)
    post = {
        "personal_number": PEOPLE[8][0],
        "document_number": PEOPLE[8][1],
        "phone": "+995555199999",
        "email": "new8@example.ge",
        "programme_1": code,
        "education_level": "საბაზო",
    }
    r = client.post("/staff/sen/register/subsequent/", post)
    page = r.content.decode()
    assert r.status_code == 200 and 'id="confirm-change"' in page
    assert f'name="confirm_change" value="{reg.number}"' in page and reg.number in page
    reg.refresh_from_db()
    assert reg.version == 1
    r = client.post("/staff/sen/register/subsequent/", {**post, "confirm_change": reg.number})
    assert r.status_code == 302
    reg.refresh_from_db()
    assert (reg.version, reg.centre, reg.phone) == (2, rc, "+995555199999")
    assert reg.registered_at == old_at  # A40.6: the registration time is kept
    entry = AuditEntry.objects.filter(action="sen.changed", object_id=str(reg.pk)).get()
    assert entry.actor_id == clerk_b.pk
    assert (entry.before["centre"], entry.after["centre"]) == (sen.clerk.organisation.pk, rc.pk)
    assert (entry.before["phone"], entry.after["phone"]) == ("•••" + old_phone[-3:], "•••999")
    assert (entry.before["email"], entry.after["email"]) == ("s•••@example.ge", "n•••@example.ge")
    assert old_phone not in str(entry.before) and old_email not in str(entry.before)
    told = Message.objects.filter(to=old_phone, body__contains=reg.number).order_by("pk").last()
    assert told is not None and rc.name_ka in told.body
    assert any(old_email in m.to and rc.name_ka in m.body for m in mailoutbox)


def test_a38_a_personal_number_typed_at_a_centre_reveals_no_sen_registration(client, sen):
    """Knowing a personal number proves nothing: before an existing subsequent-stage SEN
    registration is shown for a change (A38.6 has no code), the ID card's number must match
    the civil registry. Missing, wrong, or for an unknown person: one answer, nothing shown."""
    from kari.accounts.models import Organisation
    from kari.accounts.roles import OrgKind

    subsequent(sen)
    code = sen.programmes[0].code
    reg = sen.register(9, [code], stage=Stage.SUBSEQUENT, education_level="საბაზო")
    rc = Organisation.objects.filter(kind=OrgKind.RESOURCE_CENTRE).first()
    clerk_b = make_user("clerk-probe", rc, [Role.REGISTRATION_CLERK])
    entries = AuditEntry.objects.count()
    data = {
        "personal_number": PEOPLE[9][0],
        "phone": "+995555188888",
        "programmes": [code],
        "education_level": "საბაზო",
    }
    answers = []
    for pn, document in (
        (PEOPLE[9][0], None),
        (PEOPLE[9][0], "DOC99999"),
        (PEOPLE[9][0], PEOPLE[10][1]),
        ("01999999999", "DOC00009"),  # no such person in the registry
    ):
        extra = {} if document is None else {"document_number": document}
        with pytest.raises(ValidationError) as e:
            services.register_subsequent(
                clerk_b, {**data, "personal_number": pn, **extra}, sen.round
            )
        assert not isinstance(e.value, services.ChangeToConfirm)
        assert "document_number" in e.value.message_dict
        assert reg.number not in str(e.value) and reg.centre.name_ka not in str(e.value)
        answers.append(e.value.message_dict["document_number"])
    assert answers[1] == answers[2] == answers[3]  # wrong or unknown: the same answer
    reg.refresh_from_db()
    assert (reg.version, reg.phone) == (1, "+995555100009")
    assert AuditEntry.objects.count() == entries
    sign_in(client, clerk_b)
    post = {
        "personal_number": PEOPLE[9][0],
        "document_number": "DOC99999",
        "phone": "+995555188888",
        "programme_1": code,
        "education_level": "საბაზო",
    }
    r = client.post("/staff/sen/register/subsequent/", post)
    page = r.content.decode()
    assert r.status_code == 200 and 'id="confirm-change"' not in page
    assert reg.number not in page and 'value="+995555188888"' in page  # the input is kept
    assert 'id="error-summary"' in page and "პირადობის მოწმობის" in page
    r = client.get("/staff/sen/register/subsequent/")
    assert 'name="document_number"' in r.content.decode()  # the centre asks for the ID card
    with pytest.raises(services.ChangeToConfirm):  # with the card: the change is confirmed
        services.register_subsequent(clerk_b, {**data, "document_number": PEOPLE[9][1]}, sen.round)


def test_a39_2_a_reassigned_applicant_is_acquainted_only_by_the_new_host(client, sen):
    """An amending act moves regs[1] to college-b: college-a acquaints only regs[0], never
    tells regs[1] of college-a, and shows regs[1] as reassigned, without the name."""
    regs, inst_a, act = hosted(sen)
    inst_b = sen.world["inst_b"]
    amend = services.issue_hosts_act(
        sen.officer,
        sen.round,
        Stage.PRIMARY,
        number="ც-შესწ-9",
        issued_on=TODAY,
        hosts=[inst_a, inst_b],
        assignments={regs[1]: inst_b},
    )
    sign_in(client, sen.admin)
    page = client.get("/staff/sen/host/").content.decode()
    with translation.override("ka"):
        moved = _("reassigned by act № %(n)s") % {"n": amend.number}
    assert html.escape(moved) in page and regs[1].applicant.full_name not in page
    assert regs[0].applicant.full_name in page
    assert services.acquaint_applicants(sen.admin, inst_a, act) == 1
    assert not Message.objects.filter(to=regs[1].phone, body__contains=act.number).exists()
    assert HostAssignment.objects.get(act=act, registration=regs[1]).informed_at is None
    admin_b = sen.world["admin_b"]
    assert services.acquaint_applicants(admin_b, inst_b, amend) == 1
    sms = Message.objects.get(to=regs[1].phone, body__contains=amend.number)
    assert inst_b.organisation.name_ka in sms.body and inst_a.organisation.name_ka not in sms.body


def test_a39_2_an_email_only_applicant_is_acquainted_by_email(sen, mailoutbox):
    subsequent(sen)
    reg = sen.register(
        9, [sen.programmes[0].code], stage=Stage.SUBSEQUENT, phone="", education_level="x"
    )
    sen.schedule(opens=-10, closes=-1, test=(0, 0), stage=Stage.SUBSEQUENT)
    inst = sen.world["inst_a"]
    act = sen.hosts({reg: inst}, stage=Stage.SUBSEQUENT)
    mailoutbox.clear()
    assert services.acquaint_applicants(sen.admin, inst, act) == 1
    assert any(reg.email in m.to and act.number in m.body for m in mailoutbox)
    assert not Message.objects.filter(body__contains=act.number, to="").exists()


def test_a39_1_the_act_number_is_unique_within_a_round_not_for_ever(sen):
    from django.db import IntegrityError, transaction

    from kari.rounds.models import Round
    from tests.factories import round_dates

    regs, inst, act = hosted(sen, 1)
    other = Round.objects.create(
        **{**round_dates(), "year": sen.round.year + 1, "season": sen.round.season}
    )
    fields = dict(
        stage=Stage.PRIMARY,
        number=act.number,
        issued_on=TODAY,
        due=TODAY,
        recorded_by=sen.officer,
        recorded_at=act.recorded_at,
    )
    HostsAct.objects.create(round=other, **fields)  # next year's act may reuse the number
    with pytest.raises(IntegrityError), transaction.atomic():
        HostsAct.objects.create(round=sen.round, **fields)


def test_a39_1_the_act_refuses_a_rejected_applicant_and_a_dropped_host(sen):
    """A37.11: a rejected applicant is not distributed; a host dropped from the list while it
    still has applicants: they must be reassigned."""
    regs, inst_a, act = hosted(sen, 2)
    inst_b = sen.world["inst_b"]
    SenRegistration.objects.filter(pk=regs[1].pk).update(status="rejected")  # A37.11
    with pytest.raises(ValidationError) as e:
        services.issue_hosts_act(
            sen.officer,
            sen.round,
            Stage.PRIMARY,
            number="ც-r",
            issued_on=TODAY,
            hosts=[inst_a, inst_b],
            assignments={regs[1]: inst_b},
        )
    assert _("%(number)s: the SEN status was rejected (A37.11).") % {
        "number": regs[1].number
    } in str(e.value)
    with pytest.raises(ValidationError) as e:  # college-a dropped, regs[0] still there
        services.issue_hosts_act(
            sen.officer,
            sen.round,
            Stage.PRIMARY,
            number="ც-o",
            issued_on=TODAY,
            hosts=[inst_b],
            assignments={},
        )
    assert _("%(numbers)s: their centre is not in the act's list of hosts; reassign them.") % {
        "numbers": regs[0].number
    } in str(e.value)
    assert HostsAct.objects.count() == 1


def test_a39_1_the_act_for_the_subsequent_stage_on_the_ministry_page(client, sen):
    subsequent(sen)
    reg = sen.register(10, [sen.programmes[0].code], stage=Stage.SUBSEQUENT, education_level="x")
    sen.schedule(opens=-10, closes=-1, test=(0, 0), stage=Stage.SUBSEQUENT)
    inst = sen.world["inst_a"]
    sign_in(client, sen.officer)
    url = "/staff/sen/ministry/hosts/?stage=subsequent"
    assert reg.number in client.get(url).content.decode()
    post = {
        "number": "ც-S1",
        "issued_on": TODAY.isoformat(),
        "hosts": [str(inst.pk)],
        f"host_{reg.pk}": str(inst.pk),
        "confirm": "1",
    }
    assert client.post(url, post).status_code == 302
    act = HostsAct.objects.get(number="ც-S1")
    assert act.stage == Stage.SUBSEQUENT
    reg.refresh_from_db()
    assert (reg.host, reg.host_act) == (inst, act)


def test_a40_4_the_trial_page_warns_without_a_form_or_an_acquaintance(client, sen):
    from kari.sen.models import ScoringActivity, ScoringForm

    regs, inst, act = hosted(sen, 1)
    p = sen.programmes[0]
    sign_in(client, sen.commission_member)
    url = f"/staff/sen/host/{regs[0].pk}/trial/{p.code}/"
    page = client.get(url).content.decode()
    assert 'id="not-acquainted"' in page and "<form method" in page  # a warning, not a refusal
    services.acquaint_applicants(sen.admin, inst, act)
    assert 'id="not-acquainted"' not in client.get(url).content.decode()
    ScoringActivity.objects.filter(form__programme=p).delete()
    ScoringForm.objects.filter(programme=p).delete()
    page = client.get(url).content.decode()
    assert (
        html.escape(
            _ka(
                "The minister has not set the scoring form for this programme yet (A40.4): the "
                "trial cannot be scored."
            )
        )
        in page
    )
    assert 'name="minutes"' not in page


def test_a40_4_a_trial_after_a_new_form_version_is_scored_on_the_new_version(sen):
    regs, inst, act = hosted(sen, 1)
    p = sen.programmes[0]
    new = services.set_scoring_form(
        sen.officer,
        p,
        act_number="ფ-new",
        issued_on=TODAY,
        activities=[{"name": "ჭურჭლის რეცხვა", "max_score": 7}],
    )
    with pytest.raises(ValidationError):  # the old form's activity is no longer on the form
        services.score_trial(
            sen.commission_member,
            regs[0],
            p,
            scores=[{"activity": "ბოსტნეულის დაჭრა", "score": 5}],
            **TRIAL,
        )
    t = services.score_trial(
        sen.commission_member,
        regs[0],
        p,
        scores=[{"activity": "ჭურჭლის რეცხვა", "score": 7}],
        **TRIAL,
    )
    assert t.form == new and t.scores[0]["max"] == 7


def test_concurrent_acts_and_forms_serialise_on_the_schedule_and_programme_rows(sen):
    """Two acts (or forms) submitted at once: the stage's Schedule row (the programme's row) is
    locked before the earlier act (the last version) is read, so the second waits for the
    first and amends it. Checked on the SQL sent (SQLite has no FOR UPDATE)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kari.sen.models import Schedule, ScoringForm

    if not connection.features.has_select_for_update:
        pytest.skip("FOR UPDATE is a PostgreSQL feature")
    regs = registered(sen, 1)
    schedule, act = Schedule._meta.db_table, HostsAct._meta.db_table
    with CaptureQueriesContext(connection) as q:
        sen.hosts({regs[0]: sen.world["inst_a"]})
    sql = [x["sql"] for x in q.captured_queries]
    lock = next(i for i, s in enumerate(sql) if f'FROM "{schedule}"' in s and "FOR UPDATE" in s)
    read = next(i for i, s in enumerate(sql) if f'FROM "{act}"' in s)
    assert lock < read
    programme, form = sen.programmes[0]._meta.db_table, ScoringForm._meta.db_table
    with CaptureQueriesContext(connection) as q:
        services.set_scoring_form(
            sen.officer,
            sen.programmes[0],
            act_number="ფ-lock",
            issued_on=TODAY,
            activities=[{"name": "x", "max_score": 3}],
        )
    sql = [x["sql"] for x in q.captured_queries]
    lock = next(i for i, s in enumerate(sql) if f'FROM "{programme}"' in s and "FOR UPDATE" in s)
    read = next(i for i, s in enumerate(sql) if f'FROM "{form}"' in s)
    assert lock < read
