"""The SEN track end to end through its services: exam centres (A39), the practical trial and
the recommendation (A40.1-A40.7), the distribution within the reserved places and the signed
act (A40.8-A40.10), the health data's access, and what the ranking reads (A12.1(a), A26.3)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kari.audit.models import AuditEntry
from kari.sen import selectors, services
from kari.sen.models import Stage, Trial
from tests.sen.conftest import TODAY, cites, days

pytestmark = pytest.mark.django_db

SCORES = [{"activity": "ბოსტნეულის დაჭრა", "score": 8, "max": 10}]


def registered(sen, n=3, code=None):
    """n applicants on the first programme (2 reserved places), then the window closes."""
    sen.schedule()
    code = code or sen.programmes[0].code
    regs = [sen.register(i, [code, sen.programmes[1].code]) for i in range(n)]
    for i in range(n):
        a = sen.conclusion(i, sight=True, environment=["large_print"])
        services.issue_conclusion(sen.experts[0], a)
    sen.schedule(opens=-10, closes=-1, test=(0, 0))
    return regs


def tried(sen, regs):
    inst = sen.world["inst_a"]
    act = sen.hosts(dict.fromkeys(regs, inst))
    services.acquaint_applicants(sen.admin, inst, act)  # A39.2
    services.create_commission(
        sen.admin, inst, sen.round, Stage.PRIMARY, act_number="კ-1", members=[sen.commission_member]
    )
    p = sen.programmes[0]
    for i, r in enumerate(regs):
        services.score_trial(
            sen.commission_member,
            r,
            p,
            tested_on=TODAY,
            minutes=60,
            scores=[{**SCORES[0], "score": 9 - i}],
            recommended=True,
            reasons="მოთხოვნები, ექსპერტთა დასკვნა და აპლიკანტის ინტერესი გათვალისწინებულია.",
            documents_analysis="დოკუმენტები გაანალიზებულია.",
        )
    return inst, p


def test_A39_2_A37_9_A40_10_an_applicant_without_email_is_told_by_sms(sen):
    """The phone is required (A37.4), the email only if there is one: the exam centre (A39.2),
    a status change (A37.9) and the minister's act (A40.10) reach the phone too."""
    from kari.outbox.models import Channel, Message
    from kari.sen.models import Assessment, SenRegistration, SenStatus

    regs = registered(sen, 2)
    SenRegistration.objects.filter(pk__in=[r.pk for r in regs]).update(email="")
    phone = regs[0].phone
    before = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def texts():
        new = Message.objects.filter(pk__gt=before, to=phone)
        assert not new.exclude(channel=Channel.SMS).exists()
        return [m.body for m in new.filter(channel=Channel.SMS).order_by("pk")]

    a = Assessment.objects.filter(applicant=regs[0].applicant).latest("pk")
    services.set_status(sen.officer, regs[0], SenStatus.CONFIRMED, assessment=a)
    assert len(texts()) == 1 and regs[0].number in texts()[0]
    inst, p = tried(sen, regs)
    assert len(texts()) == 2 and inst.organisation.name_ka in texts()[1]
    services.send_package(sen.commission_member, inst, sen.round, Stage.PRIMARY)
    act = services.distribute(
        sen.distributor, sen.round, "primary", number="N-SMS", placements=dict.fromkeys(regs, p)
    )
    services.issue_act(sen.officer, act)
    assert len(texts()) == 3 and "N-SMS" in texts()[2]


def test_A39_1_exam_centres_after_the_window_and_the_applicants_are_told(sen, mailoutbox):
    regs = registered(sen, 1)
    inst = sen.world["inst_a"]
    sen.schedule()  # the window is open again
    with pytest.raises(ValidationError) as e:
        sen.hosts({regs[0]: inst})
    assert cites(e.value, "A39.1")
    sen.schedule(opens=-10, closes=-1, test=(0, 0))
    with pytest.raises(PermissionDenied):
        sen.hosts(actor=sen.admin, assignments={regs[0]: inst})
    mailoutbox.clear()
    act = sen.hosts({regs[0]: inst})
    assert act.number and not act.late
    regs[0].refresh_from_db()
    assert regs[0].host == inst
    assert AuditEntry.objects.filter(action="sen.host").exists()


def test_A33_no_trial_without_the_expert_teams_conclusion(sen):
    sen.schedule()
    reg = sen.register(0, [sen.programmes[0].code])
    sen.schedule(opens=-10, closes=-1, test=(0, 0))
    inst = sen.world["inst_a"]
    sen.hosts({reg: inst})
    services.create_commission(
        sen.admin, inst, sen.round, Stage.PRIMARY, act_number="კ-1", members=[sen.commission_member]
    )

    def score():
        return services.score_trial(
            sen.commission_member,
            reg,
            sen.programmes[0],
            tested_on=TODAY,
            minutes=30,
            scores=SCORES,
            recommended=True,
            reasons="გათვალისწინებულია.",
            documents_analysis="დოკუმენტები გაანალიზებულია.",
        )

    with pytest.raises(ValidationError) as e:
        score()
    assert cites(e.value, "A33") and not Trial.objects.exists()
    # The paper conclusion the institution received, signed by three members, gives the right.
    services.record_document(sen.admin, reg, inst, "conclusion", received_on=TODAY, signatures=3)
    assert score().total == SCORES[0]["score"]


def test_A40_3_only_the_hosts_head_creates_the_commission(sen):
    regs = registered(sen, 1)
    inst = sen.world["inst_a"]
    with pytest.raises(ValidationError):  # not named a host yet
        services.create_commission(
            sen.admin, inst, sen.round, "primary", act_number="1", members=[sen.commission_member]
        )
    sen.hosts({regs[0]: inst})
    with pytest.raises(PermissionDenied):
        services.create_commission(
            sen.world["admin_b"],
            inst,
            sen.round,
            "primary",
            act_number="1",
            members=[sen.commission_member],
        )
    c = services.create_commission(
        sen.admin, inst, sen.round, "primary", act_number="1", members=[sen.commission_member]
    )
    assert list(c.members.all()) == [sen.commission_member]


def test_A40_1_the_trial_lasts_at_most_the_ministers_maximum(sen):
    regs = registered(sen, 1)
    inst = sen.world["inst_a"]
    sen.hosts({regs[0]: inst})
    services.create_commission(
        sen.admin, inst, sen.round, "primary", act_number="1", members=[sen.commission_member]
    )
    kwargs = dict(tested_on=TODAY, scores=SCORES, recommended=True, reasons="მიზეზი")
    with pytest.raises(ValidationError) as e:
        services.score_trial(
            sen.commission_member,
            regs[0],
            sen.programmes[0],
            minutes=121,
            **kwargs,
            documents_analysis="დოკუმენტები გაანალიზებულია.",
        )
    assert "minutes" in e.value.message_dict
    with pytest.raises(ValidationError) as e:  # outside the schedule
        services.score_trial(
            sen.commission_member,
            regs[0],
            sen.programmes[0],
            minutes=60,
            **{**kwargs, "tested_on": days(-3)},
            documents_analysis="დოკუმენტები გაანალიზებულია.",
        )
    assert "tested_on" in e.value.message_dict
    t = services.score_trial(
        sen.commission_member,
        regs[0],
        sen.programmes[0],
        minutes=120,
        **kwargs,
        documents_analysis="დოკუმენტები გაანალიზებულია.",
    )
    assert t.total == 8


def test_A40_4_A40_5_every_activity_scored_and_the_reasons_given(sen):
    regs = registered(sen, 1)
    inst = sen.world["inst_a"]
    sen.hosts({regs[0]: inst})
    services.create_commission(
        sen.admin, inst, sen.round, "primary", act_number="1", members=[sen.commission_member]
    )
    with pytest.raises(ValidationError) as e:
        services.score_trial(
            sen.commission_member,
            regs[0],
            sen.programmes[0],
            tested_on=TODAY,
            minutes=30,
            scores=[{"activity": "x", "score": 11, "max": 10}],
            recommended=True,
            reasons="",
            documents_analysis="დოკუმენტები გაანალიზებულია.",
        )
    assert {"scores", "reasons"} <= set(e.value.message_dict)
    with pytest.raises(ValidationError):  # a programme the applicant did not choose
        services.score_trial(
            sen.commission_member,
            regs[0],
            sen.programmes[2],
            tested_on=TODAY,
            minutes=30,
            scores=SCORES,
            recommended=True,
            reasons="x",
            documents_analysis="დოკუმენტები გაანალიზებულია.",
        )


def test_A40_6_with_more_registrants_than_reserved_places_the_recommendation_shows_times(sen):
    regs = registered(sen, 3)
    inst, p = tried(sen, regs)
    crowd = selectors.oversubscription(sen.round, Stage.PRIMARY)[p.pk]
    assert (crowd.registrants, crowd.reserved, crowd.oversubscribed) == (3, 2, True)
    assert all(t.registration_time_considered for t in Trial.objects.filter(programme=p))
    (rec,) = [
        r for r in selectors.recommendations(sen.round, Stage.PRIMARY) if r.crowding.programme == p
    ]
    assert [row.registration for row in rec.rows] == regs  # in registration order
    for row in rec.rows:
        assert len(row.registration_time) == len("03.09 14:05:09")
        assert row.trial.reasons  # the commission's reasons
    # A programme chosen by as many as it reserves (all three chose the second): within its
    # reserve, so no registration time to weigh.
    from kari.catalogue.models import AnnouncementLine

    AnnouncementLine.objects.filter(programme=sen.programmes[1]).update(sen_places=3)
    roomy = selectors.oversubscription(sen.round, Stage.PRIMARY)[sen.programmes[1].pk]
    assert (roomy.registrants, roomy.reserved, roomy.oversubscribed) == (3, 3, False)
    AnnouncementLine.objects.filter(programme=sen.programmes[1]).update(sen_places=2)
    crowded = selectors.oversubscription(sen.round, Stage.PRIMARY)[sen.programmes[1].pk]
    assert crowded.oversubscribed  # one place fewer: the times are weighed


def test_A40_7_the_package_reaches_the_ministry_and_a_late_one_is_flagged(sen, monkeypatch):
    regs = registered(sen, 1)
    inst, _ = tried(sen, regs)
    monkeypatch.setattr(services, "_today", lambda: days(10))
    assert services.send_package(sen.commission_member, inst, sen.round, Stage.PRIMARY) == 1
    entry = AuditEntry.objects.filter(action="sen.package_sent").latest("seq")
    assert entry.after["late"] is True
    with pytest.raises(ValidationError):  # nothing left to send
        services.send_package(sen.commission_member, inst, sen.round, Stage.PRIMARY)


def test_A40_7_the_documents_analysis_goes_with_the_scores_and_the_recommendation(sen):
    from kari.sen.forms import TrialForm

    regs = registered(sen, 1)
    inst, p = tried(sen, regs)
    trial = dict(
        tested_on=TODAY,
        minutes=60,
        scores=SCORES,
        recommended=True,
        reasons="მოთხოვნები, ექსპერტთა დასკვნა და აპლიკანტის ინტერესი გათვალისწინებულია.",
    )
    with pytest.raises(ValidationError) as e:
        services.score_trial(sen.commission_member, regs[0], p, **trial, documents_analysis=" ")
    assert "documents_analysis" in e.value.message_dict
    services.score_trial(
        sen.commission_member,
        regs[0],
        p,
        **trial,
        documents_analysis="დასკვნა ხელმოწერილია სამი წევრის მიერ; ცნობა წარმოდგენილია.",
    )
    assert services.send_package(sen.commission_member, inst, sen.round, Stage.PRIMARY) == 1
    (rec,) = [
        r for r in selectors.recommendations(sen.round, Stage.PRIMARY) if r.crowding.programme == p
    ]
    (row,) = rec.rows
    assert row.trial.sent_on and row.trial.documents_analysis.startswith("დასკვნა ხელმოწერილია")
    form = TrialForm({"tested_on": TODAY, "minutes": 60, "recommended": "1", "reasons": "x"})
    assert not form.is_valid() and "documents_analysis" in form.errors


def test_A40_8_distribution_within_the_reserved_places_and_the_7_day_deadline(sen):
    regs = registered(sen, 3)
    inst, p = tried(sen, regs)
    with pytest.raises(ValidationError):  # no package reached the ministry
        services.distribute(sen.distributor, sen.round, "primary", number="1", placements={})
    services.send_package(sen.commission_member, inst, sen.round, Stage.PRIMARY)
    with pytest.raises(ValidationError) as e:
        services.distribute(
            sen.distributor, sen.round, "primary", number="N-1", placements=dict.fromkeys(regs, p)
        )
    assert cites(e.value, "A40.8")
    with pytest.raises(PermissionDenied):
        services.distribute(
            sen.officer, sen.round, "primary", number="N-1", placements={regs[0]: p}
        )
    act = services.distribute(
        sen.distributor, sen.round, "primary", number="N-1", placements={regs[0]: p, regs[1]: p}
    )
    assert act.due == services.rules.distribution_due(TODAY)
    assert act.placements.count() == 2


def test_A40_9_A40_10_the_act_is_signed_by_the_ministry_and_published(sen, mailoutbox):
    from kari.accounts.signing import signing_body, verify_document

    regs = registered(sen, 2)
    inst, p = tried(sen, regs)
    services.send_package(sen.commission_member, inst, sen.round, Stage.PRIMARY)
    act = services.distribute(
        sen.distributor, sen.round, "primary", number="N-2", placements=dict.fromkeys(regs, p)
    )
    assert selectors.enrolled(sen.round) == {}  # not yet issued
    with pytest.raises(PermissionDenied):
        services.issue_act(sen.distributor, act)
    mailoutbox.clear()
    act = services.issue_act(sen.officer, act)
    assert act.published_at and act.pdf.startswith(b"%PDF-")
    result = verify_document(bytes(act.pdf))
    assert signing_body(result) == sen.officer.organisation
    assert selectors.enrolled(sen.round) == {p.pk: 2}
    assert selectors.placed_applicants(sen.round) == {r.applicant_id for r in regs}
    with pytest.raises(ValidationError):
        services.issue_act(sen.officer, act)
    # The public text names no diagnosis and masks the personal number.
    import io

    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(act.pdf))).pages)
    assert regs[0].applicant.personal_number not in text
    assert regs[0].applicant.personal_number[-3:] in text
    assert "მინისტრ" in text


def test_health_data_only_for_the_roles_the_rules_name_and_every_view_audited(sen):
    regs = registered(sen, 1)
    reg = regs[0]
    inst_a, inst_b = sen.world["inst_a"], sen.world["inst_b"]
    before = AuditEntry.objects.filter(action="sen.health_viewed").count()
    record = selectors.health_record(sen.admin, reg, inst_a)  # the institution chosen
    assert record.conclusion.sight
    selectors.health_record(sen.officer, reg, None)  # the ministry's unit (A37.11)
    selectors.health_record(sen.experts[1], reg, None)  # the team that wrote it
    assert AuditEntry.objects.filter(action="sen.health_viewed").count() == before + 3
    from kari.sen.models import Assessment

    a = Assessment.objects.get(applicant=reg.applicant)
    selectors.own_conclusion(sen.experts[1], a)  # the team's own page of the conclusion
    assert AuditEntry.objects.filter(action="sen.health_viewed").count() == before + 4
    with pytest.raises(PermissionDenied):
        selectors.own_conclusion(sen.admin, a)
    with pytest.raises(PermissionDenied):
        selectors.health_record(sen.world["admin_b"], reg, inst_b)  # not chosen, not hosting
    with pytest.raises(PermissionDenied):
        selectors.health_record(sen.clerk, reg, None)  # the registration clerk
    from kari.accounts.roles import Role

    with pytest.raises(PermissionDenied):
        selectors.health_record(sen.world["users"][Role.EMIS_OPERATOR], reg, None)
    # No health data in the audit log's entries about it.
    for e in AuditEntry.objects.filter(object_type="sen.assessment"):
        assert "findings" not in str(e.after) and "ფუნქციური" not in str(e.after)


def test_health_data_is_erased_after_the_retention_period(sen, settings):
    from kari.sen.models import Assessment

    regs = registered(sen, 1)
    services.record_document(
        sen.admin, regs[0], sen.world["inst_a"], "conclusion", received_on=TODAY, signatures=3
    )
    settings.KARI_SEN_RETENTION_DAYS = 30
    r = sen.round
    assert services.purge_health_data() == 0  # the round is running
    later = dt.datetime.combine(r.enrolment_ends + dt.timedelta(days=31), dt.time(12))
    from django.utils import timezone

    assert services.purge_health_data(timezone.make_aware(later)) == 2
    a = Assessment.objects.get(applicant=regs[0].applicant)
    assert a.findings == "" and not a.sight and a.purged_at
    assert not regs[0].documents.exists()


def test_A12_1_a_A26_3_unused_reserved_places_reach_the_general_ranking_and_nobody_twice(
    sen, settings, tmp_path
):
    from kari.catalogue.models import AnnouncementLine
    from kari.ranking import inputs
    from kari.ranking.models import ProgrammeOutcome
    from tests.ranking.conftest import RoundBuilder, outcome

    regs = registered(sen, 1)
    inst, p = tried(sen, regs)
    services.send_package(sen.commission_member, inst, sen.round, Stage.PRIMARY)
    act = services.distribute(
        sen.distributor, sen.round, "primary", number="N-3", placements={regs[0]: p}
    )
    services.issue_act(sen.officer, act)
    rb = RoundBuilder(sen.world)
    rb.programme = rb.programme  # the builder's programmes are its own
    q = rb.programme("RK-1", 6)
    AnnouncementLine.objects.filter(programme=q).update(sen_places=2)
    general = [rb.applicant(30 - i, [q]) for i in range(6)]
    # The SEN applicant placed on p also registered on the general track, for q, top score.
    from kari.registration.models import Choice, Registration

    twice = general[0]
    Registration.objects.filter(pk=twice.pk).update(applicant=regs[0].applicant)
    assert inputs.sen_enrolled(sen.round) == {p.pk: 1}
    assert twice.pk not in inputs.scores(sen.round)
    ranking = rb.rank()
    # q reserved 2 SEN places; nobody was placed there by the act: all 6 places are ranked.
    assert ProgrammeOutcome.objects.get(ranking=ranking, programme=q).places == 6
    assert twice.pk not in outcome(ranking)
    assert set(outcome(ranking)) == {r.pk for r in general[1:]}
    assert Choice.objects.filter(registration=twice).exists()
