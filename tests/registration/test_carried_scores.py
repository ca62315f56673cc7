"""A28: carried-over scores, from the previous round into this one, as the ranking reads them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kari.accounts.roles import OrgKind, Role
from kari.audit.models import AuditEntry
from kari.catalogue.models import SkillsTest, SubjectGroup
from kari.exams import selectors
from kari.registration import services
from kari.registration.carried import carried_scores, previous_round_key
from kari.registration.models import Registration, ScoreRecord, ScoreSource
from kari.rounds.models import Round
from kari.tabular import ImportRejected
from tests.conftest import make_org, make_user
from tests.registration.conftest import dates, primary
from tests.registration.test_registration_services import errors_of, register

pytestmark = pytest.mark.django_db
PN = "01024012345"


def earlier(reg, *, year=None, season="spring", admitted=False, scores=None, **over):
    """Scores of the round before the fixture's autumn round (as the import leaves them)."""
    values = {
        "personal_number": PN,
        "year": year or reg["round"].year,
        "season": season,
        "skills_test": SkillsTest.objects.get(code="general"),
        "subject_group": SubjectGroup.objects.get(code="G4"),
        "test_language": "ka",
        "foreign_language": "en",
        "scores": {"skills_score": "21.5", "georgian": "18", "foreign_language": "12"}
        if scores is None
        else scores,
        "admitted": admitted,
        "source": ScoreSource.IMPORT,
        "recorded_at": timezone.now(),
    }
    values.update(over)
    return ScoreRecord.objects.create(**values)


def carry(reg, **over):
    return register(primary(carried_over=True, **over), reg)


def naec():
    return make_user("naec-scores", make_org("naec-s", OrgKind.NAEC), [Role.NAEC_OFFICER])


def test_A28_1_previous_round_is_the_one_immediately_before():
    assert previous_round_key(2027, "autumn") == (2027, "spring")
    assert previous_round_key(2027, "spring") == (2026, "autumn")


def test_A28_1_scores_carry_from_the_immediately_preceding_round_only(reg):
    earlier(reg, year=reg["round"].year - 1, season="autumn")  # two rounds back
    errs = errors_of(
        lambda: services.start(None, primary(carried_over=True), reg["round"], channel="online")
    )
    assert "28.1" in errs["carried_over"][0]
    record = earlier(reg)
    r = carry(reg)
    assert r.carried_over and r.carried_from == record and r.retakes_test is False


def test_A28_1_only_an_applicant_the_round_left_without_a_place(reg):
    earlier(reg, admitted=True)
    errs = errors_of(
        lambda: services.start(None, primary(carried_over=True), reg["round"], channel="online")
    )
    assert "ადგილი" in errs["carried_over"][0]
    ScoreRecord.objects.update(admitted=None)  # the ranking has not said yet
    with pytest.raises(ValidationError):
        services.start(None, primary(carried_over=True), reg["round"], channel="online")


def test_A28_1_only_with_scores(reg):
    earlier(reg, scores={})  # absent in the previous round
    errs = errors_of(
        lambda: services.start(None, primary(carried_over=True), reg["round"], channel="online")
    )
    assert "28.1" in errs["carried_over"][0]


def test_A28_1_only_once_and_only_from_a_primary_stage_registration(reg):
    year = reg["round"].year
    spring = Round.objects.create(year=year, season="spring", **dates(test_starts=-200))
    earlier_reg = Registration.objects.create(
        applicant=register(primary(programmes=["CAT-1"]), reg).applicant,
        round=spring,
        channel="online",
        carried_over=True,  # spring itself used carried scores
        registered_at=timezone.now(),
        updated_at=timezone.now(),
    )
    record = earlier(reg, registration=earlier_reg, source=ScoreSource.RESULTS)
    errs = errors_of(
        lambda: services.start(None, primary(carried_over=True), reg["round"], channel="online")
    )
    assert "ერთხელ" in errs["carried_over"][0]
    earlier_reg.carried_over, earlier_reg.stage = False, "subsequent"
    earlier_reg.save()
    errs = errors_of(
        lambda: services.start(None, primary(carried_over=True), reg["round"], channel="online")
    )
    assert "პირველადი" in errs["carried_over"][0]
    earlier_reg.stage = "primary"
    earlier_reg.save()
    r = carry(reg)  # a change of the same registration keeps its own use
    assert r.carried_from == record
    r = carry(reg, programmes=["CAT-2"])
    assert r.carried_from == record and r.version == 3


def test_A28_1_carried_registration_chooses_programmes_of_the_carried_test(reg):
    earlier(reg)
    errs = errors_of(
        lambda: services.start(
            None,
            primary(carried_over=True, programmes=["ICT-1"]),
            reg["round"],
            channel="online",
        )
    )
    assert "ICT-1" in errs["programmes"][0]
    errs = errors_of(
        lambda: services.start(
            None, primary(carried_over=True, foreign_language="de"), reg["round"], channel="online"
        )
    )
    assert "foreign_language" in errs


def test_A28_1_carried_applicant_who_does_not_sit_again_is_not_distributed(reg):
    earlier(reg)
    carry(reg)
    register(primary("61001012345", email="g@example.ge", phone="+995 555 00 00 01"), reg)
    sitting = [
        r.applicant.personal_number for r in selectors.registrations_to_distribute(reg["round"])
    ]
    assert sitting == ["61001012345"]


def test_A28_5_retake_is_set_only_for_a_carried_applicant_who_sits_again(reg):
    r = register(primary(retakes_test=True), reg)
    assert r.retakes_test is False  # nothing carried: an ordinary registration
    earlier(reg)
    r = carry(reg, retakes_test=True)
    assert r.retakes_test is True
    assert r in selectors.registrations_to_distribute(reg["round"])


def test_A28_5_ranking_reads_carried_scores_unless_the_retaker_sat(reg):
    earlier(reg)
    r = carry(reg, retakes_test=True)
    expected = {"skills_score": Decimal("21.5"), "georgian": Decimal(18), "foreign_language": 12}
    assert carried_scores(reg["round"]) == {r.pk: expected}
    # A28.5: a retaker who sat is judged by the new results only, even if lower.
    assert carried_scores(reg["round"], sat={r.pk}) == {}
    # An absent retaker did not sit: the carried scores still count (docs/decisions.md).
    assert carried_scores(reg["round"], sat=set()) == {r.pk: expected}


def test_A28_1_published_scores_and_the_ranking_outcome_feed_the_next_round(reg):
    r = register(primary(), reg)
    actor = naec()
    services.publish_scores(
        actor, reg["round"], {r.pk: {"skills_score": Decimal("20"), "georgian": Decimal("15")}}
    )
    rec = ScoreRecord.objects.get(registration=r)
    assert rec.scores == {"skills_score": "20", "georgian": "15"} and rec.admitted is None
    services.record_outcomes(actor, reg["round"], {r.pk: False})
    rec.refresh_from_db()
    assert rec.admitted is False and rec.season == reg["round"].season
    assert AuditEntry.objects.filter(action="scores.outcome").exists()
    with pytest.raises(ValidationError):
        services.record_outcomes(actor, reg["round"], {r.pk + 99: True})


CSV = (
    "personal_number,skills_test,subject_group,test_language,foreign_language_code,"
    "skills_score,georgian,foreign_language,admitted\n"
    "01024012345,general,G4,ka,en,21.5,18,12,no\n"
    "1001012345,general,G4,ka,en,10,9,8,yes\n"
)


def test_A28_1_scores_of_a_round_before_kari_are_imported_all_or_nothing(reg):
    actor = naec()
    year = reg["round"].year
    bad = CSV + "01001099999,general,G4,ka,en,31,9,8,maybe\n"
    with pytest.raises(ImportRejected) as exc:
        services.import_earlier_scores(actor, bad.encode(), "csv", year=year, season="spring")
    assert {(e.line, e.field) for e in exc.value.errors} == {(4, "skills_score"), (4, "admitted")}
    assert not ScoreRecord.objects.exists()
    n = services.import_earlier_scores(actor, CSV.encode(), "csv", year=year, season="spring")
    assert n == 2
    assert ScoreRecord.objects.get(personal_number="01001012345").admitted is True  # zero kept
    r = carry(reg)
    assert r.carried_from.source == ScoreSource.IMPORT
    with pytest.raises(ValidationError):  # a round run in Kari has its own results
        services.import_earlier_scores(
            actor, CSV.encode(), "csv", year=year, season=reg["round"].season
        )
    entry = AuditEntry.objects.get(action="scores.import")
    assert PN not in str(entry.after)
