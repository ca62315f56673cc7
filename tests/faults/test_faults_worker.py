"""A worker killed with SIGKILL in the middle of the invitation job: a new worker takes the
job over once the lease expires and finishes it; the cards and the notices equal an
undisturbed run's (issue 13, point 3)."""

import hashlib
import signal
from pathlib import Path

import pytest

# One xdist worker runs them all, on one template database (bin/run-tests: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("faults")

JOB = "SELECT status, done, total FROM exams_invitationjob WHERE id = %s"


def test_worker_killed_mid_invitation_job_a_new_worker_finishes_it_exactly_once(kari):
    started = kari.act("start_invitations")
    job, total = started["job"], started["total"]
    first = kari.worker("doomed")
    # the job has rendered some cards, not all: kill its worker without warning
    kari.wait(
        "the job under way",
        lambda: 0 < kari.sql(JOB, [job])[0][1] < total,
        timeout=120,
        every=0.02,
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
    status, done, _ = kari.sql(JOB, [job])[0]
    assert status == "running" and done < total
    task = "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path LIKE %s"
    assert kari.sql(task, ["%invitation_task"])[0][0] == "RUNNING"  # left so by the dead worker

    kari.worker("heir")
    kari.wait("the job finished", lambda: kari.sql(JOB, [job])[0][0] == "done", timeout=120)
    kari.stop()

    rows = kari.sql(
        "SELECT t.status, t.worker_ids, l.requeues FROM django_tasks_database_dbtaskresult t "
        "JOIN kari_tasks_lease l ON l.task_id = t.id WHERE t.task_path LIKE %s",
        ["%invitation_task"],
    )
    assert rows == [("SUCCESSFUL", ["doomed", "heir"], 1)]
    # the cards: one file per invitation, each byte for byte what an undisturbed run renders
    folder = next((kari.var / "media" / "invitations").iterdir())
    on_disk = {
        p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(folder).glob("*.pdf")
    }
    assert on_disk == kari.act("card_hashes") and len(on_disk) == total
    assert not list(Path(folder).glob(".*.part"))
    # the notices: one email and one SMS per applicant, no more
    counts = kari.sql(
        'SELECT channel, count(*), count(DISTINCT "to") FROM outbox_message GROUP BY channel'
    )
    assert sorted(counts) == [("email", total, total), ("sms", total, total)]
    assert kari.sql("SELECT count(*) FROM exams_invitation WHERE pdf = ''")[0][0] == 0
