"""`kari worker` and its database connections on PostgreSQL (issue 13): a connection that dies
(PostgreSQL restarted, `pg_terminate_backend`) is replaced; the worker survives and carries on,
and the task it was running is run again rather than lost or failed."""

import psycopg
import pytest
from django.db import connection
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from kari.tasks.models import Lease
from kari.tasks.worker import LeasedWorker, run_pending

pytestmark = pytest.mark.django_db(transaction=True)

CALLS: list[int] = []


@task()
def cut_own_connection_once(n: int) -> int:
    """A task whose database connection is terminated the first time it runs."""
    CALLS.append(n)
    with connection.cursor() as c:
        if len(CALLS) == 1:
            c.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        c.execute("SELECT %s", [n])
        return c.fetchone()[0]


@task()
def answer(n: int) -> int:
    CALLS.append(n)
    return n


def _postgres():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's pg_terminate_backend (the PostgreSQL pass of make test)")
    CALLS.clear()


def _terminate(pid: int) -> None:
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]


def test_a_connection_terminated_mid_task_is_replaced_and_the_task_run_again():
    _postgres()
    cut_own_connection_once.enqueue(7)
    answer.enqueue(8)  # queued behind it: the worker carries on
    run_pending()
    first, second = DBTaskResult.objects.order_by("enqueued_at")
    assert CALLS == [7, 7, 8]
    assert first.status == "SUCCESSFUL" and first.return_value == 7
    assert Lease.objects.get(task=first).requeues == 1  # put back at once, not after its lease
    assert second.status == "SUCCESSFUL"


def test_an_idle_persistent_connection_terminated_between_tasks_is_replaced_before_use(
    monkeypatch,
):
    _postgres()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    worker = LeasedWorker(batch=True, interval=0)
    connection.close()
    assert worker.step() is False  # idle: a persistent connection stays open
    answer.enqueue(9)
    pid = connection.connection.info.backend_pid
    _terminate(pid)  # as a restart of PostgreSQL would, while the worker sleeps
    assert worker.step() is True
    t = DBTaskResult.objects.get()
    assert connection.connection.info.backend_pid != pid
    assert t.status == "SUCCESSFUL" and Lease.objects.get(task=t).requeues == 0 and CALLS == [9]
