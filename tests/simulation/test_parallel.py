"""The simulated people side by side (kari.simulation.parallel): the items shared out by
index among forked workers, the results merged back in the items' order, a worker's failure
reported, and the work done in this process where workers cannot be used."""

import datetime as dt
import os
from dataclasses import dataclass

import pytest

from kari.simulation import parallel
from kari.simulation.clock import Clock


@dataclass
class FakeSim:
    clock: Clock
    workers: int = 3
    db_cpu_closed: float = 0.0
    worker_db_cpu_seconds: float = 0.0


def _sim(workers=3):
    return FakeSim(Clock(dt.datetime(2027, 3, 1, 9, 0)), workers)


def _square(sim, part):
    # each flow at its own instant: the latest one is where the parent's clock goes on from
    sim.clock.jump(dt.date(2027, 3, 1), 10, max(part))
    return [(os.getpid(), x * x) for x in part]


class NoConnections:
    """Stands for django.db.connections in the forked tests. The real `close_all` would close
    this test process's connection, which holds the shared test worlds' open transaction (the
    next test then failed on PostgreSQL with "the connection is closed"), and a forked child
    closing the connection it inherited would end the parent's session at the server."""

    closed = 0

    def close_all(self):
        NoConnections.closed += 1


@pytest.fixture
def forking(monkeypatch):
    """Workers forked whatever the database (no database is used here)."""
    monkeypatch.setattr(parallel, "can_fork", lambda workers: True)
    monkeypatch.setattr(parallel, "db_cpu", lambda: 0.0)
    monkeypatch.setattr(parallel, "connections", NoConnections())


def test_workers_share_the_items_and_the_results_come_back_in_order(forking):
    sim = _sim()
    out = parallel.run(sim, list(range(10)), _square)
    assert [square for _pid, square in out] == [x * x for x in range(10)]
    pids = {pid for pid, _square in out}
    assert len(pids) == 3 and os.getpid() not in pids
    # item i went to worker i % 3
    assert out[0][0] == out[3][0] == out[9][0] and out[1][0] == out[4][0]
    assert sim.clock.now().hour == 10 and sim.clock.now().minute == 9


def _fail(sim, part):
    if 4 in part:
        raise ValueError("the service refused")
    return list(part)


def test_a_failing_worker_stops_the_stage_with_its_traceback(forking):
    with pytest.raises(RuntimeError, match="the service refused"):
        parallel.run(_sim(), list(range(6)), _fail)


def test_without_workers_the_items_run_here():
    # one worker (or SQLite, or inside a test's transaction): this process, in order
    out = parallel.run(_sim(workers=1), list(range(5)), _square)
    assert {pid for pid, _ in out} == {os.getpid()}
    assert [square for _pid, square in out] == [x * x for x in range(5)]
    assert parallel.can_fork(1) is False


@pytest.mark.django_db
def test_forking_leaves_the_test_process_connection_usable(forking, world):
    """The parent closes its connections before forking (`NoConnections` counts it); this test
    process's own connection, inside the worlds' transaction, goes on working."""
    from kari.accounts.models import Organisation

    before = Organisation.objects.count()
    closed = NoConnections.closed
    parallel.run(_sim(), list(range(6)), _square)
    assert NoConnections.closed == closed + 1
    assert Organisation.objects.count() == before
