"""Query budget of a registration and a change (issue 20): each read once per call.

A regression guard, not a timing: a second validation, a lazy relation read per programme or
a repeated lookup of the applicant shows up as more queries."""

import re
from collections import Counter

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from kari.audit.models import AuditEntry
from kari.registration import services
from kari.registration.models import Applicant
from kari.sms import get_backend
from tests.registration.conftest import primary

pytestmark = pytest.mark.django_db


def sent_code() -> str:
    return re.search(r"\b(\d{6})\b", get_backend().messages()[-1]["text"]).group(1)


def reads(queries) -> Counter:
    """SELECTs per table (the first table named after FROM)."""
    out = Counter()
    for q in queries:
        m = re.match(r'\s*SELECT .*? FROM "([^"]+)"', q["sql"], re.S)
        if m:
            out[m.group(1)] += 1
    return out


def flow(reg, data, actor=None, channel="online"):
    """start() and confirm_pending(), each call's queries (not the sends after commit)."""
    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        CaptureQueriesContext(connection) as started,
    ):
        pending = services.start(actor, data, reg["round"], channel=channel)
    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        CaptureQueriesContext(connection) as confirmed,
    ):
        result = services.confirm_pending(pending.code_id, sent_code())
    return result, started.captured_queries, confirmed.captured_queries


def test_a_first_registration_reads_each_thing_once(reg):
    r, started, confirmed = flow(reg, primary())
    assert r.version == 1
    for queries in (started, confirmed):
        seen = reads(queries)
        assert seen["registration_applicant"] == 1
        assert seen["catalogue_programme"] == 1  # validated once per call
        assert seen["catalogue_municipality"] == 1
        # no applicant on record: no registration to look for
        assert seen["registration_registration"] == 0
    assert len(started) <= 11 and len(confirmed) <= 19


def test_a_change_reads_each_thing_once_and_audits_the_same(reg):
    flow(reg, primary())
    r, started, confirmed = flow(reg, primary(programmes=["CAT-2", "CAT-1"]))
    assert r.version == 2
    for queries in (started, confirmed):
        seen = reads(queries)
        assert seen["registration_applicant"] == 1 and seen["registration_registration"] == 1
        assert seen["catalogue_programme"] == 1
    seen = reads(confirmed)
    # the snapshot before the change: its relations come with the registration's row
    assert seen["catalogue_municipality"] == 1  # the validation's, not the snapshot's
    assert seen["catalogue_skillstest"] == seen["catalogue_subjectgroup"] == 0
    assert seen["registration_choice"] == 1
    assert len(started) <= 12 and len(confirmed) <= 21
    entry = AuditEntry.objects.get(action="registration.change")
    assert entry.before["programmes"] == ["CAT-1", "CAT-2"]
    assert entry.after["programmes"] == ["CAT-2", "CAT-1"]
    assert entry.before["exam_municipality"] == "tbilisi"
    assert (entry.before["skills_test"], entry.before["subject_group"]) == ("general", "G4")
    assert entry.before == entry.after | {"programmes": ["CAT-1", "CAT-2"]}


def test_a_change_that_changes_no_contact_does_not_rewrite_the_applicant(reg):
    flow(reg, primary())
    _r, _s, confirmed = flow(reg, primary(programmes=["CAT-2", "CAT-1"]))
    assert not [q for q in confirmed if q["sql"].startswith('UPDATE "registration_applicant"')]
    # a change of contacts (the code went to the ones on record) still writes them
    _r, _s, confirmed = flow(reg, primary(phone="+995 599 11 22 33"))
    assert [q for q in confirmed if q["sql"].startswith('UPDATE "registration_applicant"')]
    assert Applicant.objects.get().phone == "+995599112233"


def test_a_centre_registration_reads_the_clerk_once(reg):
    data = primary("61001012345", email="g@example.ge", phone="+995 555 00 00 02")
    data.pop("document_number")
    r, started, confirmed = flow(reg, data, reg["clerk"], "centre")
    assert r.clerk == reg["clerk"] and r.centre == reg["rc"]
    assert reads(confirmed)["accounts_user"] == 1
    assert len(started) <= 11 and len(confirmed) <= 20
