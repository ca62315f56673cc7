"""Appending to the audit log: its statements, the values it stores (as ever), the head, and
concurrent appends on PostgreSQL."""

import datetime as dt
import decimal
import json
import threading
from collections import OrderedDict

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy

from kari.accounts.models import Organisation
from kari.audit.log import GENESIS, _default, normalise, record, verify
from kari.audit.models import AuditEntry, ChainHead

pytestmark = pytest.mark.django_db


def _roundtrip(data):
    return json.loads(json.dumps(data, default=_default, sort_keys=True))


class Label(str):
    pass


@pytest.mark.parametrize(
    "data",
    [
        {"b": 1, "a": [1, 2, (3, 4)], "c": {"z": None, "y": True, "x": "ყ"}},
        {"at": dt.datetime(2027, 4, 8, 9, 0, tzinfo=dt.UTC), "day": dt.date(2027, 4, 8)},
        {"t": dt.time(9, 30), "amount": decimal.Decimal("12.50"), "codes": {"b", "a"}},
        {2: "int keys", 1: "are strings once stored"},
        {"lazy": gettext_lazy("Sign in first."), "sub": Label("x"), "f": 0.1, "n": -3},
        OrderedDict([("b", 1), ("a", 2)]),
        [{"b": 1, "a": 2}, "x", 3, None],
        "plain",
        7,
    ],
)
def test_normalise_stores_what_the_json_round_trip_stored(data):
    out = normalise(data)
    assert out == _roundtrip(data)
    assert json.dumps(out) == json.dumps(_roundtrip(data))  # the same keys in the same order
    assert normalise(None) is None


def test_normalise_refuses_what_the_json_round_trip_refused():
    with pytest.raises(TypeError):
        normalise({1: "an int key beside", "x": "a string key"})


def _org():
    return Organisation.objects.create(code="AUDIT-T", name_ka="ტ", name_en="T", kind="naec")


def test_the_first_entry_makes_the_head_and_each_entry_moves_it():
    org = _org()
    assert not AuditEntry.objects.exists()  # a fresh log: no head yet
    ChainHead.objects.all().delete()
    with transaction.atomic():
        first = record(None, "test.one", org, after={"n": 1}, reason="r")
    with transaction.atomic():
        second = record(None, "test.two", org, before={"n": 1}, after={"n": 2})
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert first.pk and second.pk and not second._state.adding
    stored = AuditEntry.objects.get(pk=second.pk)
    assert (stored.action, stored.before, stored.after) == ("test.two", {"n": 1}, {"n": 2})
    assert (stored.organisation_id, stored.hash) == (org.pk, second.hash)
    head = ChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (2, second.hash)
    assert verify() == []


def test_an_entry_takes_two_statements_on_postgresql_three_on_sqlite():
    org = _org()
    with transaction.atomic():
        record(None, "test.warm", org)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        record(None, "test.counted", org, after={"x": 1})
    sql = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN"))
    ]
    assert len(sql) == (2 if connection.vendor == "postgresql" else 3), sql
    assert "FOR UPDATE" in sql[0] or connection.vendor != "postgresql"
    assert verify() == []


def test_a_rolled_back_entry_leaves_the_chain_as_it_was():
    org = _org()
    with transaction.atomic():
        kept = record(None, "test.kept", org)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(None, "test.lost", org)
        raise RuntimeError("the service failed")
    with transaction.atomic():
        after = record(None, "test.after", org)
    assert (after.seq, after.prev_hash) == (kept.seq + 1, kept.hash)
    assert verify() == []


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        record(None, "test.none", _org())


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_make_one_chain_in_commit_order():
    """Threads with their own connections append at once (PostgreSQL: the head's row lock
    orders them): one unbroken chain, the sequence numbers in the order of the commits."""
    if connection.vendor != "postgresql":
        pytest.skip("one writer at a time on SQLite")
    org = _org()
    committed: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def append(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    entry = record(None, "test.concurrent", org, after={"thread": n, "i": i})
                    # the commit happens under the head's lock, so this order is the commits'
                    with lock:
                        committed.append(entry.seq)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(committed) == 40 and committed == sorted(committed)
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify() == []
