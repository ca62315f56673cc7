"""Registration rules at the service level (A4.2, A4.3, A7.5, A14, A15, A16, A26.2, A28)."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase

from kari.accounts.models import User
from kari.accounts.roles import OrgKind, Role
from kari.audit.models import AuditEntry
from kari.codes.models import OneTimeCode
from kari.registration import services
from kari.registration.models import Applicant, Registration
from kari.sms import get_backend
from tests.conftest import make_org, make_user
from tests.registration.conftest import primary, set_window

pytestmark = pytest.mark.django_db


def sent_code() -> str:
    """The last code delivered (read from the SMS outbox, as the applicant's phone would)."""
    text = get_backend().messages()[-1]["text"]
    return re.search(r"\b(\d{6})\b", text).group(1)


def register(data, reg, *, actor=None, channel="online", stage="primary"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        pending = services.start(
            actor, data, reg["round"], channel=channel, stage=stage, ip="10.0.0.1"
        )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.confirm(pending.personal_number, sent_code(), ip="10.0.0.1")


def errors_of(call):
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def test_A15_3_online_registration_collects_the_data_and_confirms_by_code(reg):
    r = register(primary(), reg)
    assert r.applicant.full_name == "ნინო ბერიძე" and r.version == 1
    assert [c.programme.code for c in r.choices.all()] == ["CAT-1", "CAT-2"]
    assert r.exam_municipality.code == "tbilisi" and r.foreign_language == "en"
    assert r.registered_at.microsecond == 0  # stored to the second (A40.6)
    assert r.skills_test.code == "general" and r.subject_group.code == "G4"


def test_A15_4_code_goes_to_email_and_phone_and_nothing_is_saved_before(reg):
    with TestCase.captureOnCommitCallbacks(execute=True):
        pending = services.start(None, primary(), reg["round"], channel="online")
    assert not Registration.objects.exists()
    assert (
        mail.outbox[-1].to == ["nino@example.ge"]
        and get_backend().messages()[-1]["to"] == "+995555123456"
    )
    assert pending.sent_to == ["n•••@example.ge", "•••456"]
    code = OneTimeCode.objects.get(pk=pending.code_id)
    assert sent_code() not in code.code_hash and "01024012345" not in code.subject


def test_A17_5_personal_number_must_be_in_the_civil_registry(reg):
    # At a centre (online, the answer does not say which identity fact was wrong: issue 11).
    errs = errors_of(
        lambda: services.start(reg["clerk"], primary("01024099999"), reg["round"], channel="centre")
    )
    assert "სახელმწიფო სერვისების განვითარების სააგენტო" in errs["personal_number"][0]


def test_A13_5_only_programmes_confirmed_for_the_round(reg):
    errs = errors_of(
        lambda: services.start(
            None, primary(programmes=["CAT-1", "DRAFT-1"]), reg["round"], channel="online"
        )
    )
    assert "DRAFT-1" in errs["programmes"][0]


def test_A15_3_d_one_skills_test_and_subject_group(reg):
    errs = errors_of(
        lambda: services.start(
            None, primary(programmes=["CAT-1", "ICT-1"]), reg["round"], channel="online"
        )
    )
    assert "ერთი და იგივე პროფესიული უნარების ტესტი" in errs["programmes"][0]


def test_duplicate_programmes_are_refused(reg):
    errs = errors_of(
        lambda: services.start(
            None, primary(programmes=["CAT-1", "CAT-1"]), reg["round"], channel="online"
        )
    )
    assert "CAT-1" in errs["programmes"][0]


def test_A4_2_other_test_language_only_if_every_programme_is_framework_based(reg):
    errs = errors_of(
        lambda: services.start(
            None,
            primary(test_language="ru", programmes=["CAT-1", "CAT-2"]),
            reg["round"],
            channel="online",
        )
    )
    assert "ჩარჩოდოკუმენტის" in errs["test_language"][0] and "CAT-1" in errs["test_language"][0]
    r = register(primary(test_language="az", programmes=["CAT-2", "CAT-FW"]), reg)
    assert r.test_language == "az"


def test_A4_3_russian_test_excludes_russian_as_foreign_language(reg):
    errs = errors_of(
        lambda: services.start(
            None,
            primary(test_language="ru", foreign_language="ru", programmes=["CAT-2"]),
            reg["round"],
            channel="online",
        )
    )
    assert "ტესტირების ენა რუსულია" in errs["foreign_language"][0]


def test_A7_5_foreign_language_fits_every_programme(reg):
    errs = errors_of(
        lambda: services.start(
            None,
            primary(foreign_language="de", programmes=["CAT-2", "CAT-EN"]),
            reg["round"],
            channel="online",
        )
    )
    assert "CAT-EN" in errs["foreign_language"][0]
    assert (
        register(
            primary(foreign_language="en", programmes=["CAT-2", "CAT-EN"]), reg
        ).foreign_language
        == "en"
    )


def test_A15_5_changes_within_the_window_make_a_new_version(reg):
    register(primary(), reg)
    r = register(primary(programmes=["CAT-2", "CAT-1"], phone="+995 599 11 22 33"), reg)
    assert r.version == 2 and [c.programme.code for c in r.choices.all()] == ["CAT-2", "CAT-1"]
    v = r.versions.first()
    assert v.number == 2 and v.changes["programmes"] == [["CAT-1", "CAT-2"], ["CAT-2", "CAT-1"]]
    assert AuditEntry.objects.filter(action="registration.change").count() == 1


def test_a_change_code_goes_to_the_contacts_on_record(reg):
    register(primary(), reg)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start(
            None,
            primary(phone="+995 599 11 22 33", email="other@example.ge"),
            reg["round"],
            channel="online",
        )
    assert mail.outbox[-1].to == ["nino@example.ge"]
    assert get_backend().messages()[-1]["to"] == "+995555123456"


def test_A15_7_locked_after_the_window(reg):
    register(primary(), reg)
    set_window(
        reg["round"],
        registration_opens=-30,
        registration_closes=-1,
        reranking_opens=5,
        reranking_closes=8,
    )
    with pytest.raises(ValidationError) as exc:
        services.start(None, primary(programmes=["CAT-2"]), reg["round"], channel="online")
    assert "მუხ. 15.7" in str(exc.value)


def test_A15_7_a_code_started_in_the_window_cannot_be_used_after_it(reg):
    with TestCase.captureOnCommitCallbacks(execute=True):
        pending = services.start(None, primary(), reg["round"], channel="online")
    set_window(reg["round"], registration_opens=-30, registration_closes=-1)
    with pytest.raises(ValidationError):
        services.confirm(pending.personal_number, sent_code())
    assert not Registration.objects.exists()


def test_A26_2_reranking_window_allows_only_reordering_within_the_test_taken(reg):
    register(primary(programmes=["CAT-1"]), reg)
    set_window(
        reg["round"],
        registration_opens=-40,
        registration_closes=-20,
        test_starts=-15,
        test_ends=-14,
        results_published=-3,
        reranking_opens=-2,
        reranking_closes=3,
        ranking_date=10,
        enrolment_starts=12,
        enrolment_ends=20,
    )
    publish(reg, Registration.objects.get())
    errs = errors_of(
        lambda: services.start(None, primary(programmes=["ICT-1"]), reg["round"], channel="online")
    )
    assert "რეიტინგული ჩამონათვალის შეცვლის პერიოდში" in errs["programmes"][0]
    r = register(primary(programmes=["CAT-FW", "CAT-1"], exam_municipality="kutaisi"), reg)
    assert [c.programme.code for c in r.choices.all()] == ["CAT-FW", "CAT-1"]
    assert r.exam_municipality.code == "tbilisi"  # only the list may change
    # A new registration is not possible in the re-ranking window.
    with pytest.raises(ValidationError):
        services.start(None, primary("61001012345"), reg["round"], channel="online")


def test_A15_1_A15_6_clerk_registers_with_the_applicants_code(reg):
    r = register(primary(), reg, actor=reg["clerk"], channel="centre")
    assert r.clerk == reg["clerk"] and r.centre == reg["rc"] and r.channel == "centre"
    assert r.versions.first().actor_label == "ლევან ჯაფარიძე"


def test_A15_1_only_registration_clerks_register_at_a_centre(reg, world):
    from kari.accounts.roles import Role

    with pytest.raises(PermissionDenied):
        services.start(
            world["users"][Role.QUALITY_OFFICER], primary(), reg["round"], channel="centre"
        )


def test_A16_1_subsequent_stage_only_at_a_centre(reg):
    data = primary(
        programmes=["SUB-1"], education_level="საბაზო", basic_education_document="ა-0012345"
    )
    with pytest.raises(ValidationError) as exc:
        services.start(None, data, reg["round"], channel="online", stage="subsequent")
    assert "მუხ. 16.1" in str(exc.value)


def test_A16_3_A14_subsequent_stage_within_one_institution(reg):
    data = primary(
        programmes=["SUB-1", "SUB-3"],
        education_level="საბაზო",
        basic_education_document="ა-0012345",
    )
    errs = errors_of(
        lambda: services.start(
            reg["clerk"], data, reg["round"], channel="centre", stage="subsequent"
        )
    )
    assert "(მუხ. 14)" in errs["programmes"][0]
    errs = errors_of(
        lambda: services.start(
            reg["clerk"],
            primary(programmes=["SUB-1"]),
            reg["round"],
            channel="centre",
            stage="subsequent",
        )
    )
    assert "(მუხ. 16.3)" in errs["education_level"][0]
    r = register(
        dict(data, programmes=["SUB-1", "SUB-2"]),
        reg,
        actor=reg["clerk"],
        channel="centre",
        stage="subsequent",
    )
    assert r.stage == "subsequent" and r.education_level == "საბაზო"


def test_A16_5_no_subsequent_stage_change_after_the_deadline(reg):
    set_window(
        reg["round"],
        registration_opens=-30,
        registration_closes=-1,
        subsequent_registration_opens=-30,
        subsequent_registration_closes=-1,
    )
    data = primary(
        programmes=["SUB-1"], education_level="საბაზო", basic_education_document="ა-0012345"
    )
    with pytest.raises(ValidationError) as exc:
        services.start(reg["clerk"], data, reg["round"], channel="centre", stage="subsequent")
    assert "მუხ. 16.5" in str(exc.value)


def test_A16_2_subsequent_stage_registration_has_its_own_window(reg):
    set_window(reg["round"], subsequent_registration_opens=-30, subsequent_registration_closes=-1)
    data = primary(
        programmes=["SUB-1"], education_level="საბაზო", basic_education_document="ა-0012345"
    )
    with pytest.raises(ValidationError) as exc:
        services.start(reg["clerk"], data, reg["round"], channel="centre", stage="subsequent")
    assert "მუხ. 16.5" in str(exc.value)
    register(primary(), reg)  # the primary stage's window is open
    set_window(reg["round"], subsequent_registration_opens=-1, subsequent_registration_closes=3)
    r = register(data, reg, actor=reg["clerk"], channel="centre", stage="subsequent")
    assert r.stage == "subsequent"


def test_A28_1_carried_over_scores_need_an_earlier_round_and_are_used_once(reg):
    errs = errors_of(
        lambda: services.start(None, primary(carried_over=True), reg["round"], channel="online")
    )
    assert "28.1" in errs["carried_over"][0]


RERANKING = dict(
    registration_opens=-40,
    registration_closes=-20,
    test_starts=-15,
    test_ends=-14,
    results_published=-3,
    reranking_opens=-2,
    reranking_closes=3,
    ranking_date=10,
    enrolment_starts=12,
    enrolment_ends=20,
)


def publish(reg, registration, scores=None):
    """NAEC's results published for one registration (A26.1, A26.2)."""
    naec = User.objects.filter(username="naec-pub").first() or make_user(
        "naec-pub", make_org("naec-pub", OrgKind.NAEC), [Role.NAEC_OFFICER]
    )
    services.publish_scores(
        naec,
        reg["round"],
        {registration.pk: {"skills_score": 20, "georgian": 15} if scores is None else scores},
    )


def test_A26_2_reranking_opens_only_after_the_applicants_results_are_published(reg):
    r = register(primary(programmes=["CAT-1"]), reg)
    set_window(reg["round"], **RERANKING)
    change = lambda: services.start(  # noqa: E731
        None, primary(programmes=["CAT-2", "CAT-1"]), reg["round"], channel="online"
    )
    assert "26.2" in errors_of(change)["programmes"][0]
    publish(reg, r, scores={})  # absent: no scores, nothing to re-rank
    assert "26.2" in errors_of(change)["programmes"][0]
    publish(reg, r)
    assert [
        c.programme.code
        for c in register(primary(programmes=["CAT-2", "CAT-1"]), reg).choices.all()
    ] == ["CAT-2", "CAT-1"]


def test_A26_2_A4_2_reranking_keeps_the_test_language_rule(reg):
    r = register(primary(test_language="az", programmes=["CAT-2"]), reg)
    set_window(reg["round"], **RERANKING)
    publish(reg, r)
    errs = errors_of(
        lambda: services.start(
            None, primary(programmes=["CAT-2", "CAT-1"]), reg["round"], channel="online"
        )
    )
    assert "CAT-1" in errs["programmes"][0] and "ჩარჩოდოკუმენტის" in errs["programmes"][0]


def test_A26_2_A7_5_reranking_keeps_the_foreign_language_rule(reg):
    r = register(primary(foreign_language="de", programmes=["CAT-1"]), reg)
    set_window(reg["round"], **RERANKING)
    publish(reg, r)
    errs = errors_of(
        lambda: services.start(
            None, primary(programmes=["CAT-EN", "CAT-1"]), reg["round"], channel="online"
        )
    )
    assert "CAT-EN" in errs["programmes"][0] and "უცხოური ენა" in errs["programmes"][0]


def test_A15_4_wrong_codes_are_refused_and_audited(reg):
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start(None, primary(), reg["round"], channel="online")
    good = sent_code()
    for _ in range(5):
        with pytest.raises(ValidationError):
            services.confirm("01024012345", "000000" if good != "000000" else "111111")
    with pytest.raises(ValidationError):  # the sixth attempt is refused even with the right code
        services.confirm("01024012345", good)
    assert AuditEntry.objects.filter(action="otp.failed").count() == 6
    assert not Registration.objects.exists()
    assert "01024012345" not in str(
        list(AuditEntry.objects.values_list("after", "reason", "object_repr"))
    )


def test_A15_4_codes_expire_after_10_minutes(reg):
    from django.utils import timezone

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start(None, primary(), reg["round"], channel="online")
    OneTimeCode.objects.update(expires_at=timezone.now())
    with pytest.raises(ValidationError):
        services.confirm("01024012345", sent_code())


def test_A15_4_codes_are_rate_limited_per_person_and_per_ip(reg, settings):
    for _ in range(5):
        services.request_sign_in("01024012345", ip="10.0.0.9")
    with pytest.raises(ValidationError):
        services.request_sign_in("01024012345", ip="10.0.0.9")
    settings.KARI_OTP = dict(settings.KARI_OTP, PER_IP_PER_HOUR=7)
    services.request_sign_in("61001012345", ip="10.0.0.9")
    services.request_sign_in("01001099999", ip="10.0.0.9")
    with pytest.raises(ValidationError):
        services.request_sign_in("01001099999", ip="10.0.0.9")
    # Counted in the day's aggregate, not one audit entry each (issue 11, point 4).
    from kari.accounts.models import Throttle

    assert not AuditEntry.objects.filter(action="otp.rate_limited").exists()
    tallies = Throttle.objects.filter(key__startswith="tally:otp.rate_limited:")
    assert sum(t.count for t in tallies) == 2


def test_A15_1_sign_in_does_not_reveal_whether_a_number_is_registered(reg):
    register(primary(), reg)
    before = len(get_backend().messages())
    services.request_sign_in("61001012345")  # in the registry, not registered: nothing sent
    assert len(get_backend().messages()) == before
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.request_sign_in("01024012345")
    assert len(get_backend().messages()) == before + 1
    assert services.sign_in("01024012345", sent_code()).personal_number == "01024012345"
    with pytest.raises(ValidationError):
        services.sign_in("61001012345", "123456")
    assert Applicant.objects.count() == 1


@pytest.mark.smtp
def test_A15_4_code_email_reaches_a_real_smtp_server_in_georgian_and_english(reg, smtp):
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start(None, primary(), reg["round"], channel="online")
    recipients, message = smtp.messages[-1]
    body = message.get_payload(decode=True).decode()
    assert recipients == ["nino@example.ge"]
    assert sent_code() in body and "ერთჯერადი" in body and "one-time code" in body


def test_A14_1_article_2_e_a_primary_ranked_list_stays_within_one_direction(reg):
    from kari.catalogue.services import save_programme
    from tests.conftest import programme_data, system_actor

    # A programme of another direction (06) with the same skills test and subject group.
    other = save_programme(system_actor(), reg["inst"], programme_data("JRN-1", field="1013"))
    other.field = reg["programme"].objects.get(code="ICT-1").field  # direction 06
    other.save()
    line = reg["progs"]["CAT-1"].announced.first()
    line.pk = None
    line.programme = other
    line.save()
    errs = errors_of(
        lambda: services.start(
            None, primary(programmes=["CAT-1", "JRN-1"]), reg["round"], channel="online"
        )
    )
    assert "მიმართულების" in errs["programmes"][0]


def test_A15_3_f_foreign_language_only_when_the_subject_group_has_one(reg):
    r = register(primary(programmes=["ICT-1"], foreign_language=""), reg)
    assert r.foreign_language == "" and r.subject_group.code == "G2"
    r = register(primary(programmes=["ICT-1"], foreign_language="de"), reg)
    assert r.foreign_language == ""  # not asked for, so not kept
    errs = errors_of(
        lambda: services.start(
            None,
            primary("61001012345", programmes=["CAT-1"], foreign_language=""),
            reg["round"],
            channel="online",
        )
    )
    assert "foreign_language" in errs


def test_A13_4_f_minimum_age_refuses_and_education_level_only_warns(reg):
    import datetime as dt

    cat = reg["progs"]["CAT-1"]
    cat.min_age = 18  # Nino was born on 01.03.2008
    cat.min_age_on = dt.date(2026, 1, 1)
    cat.save()
    errs = errors_of(
        lambda: services.start(None, primary(programmes=["CAT-1"]), reg["round"], channel="online")
    )
    assert "CAT-1" in errs["programmes"][0] and "01.01.2026" in errs["programmes"][0]
    cat.min_age, cat.min_education, cat.other_documents = 16, "basic", "სამედიცინო ცნობა"
    cat.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        pending = services.start(
            None, primary(programmes=["CAT-1"]), reg["round"], channel="online"
        )
    assert len(pending.warnings) == 2 and "CAT-1" in pending.warnings[0]
    r = services.confirm(pending.personal_number, sent_code())
    assert r.requirement_warnings == pending.warnings  # the institution sees them


def test_A6_2_subsequent_stage_needs_the_basic_education_document(reg):
    data = primary(programmes=["SUB-1"], education_level="საბაზო")
    errs = errors_of(
        lambda: services.start(
            reg["clerk"], data, reg["round"], channel="centre", stage="subsequent"
        )
    )
    assert "მუხ. 6.2" in errs["basic_education_document"][0]
    data["basic_education_document"] = "ა-0012345"
    r = register(data, reg, actor=reg["clerk"], channel="centre", stage="subsequent")
    assert r.basic_education_document == "ა-0012345"
