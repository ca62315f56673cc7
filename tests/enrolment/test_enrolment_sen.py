"""A41: the enrolment of SEN applicants placed by the minister's published act (A40.9): the
head fixes the documents' deadline within 5 days of the act (A41.1), enrols by act with a
contract (A41.2), and enters the students into the management system within 3 days of the
contract (A41.3). The SEN world and its act come from tests/sen."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kari.accounts.roles import Role
from kari.audit.models import AuditEntry
from kari.enrolment import rules, services
from kari.enrolment.models import Enrolment, ProgrammeTerms, SenTermsAct, Status
from kari.registration.models import Registration
from kari.sen import services as sen_services
from kari.sen.models import Stage
from tests.conftest import make_user, sign_in, system_actor
from tests.sen.conftest import TODAY, cites, days, sen  # noqa: F401 (the SEN world fixture)
from tests.sen.test_sen_services import registered, tried

pytestmark = pytest.mark.django_db


@pytest.fixture
def sen_act(sen, settings, tmp_path):  # noqa: F811
    """Two SEN applicants placed on the first programme by the minister's published act."""
    settings.KARI_MANAGEMENT_SYSTEM = {
        "BACKEND": "kari.management_system.FileManagementSystem",
        "PATH": str(tmp_path / "management-system"),
    }
    regs = registered(sen, 2)
    inst, p = tried(sen, regs)
    sen_services.send_package(sen.commission_member, inst, sen.round, Stage.PRIMARY)
    act = sen_services.distribute(
        sen.distributor, sen.round, "primary", number="N-41", placements=dict.fromkeys(regs, p)
    )
    act = sen_services.issue_act(sen.officer, act)
    return sen, act, inst, p


def test_A41_1_five_day_deadline_from_the_act_with_holidays():
    # Act on Thu 21 May 2026: 5 days is Tue 26 May, Independence Day: Wed 27 May.
    assert rules.sen_terms_by(dt.date(2026, 5, 21)) == dt.date(2026, 5, 27)
    # Act on Thu 26 Feb 2026: 5 days is Tue 3 March, Mother's Day: Wed 4 March.
    assert rules.sen_terms_by(dt.date(2026, 2, 26)) == dt.date(2026, 3, 4)
    # Act on Fri 2 Jan 2026: 5 days is Wed 7 Jan, Christmas Day: Thu 8 Jan.
    assert rules.sen_terms_by(dt.date(2026, 1, 2)) == dt.date(2026, 1, 8)


def test_A41_3_three_day_entry_deadline_from_the_contract_with_holidays():
    # Contract on Sat 23 May 2026: 3 days is Tue 26 May, Independence Day: Wed 27 May.
    assert rules.sen_entry_by(dt.date(2026, 5, 23)) == dt.date(2026, 5, 27)
    # Contract on Thu 21 May 2026: 3 days is Sun 24 May: Mon 25 May.
    assert rules.sen_entry_by(dt.date(2026, 5, 21)) == dt.date(2026, 5, 25)


def test_A41_placements_of_the_published_act_open_exactly_once(sen_act, mailoutbox):
    w, act, inst, p = sen_act
    with pytest.raises(PermissionDenied):
        services.open_from_sen_act(w.admin, act)
    emis = system_actor()
    mailoutbox.clear()
    assert services.open_from_sen_act(emis, act) == 2
    assert services.open_from_sen_act(emis, act) == 0  # again: nothing new
    opened = Enrolment.objects.filter(sen_placement__act=act)
    assert opened.count() == 2 == act.placements.count()
    assert {e.sen_placement.registration.applicant_id for e in opened} == {
        e.applicant_id for e in opened
    }
    # The enrolment hangs on the SEN placement: no general registration is made up for it.
    assert all(e.registration is None for e in opened)
    assert not Registration.objects.filter(applicant__in=[e.applicant for e in opened]).exists()
    assert all(e.programme == p and e.admitted_on == act.issued_on for e in opened)
    assert all(e.status == Status.ADMITTED and e.enrol_by is None for e in opened)
    deadline = rules.sen_terms_by(act.issued_on).strftime("%d.%m.%Y")
    assert len(mailoutbox) == 2 and all(deadline in m.body for m in mailoutbox)
    assert AuditEntry.objects.filter(action="enrolment.open_sen").count() == 1


def test_A41_the_emis_button_opens_the_ranking_and_the_sen_act_placements(
    sen_act, client, monkeypatch
):
    from kari.enrolment import views

    w, act, inst, p = sen_act
    monkeypatch.setattr(views, "_round", lambda: w.round)  # the SEN world's round
    emis = system_actor()
    sign_in(client, make_user("emis-op", emis.organisation, [Role.EMIS_OPERATOR]))
    response = client.post(reverse("enrolment:entries"))
    assert response.status_code == 302 and response.url == reverse("enrolment:entries")
    assert Enrolment.objects.filter(sen_placement__act=act).count() == 2
    client.post(reverse("enrolment:entries"))  # pressed again: nothing opens twice
    assert Enrolment.objects.filter(sen_placement__act=act).count() == 2


def test_A41_an_act_not_yet_issued_opens_nothing(sen_act):
    w, act, inst, p = sen_act
    type(act).objects.filter(pk=act.pk).update(published_at=None, issued_on=None)
    act.refresh_from_db()
    with pytest.raises(ValidationError) as e:
        services.open_from_sen_act(system_actor(), act)
    assert cites(e.value, "A41.1")
    assert not Enrolment.objects.exists()


def test_A41_1_the_head_fixes_the_documents_deadline_within_5_days_a_late_act_is_stamped(
    sen_act, monkeypatch
):
    w, act, inst, p = sen_act
    services.open_from_sen_act(system_actor(), act)
    limit = rules.sen_terms_by(act.issued_on)
    monkeypatch.setattr(services, "_today", lambda: limit)
    with pytest.raises(ValidationError):  # a programme with no list yet needs one
        services.fix_sen_terms(
            w.admin,
            act,
            p,
            submit_until=limit + dt.timedelta(days=7),
            studies_start=days(40),
            act_number="ჩ-1",
            act_date=act.issued_on,
        )
    with pytest.raises(ValidationError) as e:  # A41.2: the day studies begin is needed
        services.fix_sen_terms(
            w.admin,
            act,
            p,
            submit_until=limit + dt.timedelta(days=7),
            documents=["ფოტოსურათი"],
            duration_months=12,
            act_number="ჩ-1",
            act_date=act.issued_on,
        )
    assert "studies_start" in e.value.message_dict and cites(e.value, "A41.2")
    with pytest.raises(ValidationError) as e:  # the head's act is not dated in the future
        services.fix_sen_terms(
            w.admin,
            act,
            p,
            submit_until=limit + dt.timedelta(days=7),
            studies_start=limit + dt.timedelta(days=20),
            documents=["ფოტოსურათი"],
            duration_months=12,
            act_number="H-1",
            act_date=limit + dt.timedelta(days=1),
        )
    assert "act_date" in e.value.message_dict
    n = services.fix_sen_terms(
        w.admin,
        act,
        p,
        submit_until=limit + dt.timedelta(days=7),
        studies_start=limit + dt.timedelta(days=20),
        documents=["პირადობის მოწმობის ასლი", "ფოტოსურათი"],
        duration_months=12,
        act_number="H-1",
        act_date=limit,
    )
    assert n == 2
    assert set(Enrolment.objects.values_list("documents_by", flat=True)) == {
        limit + dt.timedelta(days=7)
    }
    head = SenTermsAct.objects.get(act=act, programme=p)
    assert (head.number, head.issued_on, head.late) == ("H-1", limit, False)
    # After the 5 days the head's act is the head's duty still: taken, stamped late, not refused.
    late_day = limit + dt.timedelta(days=1)
    monkeypatch.setattr(services, "_today", lambda: late_day)
    assert (
        services.fix_sen_terms(
            w.admin,
            act,
            p,
            submit_until=late_day + dt.timedelta(days=7),
            act_number="H-2",
            act_date=late_day,
        )
        == 2
    )
    assert set(Enrolment.objects.values_list("documents_by", flat=True)) == {
        late_day + dt.timedelta(days=7)
    }
    head.refresh_from_db()
    assert (head.number, head.issued_on, head.late) == ("H-2", late_day, True)
    entry = AuditEntry.objects.filter(action="enrolment.sen_terms").order_by("pk").last()
    assert entry.after["late"] is True and entry.after["act_number"] == "H-2"
    assert entry.after["due_by"] == limit.isoformat()


def test_A41_2_A41_3_enrolled_by_act_and_contract_then_entered_and_late_ones_stamped(sen_act):
    w, act, inst, p = sen_act
    services.open_from_sen_act(system_actor(), act)
    services.fix_sen_terms(
        w.admin,
        act,
        p,
        submit_until=days(10),
        studies_start=days(30),
        documents=["ფოტოსურათი"],
        duration_months=12,
        act_number="ჩ-1",
        act_date=act.issued_on,
    )
    services.save_contract_template(w.admin, inst, "1. დაწესებულება ასწავლის პროგრამას.")
    on_time, late = Enrolment.objects.filter(sen_placement__act=act).order_by("pk")
    for e in (on_time, late):
        for doc in p.enrolment_terms.get(round=e.round).documents.all():
            services.mark_document(w.admin, e, doc, received=True)
        e.refresh_from_db()
        assert e.status == Status.DOCUMENTS and e.enrol_by is None  # A41.2: before studies
        services.sign_contract(w.admin, e, funding="voucher")
    services.issue_act(w.admin, inst, w.round)
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.status == late.status == Status.ENROLLED and on_time.act == late.act
    assert on_time.entry_by == rules.sen_entry_by(TODAY)
    week_ago = TODAY - dt.timedelta(days=7)
    Enrolment.objects.filter(pk=late.pk).update(
        contract_signed_on=week_ago, entry_by=rules.sen_entry_by(week_ago)
    )
    assert services.enter_into_management_system(w.admin, inst, w.round) == 2
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.entered_at and not on_time.entry_late
    assert late.entered_at and late.entry_late


def _ready_for_contract(w, act, inst, p, *, studies_start):
    """The act's placements opened, the head's terms fixed, every document received."""
    services.open_from_sen_act(system_actor(), act)
    services.fix_sen_terms(
        w.admin,
        act,
        p,
        submit_until=days(5),
        studies_start=studies_start,
        documents=["ფოტოსურათი"],
        duration_months=12,
        act_number="ჩ-1",
        act_date=act.issued_on,
    )
    services.save_contract_template(w.admin, inst, "1. დაწესებულება ასწავლის პროგრამას.")
    es = list(Enrolment.objects.filter(sen_placement__act=act).order_by("pk"))
    for e in es:
        for doc in p.enrolment_terms.get(round=e.round).documents.all():
            services.mark_document(w.admin, e, doc, received=True)
        e.refresh_from_db()
    return es


def test_A41_2_enrolment_only_before_studies_begin(sen_act, monkeypatch):
    w, act, inst, p = sen_act
    first, second = _ready_for_contract(w, act, inst, p, studies_start=days(20))
    services.sign_contract(w.admin, first, funding="voucher")
    # Studies begin on day 20: a contract on that day, or an act after it, is refused.
    with pytest.raises(ValidationError) as e:
        services.sign_contract(w.admin, second, funding="voucher", signed_on=days(20))
    assert cites(e.value, "A41.2") and days(20).strftime("%d.%m.%Y") in str(e.value)
    monkeypatch.setattr(services, "_today", lambda: days(21))
    with pytest.raises(ValidationError) as e:
        services.issue_act(w.admin, inst, w.round)
    assert cites(e.value, "A41.2")
    first.refresh_from_db()
    assert first.status == Status.DOCUMENTS and first.act is None
    monkeypatch.setattr(services, "_today", lambda: days(19))  # the day before: enrolled
    services.issue_act(w.admin, inst, w.round)
    first.refresh_from_db()
    assert first.status == Status.ENROLLED


def test_A41_2_no_enrolment_until_the_day_studies_begin_is_fixed(sen_act):
    w, act, inst, p = sen_act
    (first, _second) = _ready_for_contract(w, act, inst, p, studies_start=days(20))
    ProgrammeTerms.objects.filter(programme=p).update(studies_start=None)
    with pytest.raises(ValidationError) as e:
        services.sign_contract(w.admin, first, funding="voucher")
    assert cites(e.value, "A41.2")


def test_A41_1_the_heads_page_shows_the_deadline_and_fixes_the_terms(sen_act, client, monkeypatch):
    from kari.enrolment import views

    w, act, inst, p = sen_act
    services.open_from_sen_act(system_actor(), act)
    monkeypatch.setattr(views, "_round", lambda: w.round)  # the SEN world's round
    sign_in(client, w.admin)
    page = client.get(reverse("enrolment:sen"))
    assert page.status_code == 200
    assert rules.sen_terms_by(act.issued_on).strftime("%d.%m.%Y") in page.content.decode()
    url = reverse("enrolment:sen_terms", args=[act.pk, p.code])
    bad = client.post(url, {"submit_until": days(5).isoformat()})
    assert bad.status_code == 200 and b"error-summary" in bad.content
    assert not Enrolment.objects.exclude(documents_by=None).exists()
    ok = client.post(
        url,
        {
            "submit_until": days(5).isoformat(),
            "studies_start": days(25).isoformat(),
            "documents": "ფოტოსურათი",
            "duration_months": "12",
            "act_number": "H-7",
            "act_date": services._today().isoformat(),
        },
    )
    assert ok.status_code == 302 and ok.url == reverse("enrolment:sen")
    assert SenTermsAct.objects.get(act=act, programme=p).number == "H-7"
    assert set(Enrolment.objects.values_list("documents_by", flat=True)) == {days(5)}
    assert ProgrammeTerms.objects.get(programme=p).studies_start == days(25)
    detail = client.get(reverse("enrolment:detail", args=[Enrolment.objects.first().pk]))
    assert days(25).strftime("%d.%m.%Y") in detail.content.decode()
    flags = client.get(reverse("enrolment:sen")).content.decode().count("status flagged")
    SenTermsAct.objects.filter(act=act).update(late=True)  # the head's act was stamped late
    page = client.get(reverse("enrolment:sen")).content.decode()
    assert "H-7" in page and page.count("status flagged") == flags + 1


def test_A35_the_four_stages_registration_assessment_test_enrolment(sen_act):
    """A35 (a)-(d): each applicant of the act went through the SEN registration, the expert
    team's assessment, the practical trial, and is now enrolled at the institution."""
    from kari.sen.models import Assessment, Trial

    w, act, inst, p = sen_act
    services.open_from_sen_act(system_actor(), act)
    for placement in act.placements.select_related("registration"):
        reg = placement.registration
        assert reg.registered_at  # (a) registration
        assert Assessment.objects.filter(  # (b) the assessment and its conclusion
            applicant=reg.applicant, concluded_on__isnull=False
        ).exists()
        trial = Trial.objects.filter(registration=reg, programme=p, sent_on__isnull=False)
        assert trial.exists()  # (c) the practical trial, sent to the ministry
        assert placement.enrolment.programme == p  # (d) enrolment at the institution


def test_A41_the_placed_applicant_without_a_general_registration_finds_the_next_steps(
    sen_act, client, mailoutbox
):
    w, act, inst, p = sen_act
    mailoutbox.clear()
    services.open_from_sen_act(system_actor(), act)
    e = Enrolment.objects.filter(sen_placement__act=act).first()
    assert "/cabinet/enrolment/" in mailoutbox[0].body
    session = client.session
    session["kari_applicant"] = e.applicant_id
    session.save()
    page = client.get(reverse("registration:cabinet")).content.decode()
    assert reverse("enrolment:cabinet") in page
    mine = client.get(reverse("enrolment:cabinet")).content.decode()
    assert p.code in mine
    assert rules.sen_terms_by(act.issued_on).strftime("%d.%m.%Y") in mine  # A41.1's day
