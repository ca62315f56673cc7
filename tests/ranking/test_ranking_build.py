import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from kari.errors import RuleError
from kari.ranking import services
from kari.ranking.models import FinalLists, ProgrammeOutcome, RankingStatus
from tests.ranking.conftest import outcome


def test_A27_2_ranking_by_places_and_scores(rb):
    p, q = rb.programme("P-1", 5), rb.programme("P-2", 5)
    regs = [rb.applicant(30 - i, [p, q]) for i in range(7)]
    ranking = rb.rank()
    got = outcome(ranking)
    assert {r.pk for r in regs[:5]} == {k for k, v in got.items() if v[0] == "P-1"}
    assert {regs[5].pk, regs[6].pk} == {k for k, v in got.items() if v[0] == "P-2"}
    po = ProgrammeOutcome.objects.get(ranking=ranking, programme=p)
    assert (po.admitted, po.cutoff, po.extra_places) == (5, Decimal("26"), 0)
    expl = ranking.explanations.get(registration=regs[6])
    assert expl.choice == 2
    assert expl.items == [
        {"choice": 1, "programme": "P-1", "reason": "below_cutoff", "cutoff": "26", "score": "24"}
    ]


def test_A27_9_tie_at_cutoff_admits_all_and_records_extra_places(rb):
    p = rb.programme("P-1", 5)
    top = [rb.applicant(30 - i, [p]) for i in range(4)]
    tied = [rb.applicant(20, [p]) for _ in range(3)]
    below = rb.applicant(19, [p])
    ranking = rb.rank()
    got = outcome(ranking)
    assert set(got) == {r.pk for r in top + tied}
    assert all(got[r.pk][1] for r in tied) and not any(got[r.pk][1] for r in top)
    assert below.pk not in got
    po = ProgrammeOutcome.objects.get(ranking=ranking, programme=p)
    assert (po.admitted, po.extra_places, po.cutoff) == (7, 2, Decimal("20"))


def test_A26_1_absent_not_finished_and_removed_applicants_are_not_ranked(rb):
    p = rb.programme("P-1", 5)
    ok = rb.applicant(10, [p])
    absent = rb.applicant(None, [p], status="absent")
    removed = rb.applicant(None, [p], status="removed")
    unfinished = rb.applicant(None, [p], status="not_finished")
    ranking = rb.rank()
    assert set(outcome(ranking)) == {ok.pk}
    doc = services.document_of(FinalLists.objects.get())
    assert [a["registration"] for a in doc["applicants"]] == [ok.pk]
    assert doc["excluded"] == {"absent": 1, "not_finished": 1, "removed": 1, "none": 0}
    assert not ranking.explanations.filter(registration__in=[absent, removed, unfinished]).exists()


def test_A26_3_final_lists_frozen_once_the_window_closed_with_checksum(rb):
    import gzip
    import hashlib

    p = rb.programme("P-1", 5)
    rb.applicant(10, [p])
    rb.publish_results()
    r = rb.round
    r.reranking_closes = timezone.localdate()
    r.save()
    with pytest.raises(RuleError, match="26.3"):
        services.freeze_final_lists(rb.emis, r)
    after = r.reranking_closes + dt.timedelta(1)
    lists = services.freeze_final_lists(rb.emis, r, today=after)
    raw = gzip.decompress(bytes(lists.document))
    assert hashlib.sha256(raw).hexdigest() == lists.checksum
    assert json.loads(raw)["programmes"][0] == {
        "code": "P-1",
        "institution": "college-a",
        "kind": "ordinary",
        "places": 5,
        "sen_enrolled": 0,
        "capacity": 5,
        "annual_limit": 5,
        "competition_held": False,
    }
    again = services.freeze_final_lists(rb.emis, r, today=after)
    lists.refresh_from_db()
    assert not lists.current and again.current and again.number == 2
    assert again.checksum == lists.checksum


def test_A26_3_places_are_net_of_sen_enrolments(rb, monkeypatch):
    from kari.ranking import inputs

    p = rb.programme("P-1", 6)
    regs = [rb.applicant(30 - i, [p]) for i in range(6)]
    monkeypatch.setattr(inputs, "sen_enrolled", lambda round_: {p.pk: 2})
    ranking = rb.rank()
    assert set(outcome(ranking)) == {r.pk for r in regs[:4]}
    assert ProgrammeOutcome.objects.get(ranking=ranking).places == 4


def test_A27_3_art_programme_with_a_competition_ranks_test_and_competition(rb):
    art = rb.programme("ART-1", 5, kind="art")
    low_test = rb.applicant(10, [art])
    high_test = rb.applicant(20, [art])
    no_result = rb.applicant(30, [art])
    rb.competition(art, low_test, Decimal("25"))
    rb.competition(art, high_test, Decimal("5"))
    ranking = rb.rank()
    scores = {a.registration_id: a.score for a in ranking.admissions.all()}
    assert scores == {low_test.pk: Decimal("35"), high_test.pk: Decimal("25")}
    expl = ranking.explanations.get(registration=no_result)
    assert expl.items == [{"choice": 1, "programme": "ART-1", "reason": "no_competition_result"}]


def test_A27_3_art_programme_without_a_competition_ranks_the_test(rb):
    art = rb.programme("ART-1", 5, kind="art")
    reg = rb.applicant(12, [art])
    ranking = rb.rank()
    assert ranking.admissions.get().score == Decimal("12")
    assert ranking.admissions.get().registration == reg


def test_A27_4_work_based_ranked_by_competition_only(rb):
    wb = rb.programme("WB-1", 5, kind="work_based")
    best_test = rb.applicant(30, [wb])
    best_comp = rb.applicant(1, [wb])
    none = rb.applicant(29, [wb])
    rb.competition(wb, best_test, Decimal("10"))
    rb.competition(wb, best_comp, Decimal("90"))
    rb.programme("P-9", 5)
    ranking = rb.rank()
    scores = {a.registration_id: a.score for a in ranking.admissions.all()}
    assert scores == {best_test.pk: Decimal("10"), best_comp.pk: Decimal("90")}
    assert ranking.explanations.get(registration=none).items[0]["reason"] == (
        "no_competition_result"
    )


def test_A10_2_no_minimum_on_work_based_programmes(rb):
    wb = rb.programme("WB-1", 5, kind="work_based")
    p = rb.programme("P-1", 5)
    reg = rb.applicant(3, [p, wb])
    rb.competition(wb, reg, Decimal("40"))
    services.record_formula(
        rb.naec, rb.round, {"act_number": "N-1", "act_date": dt.date(2026, 1, 1), "minimum": 5}
    )
    ranking = rb.rank()
    assert outcome(ranking) == {reg.pk: ("WB-1", False)}
    assert ranking.explanations.get(registration=reg).items == [
        {"choice": 1, "programme": "P-1", "reason": "below_minimum"}
    ]


def _carried(rb, p, scores, *, retakes_test=False):
    """A registration of ``rb.round`` carrying ``scores`` from the preceding round (A28.1)."""
    from kari.registration.carried import previous_round_key
    from kari.registration.models import ScoreRecord
    from tests.ranking.conftest import make_registration

    rb.n += 1
    reg = make_registration(rb.round, rb.n, [p], carried_over=True, retakes_test=retakes_test)
    year, season = previous_round_key(rb.round.year, rb.round.season)
    reg.carried_from = ScoreRecord.objects.create(
        personal_number=reg.applicant.personal_number,
        year=year,
        season=season,
        skills_test=p.skills_test,
        subject_group=p.subject_group,
        scores=scores,
        admitted=False,
        source="import",
        recorded_at=timezone.now(),
    )
    reg.save(update_fields=["carried_from"])
    return reg


def test_A28_1_carried_over_applicant_is_ranked_on_the_carried_score(rb):
    p = rb.programme("P-1", 5)
    reg = _carried(rb, p, {"skills_score": "21", "georgian": "6"})
    ranking = rb.rank()
    adm = ranking.admissions.get()
    assert (adm.registration, adm.score) == (reg, Decimal("27"))
    doc = services.document_of(FinalLists.objects.get())
    assert doc["applicants"][0]["carried_over"] is True
    assert doc["applicants"][0]["test_score"] == "27"


def test_A28_5_a_carrying_retaker_who_was_absent_keeps_the_carried_score(rb):
    p = rb.programme("P-1", 5)
    reg = _carried(rb, p, {"skills_score": "19"}, retakes_test=True)
    rb._results.append((reg, "absent", None))
    ranking = rb.rank()
    assert ranking.admissions.get(registration=reg).score == Decimal("19")


def test_A28_5_a_carrying_retaker_who_sat_is_judged_by_the_new_result(rb):
    p = rb.programme("P-1", 5)
    reg = _carried(rb, p, {"skills_score": "29"}, retakes_test=True)
    rb._results.append((reg, "completed", 11))
    ranking = rb.rank()
    assert ranking.admissions.get(registration=reg).score == Decimal("11")


def test_A25_4_an_appeal_zero_score_is_applied_by_the_ranking(rb, monkeypatch):
    """The ranking reads the results through kari.appeals.effective_results: a zero of
    A25.4(a) (an override, never an edit of NAEC's import) takes the applicant's place."""
    from kari.appeals.results import EffectiveResult
    from kari.ranking import inputs

    p = rb.programme("P-1", 1)
    zeroed, other = rb.applicant(30, [p]), rb.applicant(10, [p])
    real = inputs.effective_results

    def with_zero(round_):
        out = real(round_)
        r = out[zeroed.pk]
        out[zeroed.pk] = EffectiveResult(r.registration_id, r.status, Decimal(0), {})
        return out

    monkeypatch.setattr(inputs, "effective_results", with_zero)
    ranking = rb.rank()
    assert outcome(ranking) == {other.pk: ("P-1", False)}
    assert ranking.explanations.get(registration=zeroed).items[0]["reason"] == "below_cutoff"


def test_A28_5_a_retaken_test_counts_even_if_lower(rb):
    p = rb.programme("P-1", 5)
    reg = rb.applicant(8, [p], carried_over=True, retakes_test=True)
    ranking = rb.rank()
    assert ranking.admissions.get(registration=reg).score == Decimal("8")


def test_A27_1_rerun_replaces_the_draft_and_approval_has_a_deadline(rb):
    p = rb.programme("P-1", 5)
    rb.applicant(10, [p])
    first = rb.rank()
    second = services.build_ranking(rb.naec, rb.round)
    assert second.version == 1 and not type(first).objects.filter(pk=first.pk).exists()
    lists = FinalLists.objects.get()
    due = services.approval_due(lists)
    assert due >= timezone.localdate() + dt.timedelta(days=7)
    approved = services.approve_ranking(rb.naec, second)
    assert approved.status == RankingStatus.APPROVED
    with pytest.raises(RuleError):
        services.approve_ranking(rb.naec, approved)


def test_A27_1_a_changed_input_is_noticed_before_approval(rb):
    p = rb.programme("P-1", 5)
    rb.applicant(10, [p])
    ranking = rb.rank()
    services.record_formula(
        rb.naec, rb.round, {"act_number": "N-2", "act_date": dt.date(2026, 1, 1), "minimum": 12}
    )
    with pytest.raises(RuleError, match="26.3"):
        services.approve_ranking(rb.naec, ranking)


def test_A27_1_a_correction_is_a_new_version_and_changed_applicants_are_told(
    rb, mailoutbox, django_capture_on_commit_callbacks
):
    p = rb.programme("P-1", 5)
    regs = [rb.applicant(30 - i, [p]) for i in range(6)]
    first = rb.rank(approve=True)
    mailoutbox.clear()
    with pytest.raises(RuleError, match="27.1"):
        services.build_ranking(rb.naec, rb.round)
    from kari.exams.models import Result

    Result.objects.filter(registration=regs[0]).update(skills_score=Decimal("0"))
    services.freeze_final_lists(rb.emis, rb.round)
    fix = services.build_ranking(rb.naec, rb.round, reason="appeal decision 7")
    assert fix.version == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_ranking(rb.naec, fix)
    first.refresh_from_db()
    assert first.status == RankingStatus.SUPERSEDED
    assert set(outcome(fix)) == {r.pk for r in regs[1:]}
    told = sorted(m.to[0] for m in mailoutbox)
    assert told == sorted([regs[0].applicant.email, regs[5].applicant.email])


def test_A27_10_extra_places_beyond_the_annual_limit_reduce_the_next_announcement(rb):
    from django.core.exceptions import ValidationError

    from kari.catalogue import selectors
    from kari.catalogue.models import NextIntakeAdjustment
    from kari.catalogue.rules import check_places
    from kari.rounds.models import Round

    p = rb.programme("P-1", 5, authorised=6)
    for i in range(4):
        rb.applicant(30 - i, [p])
    for _ in range(4):
        rb.applicant(20, [p])
    ranking = rb.rank(approve=True)
    po = ranking.programmes.get()
    assert (po.admitted, po.extra_places, po.beyond_limit) == (8, 3, 2)
    assert NextIntakeAdjustment.objects.get(programme=p).reduction == 2
    r = rb.round
    nxt = Round.objects.create(
        year=r.year + 1,
        season=r.season,
        **{f: v + dt.timedelta(days=200) for f, v in r.schedule().items() if v},
    )
    limit = selectors.next_intake_limit(p, nxt)
    assert limit == {"limit": 4, "reduction": 2, "base": 6}
    with pytest.raises(ValidationError, match="27.10"):
        check_places(5, 1, work_based=False, intake_limit=limit)


def test_A27_10_the_next_announcement_page_shows_the_subtracted_places(rb, client):
    from django.utils import translation

    from kari.rounds.models import Round
    from tests.conftest import sign_in

    p = rb.programme("P-1", 5, authorised=6)
    for i in range(4):
        rb.applicant(30 - i, [p])
    for _ in range(4):
        rb.applicant(20, [p])
    rb.rank(approve=True)
    r = rb.round
    Round.objects.create(
        year=r.year + 1,
        season=r.season,
        **{f: v + dt.timedelta(days=200) for f, v in r.schedule().items() if v},
    )
    sign_in(client, rb.admin)
    translation.activate("en")
    page = client.get("/en/catalogue/announcement/").content.decode()
    assert "At most 4 this round" in page and "placed 2 beyond the limit" in page
