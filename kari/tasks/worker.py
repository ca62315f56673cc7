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
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

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


def requeue_abandoned(now: dt.datetime | None = None) -> int:
    """Put the tasks of dead workers back in the queue; returns how many."""
    count = 0
    with transaction.atomic():
        stale = abandoned(now).select_for_update(skip_locked=True, of=("self",))
        for task in stale:
            lease, _ = Lease.objects.get_or_create(
                task=task, defaults={"worker_id": "", "heartbeat_at": timezone.now()}
            )
            lease.requeues += 1
            lease.worker_id, lease.heartbeat_at = "", timezone.now()
            lease.save(update_fields=["requeues", "worker_id", "heartbeat_at"])
            if lease.requeues > option("MAX_REQUEUES"):
                log.error("task %s abandoned %s times: failed", task.pk, lease.requeues)
                task.set_failed(
                    AbandonedTaskError(
                        f"its worker stopped {lease.requeues} times while running it"
                    )
                )
                continue
            log.warning("task %s lost its worker: back in the queue", task.pk)
            DBTaskResult.objects.filter(pk=task.pk).update(status="READY", started_at=None)
            count += 1
    return count


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
        beat = Heartbeat(db_task_result.pk, self.worker_id)
        beat.start()
        try:
            super().run_task(db_task_result)
        finally:
            beat.stop()

    def step(self) -> bool:
        """One round: requeue, run one task, deliver; True when there was work."""
        close_old_connections()
        requeue_abandoned()
        task = self.claim_next()
        if task is not None:
            self.run_task(task)
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
                connection.close()
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
