"""A23-A25: the commission, filing, hand-over, sessions, quorum, votes, decisions and effects."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from kari.accounts.roles import Role
from kari.accounts.signing import signing_body, verify_document
from kari.appeals import rules, services
from kari.appeals.models import ComplaintStatus, Decision, OverrideKind, Position
from kari.appeals.results import effective_results
from kari.audit.models import AuditEntry
from kari.errors import RuleError, ValidationError
from kari.exams.models import SittingStatus
from kari.exams.services import checkin
from kari.exams.services.results import import_results
from tests.appeals.conftest import meet

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def _file(w, sitting=None, **over):
    data = dict(
        ground="others",
        statement="ერთი აპლიკანტი მეორეს კარნახობდა.",
        others="ადგილი 3",
        id_shown=True,
        invitation_shown=True,
        now=w["at"](10),
    )
    data.update(over)
    return services.file_complaint(w["proctor"], sitting or w["sittings"][0], **data)


# ---------------------------------------------------------------- A23: the commission


def test_A23_1_naec_creates_the_commission_with_its_act(appeals_world):
    c = appeals_world["commission"]
    assert c.act_number == "01/123" and c.organisation.kind == "naec"
    assert sorted(m.position for m in c.active_members()) == sorted(
        ["chair", "deputy", "secretary", "member", "member"]
    )
    e = AuditEntry.objects.filter(action="appeals.constitute").get()
    assert e.after["act"] == "01/123"
    with pytest.raises(PermissionDenied):
        services.constitute(
            appeals_world["emis"],
            appeals_world["round"],
            act_number="x",
            act_date=dt.date.today(),
            members=[],
        )


def test_A23_1_membership_changes_are_audited_with_the_act(appeals_world):
    w = appeals_world
    member = w["members"][3]
    services.change_membership(
        w["naec"],
        w["commission"],
        user=member.user,
        position="",
        act_number="02/7",
        act_date=w["today"],
    )
    member.refresh_from_db()
    assert not member.active and member.ended_act_number == "02/7"
    e = AuditEntry.objects.filter(action="appeals.membership").get()
    assert e.after["act"] == "02/7" and e.before == {"position": "member"}
    with pytest.raises(ValidationError):  # a second chair
        services.change_membership(
            w["naec"],
            w["commission"],
            user=member.user,
            position=Position.CHAIR,
            act_number="02/8",
            act_date=w["today"],
        )


def test_A23_2_complaint_not_about_procedure_is_declined(received):
    w = received
    c = _file(w, w["sittings"][1], ground="other", statement="კითხვები ძალიან რთული იყო.")
    services.receive(w["secretary"].user, c, now=w["at"](15))
    m = meet(w, [0, 1, 2])
    votes = {x.pk: True for x in w["members"][:3]}
    with pytest.raises(ValidationError) as exc:
        services.put_to_vote(w["chair"].user, m, c, outcome="rejected", reasons="x", votes=votes)
    assert "A23.2" in str(exc.value) or "23.2" in str(exc.value)
    motion = services.put_to_vote(
        w["chair"].user, m, c, outcome="declined", reasons="არ ეხება პროცედურას.", votes=votes
    )
    assert motion.passed and motion.decision.outcome == "declined"


# ---------------------------------------------------------------- A25.1-A25.3: filing


def test_A25_1_proctor_files_on_the_test_day_with_a_receipt(appeals_world):
    w = appeals_world
    c = _file(w, files=[SimpleUploadedFile("protocol.png", PNG, "image/png")])
    assert c.status == ComplaintStatus.FILED and c.attachments.count() == 1
    assert c.handover_due == w["at"](10) + dt.timedelta(hours=24)
    from kari.appeals.documents import receipt_pdf

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt_pdf(c))).pages)
    assert c.number in text and "/appeals/check/" in text
    e = AuditEntry.objects.filter(action="appeals.file").get()
    assert w["sittings"][0].assignment.registration.applicant.personal_number not in str(e.after)
    with pytest.raises(RuleError):  # not on the test day
        _file(w, now=w["at"](10) + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        _file({**w, "proctor": w["emis"]})


def test_A25_1_refused_or_removed_applicant_may_file_but_not_a_no_show(appeals_world):
    w = appeals_world
    late = w["sittings"][3]
    checkin.refuse_entry(w["proctor"], late, reason="დააგვიანა")
    assert _file(w, late).pk
    if len(w["sittings"]) > 4:
        absent = w["sittings"][4]
        absent.status = SittingStatus.ABSENT
        absent.save()
        with pytest.raises(RuleError):
            _file(w, absent)


def test_A25_2_id_document_and_invitation_are_required(appeals_world):
    with pytest.raises(ValidationError) as exc:
        _file(appeals_world, id_shown=False, invitation_shown=False)
    assert set(exc.value.message_dict) == {"id_shown", "invitation_shown"}


def test_A25_3_ground_and_bounded_attachments(appeals_world):
    w = appeals_world
    with pytest.raises(ValidationError) as exc:
        _file(w, ground="content")
    assert "ground" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _file(w, files=[SimpleUploadedFile("a.exe", b"MZ" + b"0" * 10)])
    assert "files" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _file(w, files=[SimpleUploadedFile(f"{i}.png", PNG) for i in range(6)])
    big = SimpleUploadedFile("big.png", PNG + b"0" * rules.MAX_ATTACHMENT_BYTES)
    with pytest.raises(ValidationError):
        _file(w, files=[big])


def test_A25_1_handover_after_24_hours_is_stamped_late(appeals_world):
    w = appeals_world
    c = _file(w)
    c = services.receive(w["secretary"].user, c, now=w["at"](10) + dt.timedelta(hours=25))
    assert c.received_late
    on_time = services.receive(w["secretary"].user, _file(w), now=w["at"](18))
    assert not on_time.received_late


# ---------------------------------------------------------------- A24: sessions and votes


def test_A24_1_only_the_chair_or_deputy_convenes(appeals_world):
    w = appeals_world
    with pytest.raises(RuleError):
        services.convene(w["secretary"].user, w["commission"], at=w["at"](16))
    m = services.convene(w["deputy"].user, w["commission"], at=w["at"](16))
    assert m.presiding == w["deputy"]


def test_A24_4_no_decision_without_quorum(received):
    w = received
    c = received["complaint"]
    two = meet(w, [0, 2])  # 2 of 5 present: no quorum
    votes = {x.pk: True for x in (w["members"][0], w["members"][2])}
    with pytest.raises(RuleError) as exc:
        services.put_to_vote(w["chair"].user, two, c, outcome="rejected", reasons="x", votes=votes)
    assert "24.4" in str(exc.value)
    three = meet(w, [0, 2, 3])  # 3 of 5: quorum
    votes = {x.pk: True for x in (w["members"][0], w["members"][2], w["members"][3])}
    motion = services.put_to_vote(
        w["chair"].user, three, c, outcome="rejected", reasons="x", votes=votes
    )
    assert motion.passed


def test_A24_4_two_for_one_against_of_three_present_upholds(received):
    w = received
    c = w["complaint"]
    m = meet(w, [0, 2, 4])
    a, b, d = w["members"][0], w["members"][2], w["members"][4]
    violator = w["sittings"][1].assignment.registration
    motion = services.put_to_vote(
        w["chair"].user,
        m,
        c,
        outcome="upheld",
        reasons="დადასტურდა.",
        votes={a.pk: True, b.pk: True, d.pk: False},
        zero=[violator],
        remark=True,
    )
    assert motion.passed and (motion.in_favour, motion.against, motion.present) == (2, 1, 3)
    decision = motion.decision
    assert decision.outcome == "upheld" and decision.signed_by == w["chair"]
    assert {o.kind for o in decision.overrides.all()} == {"zero", "remark"}
    c.refresh_from_db()
    assert c.status == ComplaintStatus.DECIDED
    data = decision.pdf.read()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert decision.number in text and "24.4" in text
    # A24.5: a real PAdES signature with the document key of NAEC, the commission's body.
    result = verify_document(data)
    assert result.ok, result.problems
    assert signing_body(result) == w["commission"].organisation


def test_A24_4_one_for_two_against_is_not_carried(received):
    w = received
    m = meet(w, [0, 2, 4])
    a, b, d = w["members"][0], w["members"][2], w["members"][4]
    motion = services.put_to_vote(
        w["chair"].user,
        m,
        w["complaint"],
        outcome="rejected",
        reasons="x",
        votes={a.pk: True, b.pk: False, d.pk: False},
    )
    assert not motion.passed and not Decision.objects.exists()


def test_A24_4_conflicted_member_vote_is_refused(received):
    w = received
    c = w["complaint"]
    m = meet(w, [0, 2, 3, 4])
    conflicted = w["members"][4]
    services.declare_conflict(conflicted.user, c, conflicted, note="ნათესავი")
    votes = {x.pk: True for x in (w["members"][0], w["members"][2], w["members"][3])}
    with pytest.raises(ValidationError) as exc:
        services.put_to_vote(
            w["chair"].user,
            m,
            c,
            outcome="rejected",
            reasons="x",
            votes={**votes, conflicted.pk: False},
        )
    assert "votes" in exc.value.message_dict
    motion = services.put_to_vote(
        w["chair"].user, m, c, outcome="rejected", reasons="x", votes=votes
    )
    assert motion.present == 3 and motion.passed


def test_A24_4_conflict_does_not_lower_the_quorum(received):
    w = received
    c = w["complaint"]
    m = meet(w, [0, 2, 3])  # 3 of 5, but one withdraws: 2 of 5 is no quorum
    services.declare_conflict(w["chair"].user, c, w["members"][3])
    with pytest.raises(RuleError):
        services.put_to_vote(
            w["chair"].user,
            m,
            c,
            outcome="rejected",
            reasons="x",
            votes={w["members"][0].pk: True, w["members"][2].pk: True},
        )


def test_A24_6_member_stands_in_for_absent_secretary(received):
    w = received
    with pytest.raises(ValidationError):
        meet(w, [0, 3, 4])
    m = meet(w, [0, 3, 4], stand_in=w["members"][3])
    assert m.secretary == w["members"][3] and m.secretary_stands_in


def test_A24_3_decision_due_5_days_after_receipt_with_georgian_holidays():
    # Received Friday 2 January 2026: day 5 is 7 January, Orthodox Christmas: the 8th.
    assert rules.decision_due(dt.date(2026, 1, 2)) == dt.date(2026, 1, 8)
    assert rules.decision_due(dt.date(2026, 6, 1)) == dt.date(2026, 6, 8)  # Sat 6th -> Mon 8th
    assert rules.decision_due(dt.date(2026, 6, 2)) == dt.date(2026, 6, 8)


def test_A25_5_notice_due_2_days_after_decision_with_georgian_holidays():
    # Decided Sunday 10 May 2026: day 2 is 12 May, St Andrew's day: the 13th.
    assert rules.notice_due(dt.date(2026, 5, 10)) == dt.date(2026, 5, 13)
    assert rules.notice_due(dt.date(2026, 5, 4)) == dt.date(2026, 5, 6)


def test_A25_5_applicant_told_after_commit(received, smtp, django_capture_on_commit_callbacks):
    w = received
    m = meet(w, [0, 1, 2])
    with django_capture_on_commit_callbacks(execute=True):
        motion = services.put_to_vote(
            w["chair"].user,
            m,
            w["complaint"],
            outcome="rejected",
            reasons="x",
            votes={x.pk: True for x in w["members"][:3]},
        )
    person = w["complaint"].registration.applicant
    assert any(person.email in to for to, _msg in smtp.messages)
    assert motion.decision.notified_at is not None
    assert motion.decision.notice_due >= motion.decision.decided_at.date()


# ---------------------------------------------------------------- A25.4: effects


def _results_csv(w, score="20"):
    from kari.exams.models import Assignment

    subjects = sorted(s.code for s in w["progs_a"][0].subject_group.subjects.all())
    lines = [",".join(["personal_number", "status", "skills_score", *subjects])]
    for a in (
        Assignment.objects.issued().of_round(w["round"]).select_related("registration__applicant")
    ):
        statuses = set(a.sittings.values_list("status", flat=True))
        if statuses == {"checked_in"}:
            lines.append(
                ",".join(
                    [
                        a.registration.applicant.personal_number,
                        "completed",
                        score,
                        *[score] * len(subjects),
                    ]
                )
            )
        elif "removed" in statuses:
            lines.append(
                ",".join(
                    [a.registration.applicant.personal_number, "removed", "", *[""] * len(subjects)]
                )
            )
        elif "checked_in" in statuses:
            lines.append(
                ",".join(
                    [
                        a.registration.applicant.personal_number,
                        "not_finished",
                        "",
                        *[""] * len(subjects),
                    ]
                )
            )
        else:
            lines.append(
                ",".join(
                    [a.registration.applicant.personal_number, "absent", "", *[""] * len(subjects)]
                )
            )
    return "\n".join(lines).encode()


def test_A25_4_zero_and_remark_and_reimport_keeps_override(received):
    w = received
    c = w["complaint"]
    m = meet(w, [0, 1, 2])
    violator = w["sittings"][1].assignment.registration
    complainant = c.registration
    motion = services.put_to_vote(
        w["chair"].user,
        m,
        c,
        outcome="upheld",
        reasons="დადასტურდა.",
        votes={x.pk: True for x in w["members"][:3]},
        zero=[violator],
        remark=True,
    )
    # Every invited applicant sat every session: mark them all checked in for the results.
    from kari.exams.models import Sitting

    Sitting.objects.filter(assignment__distribution=w["distribution"]).update(status="checked_in")
    import_results(w["naec"], w["round"], _results_csv(w, "20"), "csv")
    eff = effective_results(w["round"])
    assert eff[violator.pk].skills_score == Decimal(0)  # the first session is the skills test
    assert eff[violator.pk].overrides[0].imported == Decimal(20)
    assert eff[complainant.pk].pending == ("skills",)
    assert eff[complainant.pk].skills_score == Decimal(20)
    remark = motion.decision.overrides.get(kind=OverrideKind.REMARK)
    with pytest.raises(PermissionDenied):
        services.enter_remark(w["chair"].user, remark, score="25")
    services.enter_remark(w["naec"], remark, score="25.5")
    # NAEC re-imports its file with other scores: the overrides stay in force.
    import_results(w["naec"], w["round"], _results_csv(w, "18"), "csv")
    eff = effective_results(w["round"])
    assert eff[violator.pk].skills_score == Decimal(0)
    assert eff[complainant.pk].skills_score == Decimal("25.5")
    assert eff[complainant.pk].overrides[0].imported == Decimal(18)
    other = w["sittings"][2].assignment.registration
    assert eff[other.pk].skills_score == Decimal(18) and not eff[other.pk].overrides


def test_permissions_each_role(appeals_world):
    w = appeals_world
    c = _file(w)
    with pytest.raises(PermissionDenied):
        services.receive(w["users"][Role.NAEC_OFFICER], c)
    with pytest.raises(RuleError):  # a commission-member role without membership
        other = w["make_user"]("cm-x", w["commission"].organisation, [Role.COMMISSION_MEMBER])
        services.receive(other, c)


def test_A24_5_decision_signed_for_a_body_with_a_long_georgian_name(received):
    w = received
    org = w["commission"].organisation
    org.name_ka = "შეფასებისა და გამოცდების ეროვნული ცენტრი"  # 112 bytes in UTF-8
    org.save(update_fields=["name_ka"])
    m = meet(w, [0, 1, 2])
    motion = services.put_to_vote(
        w["chair"].user,
        m,
        w["complaint"],
        outcome="rejected",
        reasons="x",
        votes={x.pk: True for x in w["members"][:3]},
    )
    assert verify_document(motion.decision.pdf.read()).ok


def test_A24_4_a_vote_locks_the_session_the_complaint_and_the_commission(received, monkeypatch):
    """Two members acting at once (the presiding member and the secretary, two sessions, a
    withdrawal during the vote) are put in order by row locks, always taken in the same order:
    the session, the complaint, then the commission that numbers the round's decisions."""
    from django.db import connection
    from django.db.models import QuerySet
    from django.test.utils import CaptureQueriesContext

    from kari.appeals.models import Commission, Complaint, Meeting

    w = received
    m = meet(w, [0, 2, 3])
    locked = []
    real = QuerySet.select_for_update

    def spy(qs, *args, **kwargs):
        locked.append(qs.model)
        return real(qs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    voters = {x.pk: True for x in (w["members"][0], w["members"][2], w["members"][3])}
    with CaptureQueriesContext(connection) as queries:
        motion = services.put_to_vote(
            w["chair"].user, m, w["complaint"], outcome="rejected", reasons="x", votes=voters
        )
    assert motion.passed
    assert [x for x in locked if x in (Meeting, Complaint, Commission)] == [
        Meeting,
        Complaint,
        Commission,
    ]
    if connection.features.has_select_for_update:  # PostgreSQL: the SQL itself, in order
        sql = [q["sql"] for q in queries.captured_queries]

        def first(pred):
            return next(i for i, q in enumerate(sql) if pred(q))

        lock_meeting = first(lambda q: "FOR UPDATE" in q and 'FROM "appeals_meeting"' in q)
        lock_complaint = first(lambda q: "FOR UPDATE" in q and 'FROM "appeals_complaint"' in q)
        lock_commission = first(lambda q: "FOR UPDATE" in q and 'FROM "appeals_commission"' in q)
        motion_insert = first(lambda q: q.startswith('INSERT INTO "appeals_motion"'))
        decision_insert = first(lambda q: q.startswith('INSERT INTO "appeals_decision"'))
        assert lock_meeting < lock_complaint < motion_insert
        assert lock_commission < decision_insert
    # A withdrawal after the decision is refused: it came too late to count.
    with pytest.raises(RuleError):
        services.declare_conflict(w["chair"].user, w["complaint"], w["members"][3])
