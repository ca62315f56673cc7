"""A29.4: entering the enrolled students into the management system sends them out of Kari and
cannot be undone, so the first POST only asks (GOV.UK "confirm"): it says how many students are
entered and how many of them late, and enters nobody; the confirmed POST enters them once."""

import datetime as dt

import pytest

from kari.enrolment import rules
from kari.enrolment.models import Enrolment
from kari.outbox.models import Message
from tests.conftest import sign_in

from .conftest import TODAY, applicant, enrol, place

pytestmark = pytest.mark.django_db


def _submissions(people) -> list:
    return list((people / "management-system").rglob("*.json"))


def test_A29_4_entering_asks_first_and_enters_only_once_confirmed(client, ew, people):
    regs = [applicant(i, round_=ew["round"]) for i in (0, 1)]
    on_time, late = (enrol(ew, e) for e in place(ew, [(regs[0], "COOK-A"), (regs[1], "COOK-A")]))
    week_ago = TODAY - dt.timedelta(days=7)
    Enrolment.objects.filter(pk=late.pk).update(
        contract_signed_on=week_ago, entry_by=rules.entry_by(week_ago)
    )
    messages, sent = Message.objects.count(), len(_submissions(people))
    sign_in(client, ew["admin_b"])  # another institution: its own (empty) list, not college-a's
    html = client.post("/enrolment/enter/", follow=True).content.decode()
    assert 'id="confirm-title"' not in html  # nothing to enter: said at once, nothing to confirm
    assert "ყველა ჩარიცხული სტუდენტი უკვე ასახულია" in html
    client.logout()
    sign_in(client, ew["admin_a"])

    page = client.post("/enrolment/enter/")
    html = page.content.decode()
    assert page.status_code == 200
    assert not Enrolment.objects.exclude(entered_at=None).exists()
    assert len(_submissions(people)) == sent  # nothing reached the management system
    assert Message.objects.count() == messages
    assert 'id="confirm-title"' in html and "მართვის სისტემაში" in html  # Georgian first
    assert "<dd>2</dd>" in html and "2 ჩარიცხული სტუდენტი" in html  # how many
    assert "მათგან 1 სტუდენტს" in html  # how many of them late
    assert 'name="confirmed" value="yes"' in html
    assert '<a href="/enrolment/" id="confirm-cancel">' in html  # a way back

    r = client.post("/enrolment/enter/", {"confirmed": "yes"})
    assert r.status_code == 302
    assert Enrolment.objects.filter(entered_at__isnull=False).count() == 2
    assert len(_submissions(people)) > sent
    after = len(_submissions(people))
    client.post("/enrolment/enter/", {"confirmed": "yes"})
    assert len(_submissions(people)) == after  # entered once
