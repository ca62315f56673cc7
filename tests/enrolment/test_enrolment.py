"""Enrolment (A29-A32), one test per citation."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from kari.audit.models import AuditEntry
from kari.enrolment import rules, services
from kari.enrolment.models import Offer, Option, Status, StudentStatus, SubmissionState
from kari.rounds.models import Round

from .conftest import PEOPLE, TODAY, applicant, days, enrol, place, receive_all

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(data))).pages)


def sms_texts(world_tmp) -> list[str]:
    path = world_tmp / "sms.jsonl"
    return (
        [json.loads(x)["text"] for x in path.read_text("utf-8").splitlines()]
        if path.exists()
        else []
    )


# ---------------------------------------------------------------- A29.1


def test_A29_1_documents_and_deadline_fixed_before_the_test_and_shown(ew, client):
    terms = ew["progs"]["COOK-A"].enrolment_terms.get(round=ew["round"])
    assert [d.name for d in terms.documents.all()] == ["პირადობის მოწმობის ასლი", "ფოტოსურათი"]
    assert AuditEntry.objects.filter(action="enrolment.terms").count() == 5
    # After the test has started the list can no longer be changed.
    Round.objects.filter(pk=ew["round"].pk).update(test_starts=TODAY)
    ew["round"].refresh_from_db()
    with pytest.raises(ValidationError, match="A29.1|29.1"):
        services.fix_terms(
            ew["admin_a"],
            ew["progs"]["COOK-A"],
            ew["round"],
            documents=["ატესტატი"],
            submit_until=days(16),
            duration_months=12,
        )
    # Another institution's admin may not fix them.
    Round.objects.filter(pk=ew["round"].pk).update(test_starts=days(5))
    ew["round"].refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.fix_terms(
            ew["admin_b"],
            ew["progs"]["COOK-A"],
            ew["round"],
            documents=["ატესტატი"],
            submit_until=days(16),
            duration_months=12,
        )


def test_A29_1_placed_applicant_is_told_what_to_submit_and_uploads_are_checked(ew, people):
    reg = applicant(0, round_=ew["round"])
    (e,) = place(ew, [(reg, "COOK-A")])
    assert e.status == Status.ADMITTED
    assert any("16" in m.body or days(16).strftime("%d.%m.%Y") in m.body for m in mail.outbox)
    assert sms_texts(people), "an SMS goes with the email"
    doc = e.programme.enrolment_terms.get(round=e.round).documents.first()
    big = SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * (rules.MAX_UPLOAD + 1))
    with pytest.raises(ValidationError, match="5 MB"):
        services.upload_document(reg.applicant, e, doc, big)
    exe = SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(ValidationError, match="PDF"):
        services.upload_document(reg.applicant, e, doc, exe)
    other = applicant(1, round_=ew["round"])
    ok = SimpleUploadedFile("passport.pdf", b"%PDF-1.4 minimal")
    with pytest.raises(PermissionDenied):
        services.upload_document(other.applicant, e, doc, ok)
    sub = services.upload_document(reg.applicant, e, doc, ok)
    assert sub.state == SubmissionState.UPLOADED
    # The institution returns it with a reason, and the applicant is told.
    with pytest.raises(ValidationError):
        services.mark_document(ew["admin_a"], e, doc, received=False, reason="")
    sub = services.mark_document(ew["admin_a"], e, doc, received=False, reason="გაურკვეველია")
    assert sub.state == SubmissionState.RETURNED
    assert "გაურკვეველია" in mail.outbox[-1].body
    with pytest.raises(PermissionDenied):
        services.mark_document(ew["admin_b"], e, doc, received=True)


# ---------------------------------------------------------------- A29.2


def test_A29_2_two_day_deadline_counts_from_the_later_of_act_and_documents_with_holidays():
    # Documents complete on Tue 7 April 2026: 2 days is Thu 9 April (a holiday), then Orthodox
    # Good Friday, the weekend and Easter Monday: the deadline is Tue 14 April.
    assert rules.enrol_by(dt.date(2026, 4, 3), dt.date(2026, 4, 7)) == dt.date(2026, 4, 14)
    # Ranking act after the documents: it counts. 17 Jan 2026 + 2 = Mon 19 Jan (Epiphany).
    assert rules.enrol_by(dt.date(2026, 1, 17), dt.date(2026, 1, 10)) == dt.date(2026, 1, 20)
    assert rules.enrol_by(dt.date(2026, 3, 2), dt.date(2026, 3, 2)) == dt.date(2026, 3, 4)


def test_A29_2_documents_received_start_the_deadline_and_overdue_is_flagged(ew, monkeypatch):
    reg = applicant(0, round_=ew["round"])
    (e,) = place(ew, [(reg, "COOK-A")])
    e = receive_all(ew, e)
    assert e.status == Status.DOCUMENTS
    assert e.enrol_by == rules.enrol_by(TODAY, TODAY)
    from kari.enrolment import selectors

    monkeypatch.setattr(selectors, "_today", lambda: e.enrol_by + dt.timedelta(days=1))
    rows = selectors.institution_list(ew["a"], ew["round"])
    assert [r.overdue for r in rows] == [True]


def test_A29_2_adult_signs_the_contract_and_the_act_lists_the_enrolled(ew):
    reg = applicant(0, round_=ew["round"])
    (e,) = place(ew, [(reg, "COOK-A")])
    with pytest.raises(ValidationError, match="document"):
        services.sign_contract(ew["admin_a"], e, funding="voucher")
    e = enrol(ew, e, funding="self")
    assert e.status == Status.ENROLLED and e.student_status == StudentStatus.ACTIVE
    text = pdf_text(e.contract_pdf)
    for part in (PEOPLE[0][2], "COOK-A", "12 თვე", "საკუთარი სახსრები", "ხელშეკრულება"):
        assert part in text
    assert "წარმომადგენელი (მუხ" not in text
    act_text = pdf_text(e.act.pdf)
    assert PEOPLE[0][2] in act_text and "29.2" in act_text
    # Every act says how and by when it can be challenged.
    assert rules.challenge_by(TODAY).strftime("%d.%m.%Y") in act_text
    assert rules.challenge_by(TODAY).strftime("%d.%m.%Y") in mail.outbox[-1].body


def test_A29_2_minor_contract_names_the_representative_from_the_civil_registry(ew):
    reg = applicant(12, round_=ew["round"])  # 16 years old by the civil registry
    (e,) = place(ew, [(reg, "COOK-A")])
    e = receive_all(ew, e)
    with pytest.raises(ValidationError, match="representative"):
        services.sign_contract(ew["admin_a"], e, funding="voucher")
    with pytest.raises(ValidationError, match="adult"):  # her 15-year-old brother
        services.sign_contract(
            ew["admin_a"],
            e,
            funding="voucher",
            representative_personal_number=PEOPLE[14][0],
            representative_relation="ძმა",
        )
    services.sign_contract(
        ew["admin_a"],
        e,
        funding="voucher",
        representative_personal_number=PEOPLE[13][0],
        representative_relation="დედა",
    )
    e.refresh_from_db()
    assert e.signatory == "representative"
    assert e.representative_name == "თამარ ბერიძე"
    text = pdf_text(e.contract_pdf)
    assert "თამარ ბერიძე" in text and "დედა" in text and "კანონიერი წარმომადგენელი" in text


def test_A29_2_declined_or_missed_is_marked_with_reason_and_the_place_is_vacant(ew):
    from kari.enrolment import selectors

    r1, r2 = applicant(0, round_=ew["round"]), applicant(1, round_=ew["round"])
    e1, e2 = place(ew, [(r1, "COOK-A"), (r2, "COOK-A")])
    with pytest.raises(ValidationError):
        services.close(ew["admin_a"], e1, declined=True, reason="")
    services.close(ew["admin_a"], e1, declined=True, reason="აპლიკანტმა უარი თქვა")
    services.close(ew["admin_a"], e2, declined=False, reason="ვადა გავიდა")
    e1.refresh_from_db()
    e2.refresh_from_db()
    assert (e1.status, e2.status) == (Status.DECLINED, Status.LAPSED)
    assert selectors.vacancies(ew["round"])[ew["progs"]["COOK-A"]] == 2
    assert AuditEntry.objects.filter(action="enrolment.close", reason="ვადა გავიდა").exists()


# ---------------------------------------------------------------- A29.3


def test_A29_3_a_russian_test_admit_starts_with_the_georgian_module(ew):
    reg = applicant(0, test_language="ru", round_=ew["round"])
    (e,) = place(ew, [(reg, "COOK-A")])
    assert e.georgian_module
    e = enrol(ew, e)
    assert e.student_status == StudentStatus.GEORGIAN_MODULE
    assert "ქართული ენის მოდულით" in pdf_text(e.contract_pdf)
    assert "29.3" in pdf_text(e.act.pdf)
    georgian = applicant(1, round_=ew["round"])
    (g,) = place(ew, [(georgian, "COOK-A")])
    assert not g.georgian_module


# ---------------------------------------------------------------- A29.4


def test_A29_4_three_day_deadline_from_the_contract_with_holidays():
    # Contract on Sat 23 May 2026: 3 days is Tue 26 May, Independence Day: Wed 27 May.
    assert rules.entry_by(dt.date(2026, 5, 23)) == dt.date(2026, 5, 27)
    # Thu 5 March 2026 + 3 = Sun 8 March (women's day, a Sunday): Mon 9 March.
    assert rules.entry_by(dt.date(2026, 3, 5)) == dt.date(2026, 3, 9)


def test_A29_4_students_entered_through_the_adapter_and_late_ones_stamped(ew, people, monkeypatch):
    regs = [
        applicant(i, test_language=lang, round_=ew["round"]) for i, lang in ((0, "ka"), (1, "ru"))
    ]
    on_time, late = (enrol(ew, e) for e in place(ew, [(regs[0], "COOK-A"), (regs[1], "COOK-A")]))
    assert on_time.entry_by == rules.entry_by(on_time.contract_signed_on)
    # The second contract was signed a week ago: its 3 days are over.
    from kari.enrolment.models import Enrolment

    Enrolment.objects.filter(pk=late.pk).update(
        contract_signed_on=TODAY - dt.timedelta(days=7),
        entry_by=rules.entry_by(TODAY - dt.timedelta(days=7)),
    )
    with pytest.raises(PermissionDenied):
        services.enter_into_management_system(ew["admin_b"], ew["a"], ew["round"])
    assert services.enter_into_management_system(ew["admin_a"], ew["a"], ew["round"]) == 2
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.entered_at and not on_time.entry_late
    assert late.entry_late and late.entry_reference == on_time.entry_reference
    files = list((people / "management-system").rglob("*.json"))
    sent = [json.loads(f.read_text("utf-8")) for f in files]
    students = next(d for d in sent if d.get("kind") == "students")["document"]["students"]
    assert sorted(s["georgian_module"] for s in students) == [False, True]
    with pytest.raises(ValidationError):
        services.enter_into_management_system(ew["admin_a"], ew["a"], ew["round"])


def test_A29_2_the_act_is_signed_with_the_institution_heads_key(ew):
    from kari.accounts.signing import signing_body, verify_document

    reg = applicant(0, round_=ew["round"])
    (e,) = place(ew, [(reg, "COOK-A")])
    e = enrol(ew, e)
    assert e.act.signed
    result = verify_document(bytes(e.act.pdf))
    assert signing_body(result) == ew["a"].organisation


# ---------------------------------------------------------------- A30, A31


def _small_programme(ew, n_eligible=4, n_below=2):
    """COOK-A's students: `n_eligible` above the voucher threshold, then `n_below` under it,
    enrolled by one act of the head (one signed PDF, not one each: the suite's time)."""
    services.set_voucher_threshold(ew["ministry"], ew["round"], "primary", "60")
    regs = [applicant(i, round_=ew["round"]) for i in range(n_eligible + n_below)]
    out = []
    for group, score in ((regs[:n_eligible], "75"), (regs[n_eligible:], "40")):
        if group:
            out += place(ew, [(reg, "COOK-A") for reg in group], score=score)
    for e in out:
        receive_all(ew, e, ew["admin_a"])
        services.sign_contract(ew["admin_a"], e, funding="voucher")
    services.issue_act(ew["admin_a"], ew["a"], ew["round"], out)
    for e in out:
        e.refresh_from_db()
    return out


def test_A30_1_four_student_programme_offers_the_three_options_to_eligible_students_only(ew):
    students = _small_programme(ew)
    offered = services.offer_voucher_options(ew["admin_a"], ew["a"], ew["round"])
    assert offered == 4
    for e in students:
        e.refresh_from_db()
    assert [e.offer for e in students] == [Offer.VOUCHER] * 4 + [""] * 2
    with pytest.raises(ValidationError):
        services.choose_option(students[4].applicant, students[4], Option.SUSPEND)
    # (c) suspend and keep the legal position.
    services.choose_option(students[0].applicant, students[0], Option.SUSPEND)
    students[0].refresh_from_db()
    assert students[0].student_status == StudentStatus.SUSPENDED
    # (a) transfer: another institution, same specialisation, with room.
    targets = [p.code for p, _room in services.targets(students[1], Option.TRANSFER)]
    assert targets == ["COOK-B"]
    with pytest.raises(ValidationError):
        services.choose_option(
            students[1].applicant, students[1], Option.TRANSFER, ew["progs"]["ICT-B"]
        )
    mail.outbox.clear()
    services.choose_option(
        students[1].applicant, students[1], Option.TRANSFER, ew["progs"]["COOK-B"]
    )
    students[1].refresh_from_db()
    assert students[1].student_status == StudentStatus.TRANSFERRED
    recipients = {r for m in mail.outbox for r in m.to}
    assert "college-a@example.ge" in recipients and "college-b@example.ge" in recipients
    # (b) internal: same skills test and subject group, at the same institution.
    internal = [p.code for p, _room in services.targets(students[2], Option.INTERNAL)]
    assert internal == ["COOK-A2"]
    services.choose_option(ew["admin_a"], students[2], Option.INTERNAL, ew["progs"]["COOK-A2"])
    students[2].refresh_from_db()
    assert students[2].student_status == StudentStatus.MOVED


def test_A30_1_five_voucher_students_are_not_flagged(ew):
    _small_programme(ew, n_eligible=5, n_below=0)
    assert services.offer_voucher_options(ew["admin_a"], ew["a"], ew["round"]) == 0


def test_A30_2_suspended_status_is_restored_when_the_next_intake_starts(ew):
    students = _small_programme(ew, n_eligible=1, n_below=0)
    services.offer_voucher_options(ew["admin_a"], ew["a"], ew["round"])
    e = students[0]
    services.choose_option(e.applicant, e, Option.SUSPEND)
    with pytest.raises(ValidationError, match="next test"):
        services.restore_status(ew["admin_a"], e)
    r = ew["round"]
    Round.objects.create(
        year=r.year + 1,
        season="spring",
        **{
            f: getattr(r, f) + dt.timedelta(days=1)
            for f in ("announcement_deadline", "registration_opens", "registration_closes")
        },
        test_starts=r.test_starts + dt.timedelta(days=1),
        test_ends=r.test_ends + dt.timedelta(days=1),
        results_published=days(-3),
        reranking_opens=days(-3),
        reranking_closes=days(-3),
        ranking_date=days(-2),
        enrolment_starts=days(-2),
        enrolment_ends=days(-1),
    )
    services.restore_status(ew["admin_a"], e)
    e.refresh_from_db()
    assert e.student_status == StudentStatus.ACTIVE


def test_A31_1_subsequent_stage_internal_move_matches_the_exam_taken(ew):
    from kari.catalogue.services import save_programme
    from tests.conftest import programme_data

    subs = {
        code: save_programme(
            ew["emis"],
            ew["a"],
            programme_data(code, field=f, stage="subsequent", skills_test="", subject_group=""),
        )
        for code, f in (("SUB-C1", "1013"), ("SUB-C2", "1013"), ("SUB-I", "0613"))
    }
    ann = ew["a"].announcements.get(round=ew["round"])
    for p in subs.values():
        ann.lines.create(programme=p, places=10, sen_places=1)
    ew["progs"].update(subs)
    services.set_voucher_threshold(ew["ministry"], ew["round"], "subsequent", "50")
    reg = applicant(0, round_=ew["round"])
    reg.stage = "subsequent"
    reg.save()
    for doc_prog in subs.values():
        services.fix_terms(
            ew["admin_a"],
            doc_prog,
            ew["round"],
            documents=["ატესტატი"],
            submit_until=days(16),
            duration_months=6,
        )
    (e,) = place(ew, [(reg, "SUB-C1")], score="55")
    e = enrol(ew, e)
    services.offer_voucher_options(ew["admin_a"], ew["a"], ew["round"])
    e.refresh_from_db()
    assert e.offer == Offer.VOUCHER
    assert [p.code for p, _r in services.targets(e, Option.INTERNAL)] == ["SUB-C2"]


# ---------------------------------------------------------------- A32


def _module_student(ew, i=0):
    reg = applicant(i, test_language="az", round_=ew["round"])
    (e,) = place(ew, [(reg, "COOK-A")])
    return enrol(ew, e)


def test_A32_3_a_failed_georgian_module_ends_the_status(ew):
    e = _module_student(ew)
    mail.outbox.clear()
    services.record_georgian_module(ew["admin_a"], e, passed=False)
    e.refresh_from_db()
    assert e.student_status == StudentStatus.ENDED
    assert AuditEntry.objects.filter(action="enrolment.status_ended", reason="A32.3").exists()
    assert "32.3" in mail.outbox[-1].body
    assert rules.challenge_by(TODAY).strftime("%d.%m.%Y") in mail.outbox[-1].body


def test_A32_1_transitional_student_moves_only_if_continuing_is_impossible(ew):
    e = _module_student(ew)
    services.record_georgian_module(ew["admin_a"], e, passed=True)
    e.refresh_from_db()
    assert (e.student_status, e.offer) == (StudentStatus.TRANSITIONAL, Offer.TRANSITIONAL)
    with pytest.raises(ValidationError, match="impossible"):
        services.choose_option(e.applicant, e, Option.INTERNAL, ew["progs"]["COOK-A2"])
    services.declare_continuation_impossible(ew["admin_a"], e, "პროგრამა აღარ ხორციელდება")
    services.choose_option(e.applicant, e, Option.INTERNAL, ew["progs"]["COOK-A2"])
    e.refresh_from_db()
    assert e.student_status == StudentStatus.MOVED


def test_A32_1_a_continue_is_activated_on_application(ew):
    e = _module_student(ew)
    services.record_georgian_module(ew["admin_a"], e, passed=True)
    e.refresh_from_db()
    services.choose_option(e.applicant, e, Option.CONTINUE)
    e.refresh_from_db()
    assert e.student_status == StudentStatus.TRANSITIONAL and e.option == Option.CONTINUE


def test_voucher_threshold_is_the_ministrys(ew):
    with pytest.raises(PermissionDenied):
        services.set_voucher_threshold(ew["admin_a"], ew["round"], "primary", "60")
    t = services.set_voucher_threshold(ew["ministry"], ew["round"], "primary", "60")
    assert t.minimum == Decimal("60")


def _next_round(ew):
    r = ew["round"]
    shift = dt.timedelta(days=180)
    return Round.objects.create(
        year=(r.test_starts + shift).year,
        season="spring" if r.season == "autumn" else "autumn",
        **{
            f: getattr(r, f) + shift
            for f in (
                "announcement_deadline",
                "registration_opens",
                "registration_closes",
                "test_starts",
                "test_ends",
                "results_published",
                "reranking_opens",
                "reranking_closes",
                "ranking_date",
                "enrolment_starts",
                "enrolment_ends",
            )
        },
    )


def test_A32_2_transitional_students_leave_the_next_intakes_places_unchanged(ew):
    from django.utils import timezone

    from kari.catalogue.models import NextIntakeAdjustment
    from kari.catalogue.selectors import next_intake_limit
    from kari.enrolment import selectors

    cook, cook2 = ew["progs"]["COOK-A"], ew["progs"]["COOK-A2"]
    # The ranking subtracted 2 places from COOK-A's next intake (A27.10).
    NextIntakeAdjustment.objects.create(
        programme=cook, source_round=ew["round"], reduction=2, recorded_at=timezone.now()
    )
    nxt = _next_round(ew)
    before = (next_intake_limit(cook, nxt), next_intake_limit(cook2, nxt))
    for i, code in ((0, "COOK-A"), (1, "COOK-A"), (2, "COOK-A2")):
        reg = applicant(i, test_language="hy", round_=ew["round"])
        (e,) = place(ew, [(reg, code)])
        e = enrol(ew, e)
        services.record_georgian_module(ew["admin_a"], e, passed=True)
    assert selectors.transitional_counts(ew["round"]) == {cook: 2, cook2: 1}
    assert (next_intake_limit(cook, nxt), next_intake_limit(cook2, nxt)) == before
    assert before[0]["reduction"] == 2 and before[1] is None
    assert not NextIntakeAdjustment.objects.filter(citation="A32.2").exists()


def test_A29_1_placements_open_from_the_approved_ranking_document(ew):
    from django.utils import timezone

    from kari.ranking.models import Admission, Ranking, RankingStatus

    now = timezone.now()
    ranking = Ranking.objects.create(
        round=ew["round"],
        status=RankingStatus.APPROVED,
        inputs_checksum="x" * 64,
        built_at=now,
        approved_at=now,
    )
    regs = [
        applicant(i, test_language=lang, round_=ew["round"]) for i, lang in ((0, "ka"), (1, "ru"))
    ]
    for reg in regs:
        Admission.objects.create(
            ranking=ranking,
            registration=reg,
            programme=ew["progs"]["COOK-A"],
            score=Decimal("81.5"),
            choice=1,
        )
    assert services.open_from_ranking(ew["emis"], ew["round"]) == 2
    assert services.open_from_ranking(ew["emis"], ew["round"]) == 0  # once only
    enrolments = list(ew["progs"]["COOK-A"].enrolments.order_by("registration__pk"))
    assert [e.georgian_module for e in enrolments] == [False, True]
    assert enrolments[0].admitted_on == timezone.localdate(now)
    assert enrolments[0].score == Decimal("81.5")
    with pytest.raises(PermissionDenied):
        services.open_from_ranking(ew["admin_a"], ew["round"])
