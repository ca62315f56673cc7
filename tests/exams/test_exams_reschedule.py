"""A18.2: after force majeure or a fault of EMIS or NAEC, NAEC sets a new date for a session."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from kari import sms
from kari.audit.models import AuditEntry
from kari.errors import ValidationError
from kari.exams import services
from kari.exams.models import Invitation
from kari.tasks.worker import run_pending
from tests.conftest import sign_in


def _new_time(world, days=1):
    return {
        "date": world["today"] + dt.timedelta(days=days),
        "starts_at": dt.time(18, 0),
        "check_in_opens": dt.time(16, 30),
        "check_in_closes": dt.time(17, 45),
    }


def _pdf_text(path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)


def test_A18_2_naec_moves_a_session_after_invitations_cards_are_rendered_again_and_applicants_told(
    issued, django_capture_on_commit_callbacks
):
    session = issued["sessions"][0]
    inv = Invitation.objects.get(registration=issued["regs"][2])
    assert "16:30" not in _pdf_text(inv.pdf.path)
    with django_capture_on_commit_callbacks(execute=True):
        services.reschedule_session(
            issued["naec"], session, _new_time(issued), reason="ელექტროენერგიის გათიშვა / power cut"
        )
    run_pending()  # the worker renders the cards again (a queued task)
    session.refresh_from_db()
    assert session.date == issued["today"] + dt.timedelta(days=1)
    assert session.starts_at == dt.time(18, 0)
    text = _pdf_text(Path(inv.pdf.path))
    assert "16:30" in text and "18:00" in text
    entry = AuditEntry.objects.get(action="exam_session.reschedule")
    assert "power cut" in entry.reason and entry.after["invitations"] == 10
    told = [m for m in sms.get_backend().messages() if "A18.2" in m["text"]]
    assert len(told) == 10


def test_A18_2_needs_a_reason_and_a_date_not_in_the_past(issued):
    session = issued["sessions"][0]
    with pytest.raises(ValidationError) as exc:
        services.reschedule_session(issued["naec"], session, _new_time(issued), reason=" ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.reschedule_session(
            issued["naec"], session, _new_time(issued, days=-1), reason="storm"
        )
    assert "date" in exc.value.message_dict


def test_A18_2_the_new_time_may_not_overlap_another_session(issued):
    first, second = issued["sessions"][:2]
    data = {
        "date": second.date,
        "starts_at": second.starts_at,
        "check_in_opens": second.check_in_opens,
        "check_in_closes": second.check_in_closes,
    }
    with pytest.raises(ValidationError) as exc:
        services.reschedule_session(issued["naec"], first, data, reason="storm")
    assert "starts_at" in exc.value.message_dict


def test_A18_2_only_naec_moves_sessions(issued):
    with pytest.raises(PermissionDenied):
        services.reschedule_session(
            issued["emis"], issued["sessions"][0], _new_time(issued), reason="storm"
        )


def test_A18_2_over_http_a_rejected_form_keeps_the_input(issued, client):
    session = issued["sessions"][0]
    sign_in(client, issued["naec"])
    url = f"/exams/sessions/{session.pk}/reschedule/"
    page = client.get(url).content.decode()
    assert "(მუხ. 18.2)" in page
    bad = {
        "date": str(issued["today"] + dt.timedelta(days=1)),
        "starts_at": "18:00",
        "check_in_opens": "16:30",
        "check_in_closes": "17:45",
        "reason": "",
    }
    response = client.post(url, bad)
    assert response.status_code == 200 and 'value="16:30"' in response.content.decode()
    response = client.post(url, {**bad, "reason": "storm"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.starts_at == dt.time(18, 0)


def test_A18_2_refused_while_the_cards_are_being_rendered(exam_world):
    from kari.errors import RuleError

    d = services.distribute(exam_world["emis"], exam_world["round"])
    services.agree_distribution(exam_world["naec"], d)  # A17.2
    services.start_invitations(exam_world["emis"], d)  # the job is queued, not yet run
    with pytest.raises(RuleError, match="მუხ. 18.2"):
        services.reschedule_session(
            exam_world["naec"], exam_world["sessions"][0], _new_time(exam_world), reason="storm"
        )
