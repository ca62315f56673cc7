"""Imports and exports started on the web run as tasks (issue 13): the web stores the upload
in a :class:`~kari.tasks.models.FileJob` and enqueues its task in the same transaction; the
worker runs the job's handler, a function of the app that owns the import or export
(decorated with :func:`file_job`), and stores its outcome for the job's page.

Idempotent: the handler's writes and the job's end commit in one transaction, so a run cut
short (worker killed, connection lost) leaves nothing and is run again whole; a finished job
is left as it is. The command line keeps running the same services inline, with a progress bar.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from .errors import connection_lost
from .models import FileJob


@dataclass
class Outcome:
    """What the job's page shows: a message, the refused rows, or a file to download."""

    message: str = ""
    errors: list[dict] = field(default_factory=list)  # [{"line":, "field":, "message":}]
    output: bytes = b""
    output_name: str = ""
    content_type: str = ""


Handler = Callable[[object, FileJob], Outcome]


def file_job(handler: Handler) -> Handler:
    """Mark a function ``(actor, job) -> Outcome`` as a handler that a job may name."""
    handler.kari_file_job = True  # type: ignore[attr-defined]
    return handler


def start(
    actor, handler: Handler, *, params: dict, upload: bytes = b"", name: str = "", back: str = ""
) -> FileJob:
    """Write the job and enqueue its task, in the caller's transaction (the app's service
    has authorised the actor)."""
    if not getattr(handler, "kari_file_job", False):
        raise ValueError(f"{handler!r} is not a file job handler")
    job = FileJob.objects.create(
        kind=f"{handler.__module__}.{handler.__qualname__}",
        params=params,
        upload=upload,
        upload_name=name[:200],
        started_by=actor,
        started_at=timezone.now(),
        back=back,
    )
    file_task.enqueue(job.pk)
    return job


@task()
def file_task(job_id: int) -> None:
    """The queue's task: run the import or export job."""
    run(job_id)


def run(job_id: int) -> FileJob:
    job = FileJob.objects.select_related("started_by").get(pk=job_id)
    if not job.is_active:
        return job
    FileJob.objects.filter(pk=job_id).update(status="running")
    handler = import_string(job.kind)
    if not getattr(handler, "kari_file_job", False):
        raise ValueError(f"{job.kind} is not a file job handler")
    try:
        with transaction.atomic():
            if not FileJob.objects.select_for_update().get(pk=job_id).is_active:
                return FileJob.objects.get(pk=job_id)  # finished by another run meanwhile
            outcome = handler(job.started_by, job)
            FileJob.objects.filter(pk=job_id).update(
                status="refused" if outcome.errors else "done",
                message=outcome.message,
                errors=outcome.errors,
                output=outcome.output,
                output_name=outcome.output_name,
                content_type=outcome.content_type,
                finished_at=timezone.now(),
            )
    except Exception as exc:
        if not connection_lost(exc):  # a lost connection: the worker runs the task again
            message = "; ".join(getattr(exc, "messages", None) or [str(exc)])
            FileJob.objects.filter(pk=job_id).update(
                status="failed", message=message[:2000], finished_at=timezone.now()
            )
        # a rule's refusal, or a role taken away since the job was started, is shown on the
        # job's page; anything else is a bug
        if not (hasattr(exc, "messages") or isinstance(exc, PermissionDenied)):
            raise
    job.refresh_from_db()
    return job


def refused_rows(errors) -> list[dict]:
    """An import's refused rows (``kari.tabular.RowError``) for the job's page."""
    return [{"line": e.line, "field": e.field, "message": str(e.message)} for e in errors]
