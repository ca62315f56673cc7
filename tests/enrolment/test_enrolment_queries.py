"""Issue 20: what one placement costs in queries (documents, contract, act, entry). A guard
against repeated reads and validation creeping back, not a timing."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kari.audit.models import AuditEntry
from kari.enrolment import services
from kari.enrolment.models import Enrolment, Status, SubmissionState

from .conftest import applicant, place

pytestmark = pytest.mark.django_db


def statements(q) -> list[str]:
    """The statements run, without the savepoints of the services' transactions and the audit
    log's own (kari.audit.log: their number differs between the databases; its tests count
    them)."""
    return [
        x["sql"]
        for x in q.captured_queries
        if "SAVEPOINT" not in x["sql"] and '"audit_' not in x["sql"]
    ]


def test_one_placement_documents_and_contract_in_a_fixed_number_of_queries(ew):
    r, admin = ew["round"], ew["admin_a"]
    (e,) = place(ew, [(applicant(0, round_=r), "COOK-A")])
    first, second = ew["progs"]["COOK-A"].enrolment_terms.get(round=r).documents.all()
    # the lock, the document's last submission, the new one, whether every document is now
    # received (and the audit entry, not counted)
    with CaptureQueriesContext(connection) as q:
        services.mark_document(admin, e, first, received=True)
    assert len(statements(q)) == 4, statements(q)
    e.refresh_from_db()
    assert e.status == Status.ADMITTED
    # the last document completes the list: the enrolment's status, nothing re-read
    with CaptureQueriesContext(connection) as q:
        services.mark_document(admin, e, second, received=True)
    assert len(statements(q)) == 5, statements(q)
    e.refresh_from_db()
    assert e.status == Status.DOCUMENTS and e.enrol_by and e.documents_complete_on
    assert set(e.submissions.values_list("state", flat=True)) == {SubmissionState.RECEIVED}
    # the lock (with the institution's template), the programme's terms, the enrolment (and the
    # audit entry); the contract's PDF is written and never read back
    with CaptureQueriesContext(connection) as q:
        services.sign_contract(admin, e, funding="voucher")
    assert len(statements(q)) == 3, statements(q)
    assert not any('"contract_pdf"' in s for s in statements(q) if s.startswith("SELECT"))
    e.refresh_from_db()
    assert bytes(e.contract_pdf).startswith(b"%PDF") and e.contract_signed_on
    assert AuditEntry.objects.filter(action="enrolment.document").count() == 2
    assert AuditEntry.objects.filter(action="enrolment.contract").count() == 1


def test_the_act_and_the_entry_update_the_students_together(ew):
    r, admin = ew["round"], ew["admin_a"]
    es = place(ew, [(applicant(i, round_=r), "COOK-A") for i in range(3)])
    docs = list(ew["progs"]["COOK-A"].enrolment_terms.get(round=r).documents.all())
    for e in es:
        for d in docs:
            services.mark_document(admin, e, d, received=True)
        services.sign_contract(admin, e, funding="voucher")
    with CaptureQueriesContext(connection) as q:
        act = services.issue_act(admin, ew["a"], r)
    updates = [s for s in statements(q) if s.startswith('UPDATE "enrolment_enrolment"')]
    assert len(updates) == 1  # one student status, one A29.4 deadline: one update
    enrolled = Enrolment.objects.filter(act=act)
    assert enrolled.count() == 3
    assert {e.status for e in enrolled} == {Status.ENROLLED}
    assert all(e.entry_by and e.status_changed_at for e in enrolled)
    with CaptureQueriesContext(connection) as q:
        assert services.enter_into_management_system(admin, ew["a"], r) == 3
    updates = [s for s in statements(q) if s.startswith('UPDATE "enrolment_enrolment"')]
    assert len(updates) == 1  # all on time
    assert not Enrolment.objects.filter(act=act, entered_at__isnull=True).exists()
    assert not Enrolment.objects.filter(act=act, entry_late=True).exists()
