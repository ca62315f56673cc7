"""The ranking build and the signing of its documents (A27.1, A27.5) are tasks of the queue:
written with their job, idempotent, resumable after a lost worker or database connection."""

from django.db import OperationalError
from django_tasks_db.models import DBTaskResult

from kari.audit.models import AuditEntry
from kari.outbox.models import Message
from kari.ranking import compute, services
from kari.ranking.models import BuildJob, Ranking, SignedDocument
from kari.ranking.services import documents
from kari.tasks.models import Lease
from kari.tasks.worker import run_pending


def _ready(rb, n=6):
    p = rb.programme("P-1", 3)
    for i in range(n):
        rb.applicant(30 - i, [p])
    rb.publish_results()
    services.freeze_final_lists(rb.emis, rb.round)
    return p


def _builds():
    return AuditEntry.objects.filter(action="ranking.build").count()


def test_A27_1_the_build_job_and_its_task_commit_together_and_the_worker_runs_it(rb):
    _ready(rb)
    job = services.start_build(rb.naec, rb.round)
    task = DBTaskResult.objects.get()
    assert task.status == "READY" and task.args_kwargs["args"] == [job.pk]
    assert task.task_path.endswith("rankings.build_task")
    run_pending()
    job.refresh_from_db(), task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and job.status == "done" and job.ranking_id
    assert (job.phase, job.done, job.total) == ("done", 5, 5)
    assert Ranking.objects.get().pk == job.ranking_id


def test_A27_1_a_finished_build_run_again_stores_nothing_twice(rb):
    _ready(rb)
    job = services.start_build(rb.naec, rb.round)
    run_pending()
    job.refresh_from_db()
    first = job.ranking
    services.run_build_job(job.pk)  # the task run again (a slow worker taken for dead)
    # and a second run that got as far as storing while the first one finished
    again = services.build_ranking(rb.naec, rb.round, job_id=job.pk)
    assert again.pk == first.pk and Ranking.objects.count() == 1 and _builds() == 1
    assert first.version == 1


def test_A27_1_a_build_whose_worker_died_midway_resumes_with_the_same_outcome(rb):
    """A job left RUNNING (its worker died before storing) is run again whole; the outcome
    equals an undisturbed run's and is stored once."""
    _ready(rb)
    job = services.start_build(rb.naec, rb.round)
    BuildJob.objects.filter(pk=job.pk).update(status="running", phase="allocate", done=2)
    services.run_build_job(job.pk)
    job.refresh_from_db()
    resumed = job.ranking
    assert job.status == "done" and Ranking.objects.count() == 1 and _builds() == 1
    undisturbed = services.build_ranking(rb.naec, rb.round)  # replaces the draft
    assert undisturbed.outcome_checksum == resumed.outcome_checksum


def test_A27_1_a_lost_database_connection_requeues_the_build_and_it_finishes_once(rb, monkeypatch):
    _ready(rb)
    allocate, calls = compute.allocate, []

    def cut_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return allocate(*args, **kwargs)

    monkeypatch.setattr(compute, "allocate", cut_once)
    job = services.start_build(rb.naec, rb.round)
    run_pending()
    job.refresh_from_db()
    task = DBTaskResult.objects.get()
    assert len(calls) == 2, "the interrupted build was run again"
    assert job.status == "done" and job.error == "" and task.status == "SUCCESSFUL"
    assert Lease.objects.get(task=task).requeues == 1 and len(task.worker_ids) == 2
    assert Ranking.objects.count() == 1 and _builds() == 1


def test_A27_1_a_build_refused_by_a_rule_fails_its_job_with_the_reason(rb):
    _ready(rb)
    services.approve_ranking(rb.naec, services.build_ranking(rb.naec, rb.round))
    job = services.start_build(rb.naec, rb.round)  # a correction needs its reason
    run_pending()
    job.refresh_from_db()
    assert job.status == "failed" and "27.1" in job.error
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"  # the task did its work
    assert not BuildJob.objects.filter(status__in=("queued", "running")).exists()


def test_A27_5_signing_is_a_task_and_run_again_sends_nothing_twice(rb):
    _ready(rb)
    ranking = services.approve_ranking(rb.naec, services.build_ranking(rb.naec, rb.round))
    job = documents.start_signing(rb.naec, ranking)
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("documents.sign_task") and task.args_kwargs["args"] == [job.pk]
    notices = Message.objects.count()
    run_pending()
    job.refresh_from_db()
    sent = Message.objects.count() - notices
    assert job.status == "done" and sent > 0
    docs = list(SignedDocument.objects.values_list("pk", flat=True))
    assert len(docs) == 3  # the programme's PDF, the summary and the XLSX
    documents.run_sign_job(job.pk, workers=1)  # the task run again: the job is done
    assert list(SignedDocument.objects.values_list("pk", flat=True)) == docs
    assert Message.objects.count() - notices == sent
