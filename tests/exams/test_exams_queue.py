"""The task queue: leases with a heartbeat, abandoned tasks queued again, the health check,
and no thread started by a web request."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kari.exams import services
from kari.exams.models import DistributionJob, JobStatus
from kari.tasks.models import Lease
from kari.tasks.worker import LeasedWorker, requeue_abandoned, run_pending

pytestmark = pytest.mark.django_db


def _started_distribution(exam_world):
    job = services.start_distribution(exam_world["emis"], exam_world["round"])
    return job, DBTaskResult.objects.get()


def test_A17_2_a_job_and_its_task_are_written_together_and_run_by_the_worker(exam_world):
    job, task = _started_distribution(exam_world)
    assert task.status == "READY" and task.args_kwargs["args"] == [job.pk]
    run_pending()
    task.refresh_from_db(), job.refresh_from_db()
    assert task.status == "SUCCESSFUL" and job.status == JobStatus.DONE and job.result
    lease = Lease.objects.get(task=task)
    assert lease.worker_id and lease.requeues == 0


def test_A17_2_a_task_whose_worker_died_is_queued_again_and_finished_once(exam_world):
    job, task = _started_distribution(exam_world)
    worker = LeasedWorker(worker_id="dead")
    assert worker.claim_next().pk == task.pk  # claimed, then the worker "dies"
    assert requeue_abandoned() == 0  # its lease is fresh
    Lease.objects.update(heartbeat_at=timezone.now() - dt.timedelta(minutes=5))
    assert requeue_abandoned() == 1
    task.refresh_from_db()
    assert task.status == "READY" and Lease.objects.get().requeues == 1
    run_pending()
    job.refresh_from_db(), task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and job.status == JobStatus.DONE
    assert task.worker_ids[0] == "dead" and len(task.worker_ids) == 2
    assert exam_world["round"].distributions.count() == 1
    # a finished job run again (a slow worker taken for dead) changes nothing
    services.run_distribution_job(job.pk)
    assert exam_world["round"].distributions.count() == 1
    assert DistributionJob.objects.get().status == JobStatus.DONE


def test_a_task_that_kills_every_worker_is_failed_at_last(exam_world, settings):
    settings.KARI_TASKS = {"LEASE_SECONDS": 60, "HEARTBEAT_SECONDS": 10, "MAX_REQUEUES": 2}
    _job, task = _started_distribution(exam_world)
    for _ in range(3):
        LeasedWorker(worker_id="dies").claim_next()
        Lease.objects.update(heartbeat_at=timezone.now() - dt.timedelta(minutes=5))
        requeue_abandoned()
    task.refresh_from_db()
    assert task.status == "FAILED" and "AbandonedTaskError" in task.exception_class_path


def test_healthz_answers_while_the_queue_moves_and_503_when_it_is_stuck(exam_world, client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"
    _job, task = _started_distribution(exam_world)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(hours=1))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["queue"] == "stuck"
    run_pending()
    assert client.get("/healthz").status_code == 200


def test_no_web_request_starts_a_thread():
    """Long work is a task; the only thread in kari/ is the worker's heartbeat."""
    root = Path(__file__).resolve().parents[2] / "kari"
    starts = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if re.search(r"threading\.Thread\b|\bThread\(|ThreadPoolExecutor", p.read_text("utf-8"))
    )
    assert starts == ["tasks/worker.py"]
