"""A27.7-A27.8: the institution's subsequent-stage ranking document, checked by EMIS."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from kari.errors import RuleError
from kari.ranking.models import RankingStatus
from kari.ranking.services import subsequent
from kari.tabular import ImportRejected


def _scores(rb, progs, regs, values):
    rows = [
        {"registration": r.pk, "programme": progs[0].pk, "score": v}
        for r, v in zip(regs, values, strict=True)
    ] + [{"registration": r.pk, "programme": progs[1].pk, "score": "10"} for r in regs]
    return subsequent.enter_scores(rb.admin, rb.inst, rb.round, rows)


def test_A27_7_the_head_builds_by_score_with_ties_and_emis_agrees_then_the_act(stage):
    rb, (s1, s2), regs = stage
    _scores(rb, [s1, s2], regs, ["30", "25", "25", "12", "5"])
    ranking = subsequent.build_subsequent(rb.admin, rb.inst, rb.round)
    got = {a.registration_id: (a.programme_id, a.by_tie_rule) for a in ranking.admissions.all()}
    # S-1 has 2 places: 30, then 25 and 25 tied at the cut-off (A27.9: both admitted)
    assert {r for r, (p, _t) in got.items() if p == s1.pk} == {regs[0].pk, regs[1].pk, regs[2].pk}
    assert got[regs[1].pk][1] and got[regs[2].pk][1] and not got[regs[0].pk][1]
    # the others go to S-2, all tied at 10 (2 places, 2 applicants)
    assert {r for r, (p, _t) in got.items() if p == s2.pk} == {regs[3].pk, regs[4].pk}
    assert ranking.programmes.get(programme=s1).extra_places == 1
    assert subsequent.check_document(ranking) == []
    with pytest.raises(RuleError, match="27.7"):
        subsequent.approve_subsequent(rb.admin, ranking, act_number="1", act_date=dt.date.today())
    ranking = subsequent.submit_subsequent(rb.admin, ranking)
    assert subsequent.review_due(ranking) >= timezone.localdate() + dt.timedelta(days=5)
    with pytest.raises(PermissionDenied):
        subsequent.review_subsequent(rb.admin, ranking, agree=True)
    ranking = subsequent.review_subsequent(rb.emis, ranking, agree=True)
    assert ranking.status == RankingStatus.AGREED
    ranking = subsequent.approve_subsequent(
        rb.admin, ranking, act_number="01-17/5", act_date=timezone.localdate()
    )
    assert (ranking.status, ranking.act_number) == (RankingStatus.APPROVED, "01-17/5")


def test_A27_7_only_the_stages_registrants_are_ranked(stage, make_reg):
    rb, (s1, s2), regs = stage
    primary = make_reg(rb.round, 900, [])  # a primary-stage applicant, not a registrant here
    with pytest.raises(ImportRejected) as exc:
        subsequent.enter_scores(
            rb.admin,
            rb.inst,
            rb.round,
            [
                {"registration": regs[0].pk, "programme": s1.pk, "score": "20"},
                {"registration": primary.pk, "programme": s1.pk, "score": "29"},
            ],
        )
    assert [(e.line, e.field) for e in exc.value.errors] == [(2, "registration")]
    from kari.ranking.models import SubsequentScore

    assert not SubsequentScore.objects.exists()  # all or nothing


def test_A27_7_emis_returns_with_reasons_and_a_changed_score_fails_the_check(stage):
    from kari.ranking.models import SubsequentScore

    rb, progs, regs = stage
    _scores(rb, progs, regs, ["30", "25", "20", "12", "5"])
    ranking = subsequent.submit_subsequent(
        rb.admin, subsequent.build_subsequent(rb.admin, rb.inst, rb.round)
    )
    with pytest.raises(RuleError, match="reasons"):
        subsequent.review_subsequent(rb.emis, ranking, agree=False)
    ranking = subsequent.review_subsequent(
        rb.emis, ranking, agree=False, reasons="The act's number is missing."
    )
    assert ranking.status == RankingStatus.RETURNED
    # the scores change behind the document's back: EMIS's automatic check refuses consent
    ranking = subsequent.submit_subsequent(rb.admin, ranking)
    SubsequentScore.objects.filter(registration=regs[4], programme=progs[0]).update(
        score=Decimal("40")
    )
    with translation.override("en"):
        problems = subsequent.check_document(ranking)
    assert any("The scores changed" in p for p in problems)
    with pytest.raises(RuleError, match="27.7"):
        subsequent.review_subsequent(rb.emis, ranking, agree=True)


def test_A27_7_the_document_is_due_10_days_after_the_stages_test(stage):
    from kari import workdays

    rb, progs, regs = stage
    due = subsequent.submission_due(rb.inst, rb.round)
    assert due == workdays.within_days(timezone.localdate() - dt.timedelta(days=2), 10)


def test_A13_2_A40_8_subsequent_places_net_of_the_sen_act_and_those_placed_not_ranked(
    stage, monkeypatch
):
    """The SEN reserve is on both stages (A13.2): the minister's act for the subsequent stage
    places SEN applicants within the places (A40.8), so the head's ranking has the places net
    of them, and an applicant the act placed is not ranked again."""
    rb, (s1, s2), regs = stage
    _scores(rb, [s1, s2], regs, ["30", "25", "20", "12", "5"])
    seen = []

    def enrolled(round_, stage):
        seen.append(stage)
        return {s1.pk: 1}

    monkeypatch.setattr(subsequent.sen, "enrolled", enrolled)
    monkeypatch.setattr(
        subsequent.sen, "placed_applicants", lambda round_, stage: {regs[0].applicant_id}
    )
    ranking = subsequent.build_subsequent(rb.admin, rb.inst, rb.round)
    got = {a.registration_id: a.programme_id for a in ranking.admissions.all()}
    assert seen == ["subsequent"]
    assert regs[0].pk not in got  # placed by the SEN act
    # S-1: 2 announced places, 1 taken by the act: only the best remaining score (25)
    assert {r for r, p in got.items() if p == s1.pk} == {regs[1].pk}
    assert ranking.programmes.get(programme=s1).places == 1


def test_A27_8_the_document_names_the_institutions_head_not_whoever_approved(stage, monkeypatch):
    """A27.8: the document carries the head's seal and signature: the head recorded for the
    institution is named, even when an institution admin records the act for the head."""
    rb, progs, regs = stage
    rb.inst.heads = [{"name": "თამარ გელაშვილი", "phone": "+995 599 11 22 33"}]
    rb.inst.save(update_fields=["heads"])
    _scores(rb, progs, regs, ["30", "25", "20", "12", "5"])
    ranking = subsequent.submit_subsequent(
        rb.admin, subsequent.build_subsequent(rb.admin, rb.inst, rb.round)
    )
    ranking = subsequent.review_subsequent(rb.emis, ranking, agree=True)
    heads = []
    real = subsequent.docs.render_subsequent
    monkeypatch.setattr(
        subsequent.docs, "render_subsequent", lambda sheet: heads.append(sheet.head) or real(sheet)
    )
    subsequent.approve_subsequent(
        rb.admin, ranking, act_number="01-17/6", act_date=timezone.localdate()
    )
    assert heads and set(heads) == {"თამარ გელაშვილი"}
