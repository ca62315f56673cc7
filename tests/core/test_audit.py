"""The append-only, hash-chained audit log (A3)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from kari.accounts.roles import Role
from kari.audit.log import verify
from kari.audit.models import AppendOnlyError, AuditEntry
from kari.catalogue import services


def _disable_guard():
    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("DROP TRIGGER audit_no_update")
            c.execute("DROP TRIGGER audit_no_delete")
        else:
            c.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_no_change")


@pytest.fixture(autouse=True)
def own_witness_file(settings, tmp_path):
    """`kari audit verify` reads this test's own signed heads (see test_audit_anchor.py)."""
    settings.KARI_AUDIT_ANCHOR = settings.KARI_AUDIT_ANCHOR | {
        "WITNESS": str(tmp_path / "audit-witness.jsonl"),
        "KEY_FILE": str(tmp_path / "audit-anchor.pem"),
    }


@pytest.fixture
def logged(world):
    admin = world["users"][Role.INSTITUTION_ADMIN]
    services.set_places(admin, world["inst_a"], world["round"], {"A-0": (10, 1)}, reason="first")
    services.set_places(admin, world["inst_a"], world["round"], {"A-0": (12, 2)}, reason="second")
    assert AuditEntry.objects.count() > 5
    return world


def test_every_state_change_records_who_when_what_and_why(logged):
    e = AuditEntry.objects.filter(action="announcement.places").last()
    assert e.actor.username == "u-institution_admin"
    assert e.organisation == logged["inst_a"].organisation
    assert e.before["lines"] == {"A-0": [10, 1]} and e.after["lines"] == {"A-0": [12, 2]}
    assert e.reason == "second" and e.at is not None
    assert ("lines", {"A-0": [10, 1]}, {"A-0": [12, 2]}) in e.changes()


def test_intact_chain_verifies(logged):
    assert verify() == []
    call_command("audit", "verify")


def test_entries_cannot_be_changed_or_deleted_through_the_orm(logged):
    e = AuditEntry.objects.first()
    e.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        e.save()
    with pytest.raises(AppendOnlyError):
        e.delete()


def test_the_database_refuses_updates_and_deletes(logged):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=AuditEntry.objects.first().pk).update(reason="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()


def test_tampering_with_an_entry_is_detected(logged):
    _disable_guard()
    target = AuditEntry.objects.filter(action="announcement.places").first()
    AuditEntry.objects.filter(pk=target.pk).update(after={"lines": {"A-0": [99, 10]}})
    problems = verify()
    assert [p.seq for p in problems] == [target.seq]
    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_deleting_an_entry_in_the_middle_is_detected(logged):
    _disable_guard()
    target = AuditEntry.objects.order_by("seq")[2]
    AuditEntry.objects.filter(pk=target.pk).delete()
    messages = " ".join(p.message for p in verify())
    assert "missing" in messages and "broken" in messages


def test_deleting_the_last_entry_is_detected(logged):
    _disable_guard()
    AuditEntry.objects.filter(pk=AuditEntry.objects.order_by("-seq").first().pk).delete()
    assert any("end of the log" in p.message for p in verify())


def test_staff_read_histories_only_of_their_own_organisation(client, logged):
    from kari.audit.services import visible_entries

    admin_b = logged["admin_b"]
    ann = logged["inst_a"].announcements.get()
    assert (
        not visible_entries(admin_b)
        .filter(object_id=str(ann.pk), object_type="catalogue.announcement")
        .exists()
    )
    assert (
        visible_entries(logged["users"][Role.INSTITUTION_ADMIN])
        .filter(object_type="catalogue.announcement")
        .exists()
    )
    assert (
        visible_entries(logged["users"][Role.QUALITY_OFFICER])
        .filter(object_type="catalogue.announcement")
        .exists()
    )


def test_a_role_of_the_wrong_kind_reads_no_history(logged):
    """The log's read check is the one permission check: a role held in an organisation of
    the wrong kind gives neither national oversight nor the own organisation's history."""
    from kari.accounts.models import RoleGrant
    from kari.audit.services import visible_entries

    admin = logged["users"][Role.INSTITUTION_ADMIN]
    assert visible_entries(admin).exists()
    RoleGrant.objects.filter(user=admin).delete()
    RoleGrant.objects.create(user=admin, role=Role.QUALITY_OFFICER)  # not an institution's role
    admin = type(admin).objects.get(pk=admin.pk)
    assert not visible_entries(admin).exists()
    assert not visible_entries(None).exists()


def test_an_entry_on_an_organisation_belongs_to_that_organisation(logged):
    """record() finds the organisation of what it logs (the organisation itself, or the
    object's organisation or institution) without importing kari.accounts."""
    from kari.accounts.services import create_organisation

    new = create_organisation(None, code="new-host", kind="exam_host", name_ka="ახალი")
    entry = AuditEntry.objects.get(action="organisation.create")
    assert entry.object_id == str(new.pk) and entry.organisation_id == new.pk
    org = logged["inst_a"].organisation
    ann = logged["inst_a"].announcements.get()
    entry = AuditEntry.objects.filter(object_type="catalogue.announcement").last()
    assert entry.object_id == str(ann.pk) and entry.organisation_id == org.pk
