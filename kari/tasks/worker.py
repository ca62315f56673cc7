"""``kari worker``'s loop: django_tasks_db's worker, with leases, a heartbeat and requeueing.

django_tasks_db marks a task RUNNING when a worker claims it and leaves it so for ever if that
worker is killed. Here the claim also takes a lease (:class:`~kari.tasks.models.Lease`) in the
same transaction; a heartbeat thread *in the worker process* renews it while the task runs; and
every worker, between tasks, puts back in the queue the RUNNING tasks whose lease has expired,
so a live worker runs them again (tasks are idempotent: they resume from the progress recorded
in the database). A task abandoned more than ``MAX_REQUEUES`` times is failed instead.

The loop also calls the ``idle`` hooks (the outbox's delivery) between tasks, and carries on
through a lost database connection (PostgreSQL restarted) instead of dying.
"""

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .errors import LOST, connection_lost
from .models import Lease

log = logging.getLogger(__name__)

DEFAULTS = {"LEASE_SECONDS": 60, "HEARTBEAT_SECONDS": 10, "MAX_REQUEUES": 3}


def option(name: str) -> int | float:
    return getattr(settings, "KARI_TASKS", {}).get(name, DEFAULTS[name])


class AbandonedTaskError(RuntimeError):
    """Recorded on a task whose workers died too often while running it."""


def abandoned(now: dt.datetime | None = None):
    """RUNNING tasks whose lease has expired (or that never got one, claimed long ago)."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=option("LEASE_SECONDS"))
    return DBTaskResult.objects.running().filter(
        Q(lease__heartbeat_at__lt=cutoff) | Q(lease__isnull=True, started_at__lt=cutoff)
    )


def _requeue(task: DBTaskResult, why: str) -> bool:
    """Put one RUNNING task back in the queue (in the caller's transaction); a task put back
    more than ``MAX_REQUEUES`` times is failed instead. True when it was put back."""
    lease, _ = Lease.objects.get_or_create(
        task=task, defaults={"worker_id": "", "heartbeat_at": timezone.now()}
    )
    lease.requeues += 1
    lease.worker_id, lease.heartbeat_at = "", timezone.now()
    lease.save(update_fields=["requeues", "worker_id", "heartbeat_at"])
    if lease.requeues > option("MAX_REQUEUES"):
        log.error("task %s stopped %s times (%s): failed", task.pk, lease.requeues, why)
        task.set_failed(
            AbandonedTaskError(f"it stopped {lease.requeues} times while running ({why})")
        )
        return False
    log.warning("task %s %s: back in the queue", task.pk, why)
    DBTaskResult.objects.filter(pk=task.pk).update(status="READY", started_at=None)
    return True


def requeue_abandoned(now: dt.datetime | None = None) -> int:
    """Put the tasks of dead workers back in the queue; returns how many."""
    count = 0
    with transaction.atomic():
        stale = abandoned(now).select_for_update(skip_locked=True, of=("self",))
        for task in stale:
            count += _requeue(task, "lost its worker")
    return count


def requeue_interrupted(task_id) -> bool:
    """Put back in the queue, at once, a task this live worker was running when its database
    connection died (PostgreSQL restarted, ``pg_terminate_backend``): the task could not even
    record its end. Run on a fresh connection."""
    with transaction.atomic():
        task = (
            DBTaskResult.objects.running()
            .select_for_update(skip_locked=True, of=("self",))
            .filter(pk=task_id)
            .first()
        )
        return task is not None and _requeue(task, "lost its database connection")


def fresh_connection() -> None:
    """Replace a connection that is obsolete, broken, or died while idle (a persistent
    connection terminated by a restart of PostgreSQL or ``pg_terminate_backend``): Django's
    ``close_old_connections``, as around each web request, then a health check, since the
    worker's first query is often in a transaction, where Django's own check is not made.
    Inside a caller's transaction (``run_pending`` in a test) the connection is the caller's."""
    if connection.in_atomic_block:
        return
    close_old_connections()
    if connection.connection is not None and not connection.is_usable():
        log.warning("the database connection died while idle: replaced")
        connection.close()


def drop_connection() -> None:
    """Close a connection that failed, so that the next query opens a new one (unless it
    belongs to a caller's transaction: see :func:`fresh_connection`)."""
    if not connection.in_atomic_block:
        connection.close()


class Heartbeat(threading.Thread):
    """Renews the lease of the task being run, from the worker process, with its own
    database connection (Django's connections are per thread)."""

    def __init__(self, task_id, worker_id: str):
        super().__init__(name=f"kari-heartbeat-{task_id}", daemon=True)
        self.task_id, self.worker_id = task_id, worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        every = option("HEARTBEAT_SECONDS")
        try:
            while not self.stopped.wait(every):
                try:
                    Lease.objects.filter(task_id=self.task_id, worker_id=self.worker_id).update(
                        heartbeat_at=timezone.now()
                    )
                except (OperationalError, InterfaceError):  # the next beat tries again
                    log.warning("heartbeat of task %s missed", self.task_id)
                    connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


class LeasedWorker(Worker):
    def __init__(
        self,
        *,
        idle: Iterable[Callable[[str], int]] = (),
        queue_names: list[str] | None = None,
        interval: float = 1.0,
        batch: bool = False,
        max_tasks: int | None = None,
        worker_id: str | None = None,
    ):
        super().__init__(
            queue_names=queue_names or ["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        self.idle = list(idle)

    def claim_next(self) -> DBTaskResult | None:
        """Claim the next ready task and take its lease, in one transaction."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        try:
            with exclusive_transaction(tasks.db):
                task = tasks.get_locked()
                if task is not None:
                    task.claim(self.worker_id)
                    Lease.objects.update_or_create(
                        task=task,
                        defaults={"worker_id": self.worker_id, "heartbeat_at": timezone.now()},
                    )
                return task
        except OperationalError as exc:
            if is_locked_database_exception(exc):  # SQLite busy: try again next round
                return None
            raise

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run one task under its lease (django_tasks_db's ``Worker.run_task``, but a task
        interrupted by a lost database connection is not failed: the connection is replaced,
        the task put back in the queue at once (it resumes from its recorded progress), and
        this worker carries on)."""
        beat = Heartbeat(db_task_result.pk, self.worker_id)
        beat.start()
        self.running_task = True
        try:
            task = db_task_result.task
            result = db_task_result.task_result
            backend = task.get_backend()
            task_started.send(sender=backend, task_result=result)
            if task.takes_context:
                value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
            else:
                value = task.call(*result.args, **result.kwargs)
            db_task_result.set_successful(value)
            task_finished.send(sender=backend, task_result=db_task_result.task_result)
        except BaseException as exc:
            if connection_lost(exc):
                self.interrupted(db_task_result.pk)
            else:
                self.failed(db_task_result, exc)
        finally:
            self.running_task = False
            self._run_tasks += 1
            beat.stop()

    def interrupted(self, task_id) -> None:
        log.warning("task %s: the database connection died", task_id)
        drop_connection()
        try:
            requeue_interrupted(task_id)
        except LOST:  # still unreachable: the task's lease expires and it is requeued then
            drop_connection()

    def failed(self, db_task_result: DBTaskResult, exc: BaseException) -> None:
        try:
            db_task_result.set_failed(exc)
        except LOST:  # could not even record it: run it again rather than lose it
            self.interrupted(db_task_result.pk)
            return
        try:
            sender = type(db_task_result.task.get_backend())
            result = db_task_result.task_result
        except (ImportError, SuspiciousOperation):
            log.exception("task %s failed unexpectedly", db_task_result.pk)
        else:
            task_finished.send(sender=sender, task_result=result)

    def step(self) -> bool:
        """One round: requeue, run one task, deliver; True when there was work. Stale or
        broken connections are replaced before and after each task (as Django does around
        each request)."""
        fresh_connection()
        requeue_abandoned()
        task = self.claim_next()
        if task is not None:
            self.run_task(task)
            fresh_connection()
        busy = task is not None
        for hook in self.idle:
            busy = bool(hook(self.worker_id)) or busy
        return busy

    def run(self) -> None:
        log.info("worker %s started", self.worker_id)
        while self.running:
            try:
                busy = self.step()
            except (OperationalError, InterfaceError):
                log.warning("the database is unreachable: trying again", exc_info=True)
                drop_connection()
                busy = False
            if self.batch and not busy:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and not busy:
                time.sleep(self.interval)


def run_pending(idle: Iterable[Callable[[str], int]] = ()) -> None:
    """Run every queued task (and idle hook) in this process until nothing is left: for
    the tests, the demo's build and the command line."""
    LeasedWorker(idle=idle, batch=True, interval=0).run()
