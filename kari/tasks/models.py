"""A lease on a running task: who runs it and when it last said it was alive."""

from django.conf import settings
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


class FileJob(models.Model):
    """An import or export started on the web, run by ``kari worker`` (:mod:`kari.tasks.files`):
    the uploaded file, then the outcome that the job's page shows (a message, the rows refused
    with their reasons, or the file to download). Only the person who started it sees it."""

    kind = models.CharField(max_length=200)  # the dotted path of its handler (@file_job)
    status = models.CharField(max_length=8, default="queued")
    params = models.JSONField(default=dict)
    upload = models.BinaryField(blank=True, default=b"")
    upload_name = models.CharField(max_length=200, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    errors = models.JSONField(default=list)  # [{"row":, "field":, "message":}]
    output = models.BinaryField(blank=True, default=b"")
    output_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    back = models.CharField(max_length=300, blank=True)  # the page to go back to

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ("queued", "running")
