"""A lease on a running task: who runs it and when it last said it was alive."""

from django.db import models


class Lease(models.Model):
    """One row per task that a worker has started (django_tasks_db's ``DBTaskResult``).

    The worker renews ``heartbeat_at`` while the task runs; a RUNNING task whose heartbeat is
    older than the lease is abandoned (its worker died) and is put back in the queue.
    ``requeues`` counts how often: a task that kills its worker every time is failed at last.
    """

    task = models.OneToOneField(
        "django_tasks_database.DBTaskResult", on_delete=models.CASCADE, primary_key=True
    )
    worker_id = models.CharField(max_length=64)
    heartbeat_at = models.DateTimeField(db_index=True)
    requeues = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"lease of task {self.task_id} by {self.worker_id}"
