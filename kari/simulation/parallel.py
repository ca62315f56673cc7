"""The simulated people act side by side: independent flows in worker processes.

Real applicants register, change their lists and reply to their placements at the same time;
on PostgreSQL the simulation does the same, in ``sim.workers`` processes forked from the
simulation's own, each with its own database connection, clock and phones. The work is
partitioned by the person's (or the unit's) index, ``items[w::workers]``, and each worker
goes through its share in the order given, so every flow runs on the same simulated instant
and with the same choices whatever the number of workers: the outcome does not depend on it
(only the order of the database's ids does). Each worker returns plain values (picklable);
the parent merges them in the items' order.

Each flow is still one call of a service (its transaction, permission, audit entry and
notices). The audit chain stays one chain: ``kari.audit.log.record`` appends under a row lock
on the chain's head (``SELECT ... FOR UPDATE``), so concurrent transactions append one after
another and ``kari audit verify`` passes.

On SQLite (one writer at a time) and inside an outer transaction (a test: the workers would
not see its rows) the items run here, in this process.
"""

import multiprocessing
import os
import traceback
from collections.abc import Callable, Sequence

from django.db import connection, connections

from .cpu import db_cpu


def can_fork(workers: int) -> bool:
    return (
        workers > 1
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and "fork" in multiprocessing.get_all_start_methods()
    )


def run(sim, items: Sequence, fn: Callable, *, workers: int | None = None) -> list:
    """``fn(sim, part) -> list`` over ``items`` partitioned by index among the workers; the
    results in the order of ``items`` (``fn`` returns one result per item of its part).
    The parent's clock then stands at the latest worker's (the round goes on from there)."""
    workers = sim.workers if workers is None else workers
    workers = min(workers, len(items))
    if not can_fork(workers):
        return list(fn(sim, list(items)))
    sim.db_cpu_closed += db_cpu()  # the parent's backend so far (runner.py counts it)
    connections.close_all()  # each worker opens its own connection
    ctx = multiprocessing.get_context("fork")
    pipes, procs = [], []
    for w in range(workers):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, sim, list(items[w::workers]), fn))
        proc.start()
        send.close()
        pipes.append(recv)
        procs.append(proc)
    parts, errors, clocks = [], [], []
    for recv in pipes:
        try:
            ok, value, at, used = recv.recv()
        except EOFError:
            ok, value, at, used = False, "the worker died", None, 0.0
        (parts if ok else errors).append(value)
        sim.worker_db_cpu_seconds += used
        if at is not None:
            clocks.append(at)
    for proc in procs:
        proc.join()
    if errors:
        raise RuntimeError("a simulation worker failed:\n" + "\n".join(errors))
    if clocks:
        sim.clock.at_time(max(clocks))
    out: list = [None] * len(items)
    for w, part in enumerate(parts):
        out[w::workers] = part
    return out


def _child(send, sim, part, fn) -> None:
    """In the forked worker: a fresh connection, the share, the results up the pipe."""
    code = 0
    try:
        result = list(fn(sim, part))
        send.send((True, result, sim.clock.now(), db_cpu()))  # its database backend's CPU
    except BaseException:  # reported by the parent, which stops the stage
        send.send((False, traceback.format_exc(), None, 0.0))
        code = 1
    finally:
        try:
            connections.close_all()
        finally:
            send.close()
            os._exit(code)
