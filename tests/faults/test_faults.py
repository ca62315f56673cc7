"""Fault injection (issue 13, point 3): real processes on loopback and a real PostgreSQL, one
thing broken at a time. Kept in one module so that one xdist worker (`--dist loadfile`) runs
them all on one template database.

- SMTP down, then up: every notice of an invitation job arrives once, after the server returns.
- The SMS gateway answering 500 for a while, then 200: every message delivered once.
- A worker killed with SIGKILL in the middle of the invitation job: a new worker takes the job
  over once the lease expires and finishes it; the cards and the notices equal an undisturbed
  run's.
"""

import hashlib
import json
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.conftest import Inbox
from tests.faults.conftest import free_port

SENT = "SELECT count(*) FROM outbox_message WHERE channel = %s AND status = 'sent'"


def _job_done(kari, job):
    return kari.sql("SELECT status FROM exams_invitationjob WHERE id = %s", [job])[0][0] == "done"


def test_smtp_down_then_up_every_invitation_notice_arrives_once(kari):
    port = kari.env["KARI_EMAIL_PORT"] = str(free_port())  # nothing listens: refused
    kari.env["KARI_EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
    kari.env["KARI_EMAIL_HOST"] = "127.0.0.1"
    started = kari.act("start_invitations")
    total = started["total"]
    kari.worker("w1")
    kari.wait("the job", lambda: _job_done(kari, started["job"]), timeout=120)
    failing = "SELECT count(*) FROM outbox_message WHERE channel = 'email' AND attempts >= 1"
    kari.wait("failed attempts", lambda: kari.sql(failing)[0][0] == total)
    assert kari.sql(SENT, ["email"])[0][0] == 0  # the server is down: nothing was sent
    recorder = Inbox()
    server = Controller(recorder, hostname="127.0.0.1", port=int(port))
    server.start()
    try:
        kari.wait("delivery", lambda: kari.sql(SENT, ["email"])[0][0] == total, timeout=60)
    finally:
        kari.stop()
        server.stop()
    addresses = [rcpt[0] for rcpt, _msg in recorder.messages]
    assert len(addresses) == total == len(set(addresses))  # every applicant once
    keys = {msg["Message-ID"] for _rcpt, msg in recorder.messages}
    assert len(keys) == total
    rows = kari.sql("SELECT status, answer FROM outbox_message WHERE channel = 'email'")
    assert {status for status, _ in rows} == {"sent"} and all(answer for _, answer in rows)


class Gateway(BaseHTTPRequestHandler):
    """An SMS gateway that answers 500 while `failing`, then 200; like a real one it accepts
    a repeated Idempotency-Key without sending the message again."""

    failing = True
    calls: list = []
    delivered: dict = {}
    lock = threading.Lock()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("Idempotency-Key", "")
        with self.lock:
            self.calls.append(key)
            if self.failing:
                self.send_response(500)
            else:
                self.delivered.setdefault(key, body)
                self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"id": "gw-1"}')

    def log_message(self, *args):
        pass


def test_sms_gateway_answering_500_then_200_every_message_delivered_once(kari):
    Gateway.failing, Gateway.calls, Gateway.delivered = True, [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    kari.env["KARI_SMS_BACKEND"] = "kari.sms.HttpGatewayBackend"
    kari.env["KARI_SMS_URL"] = f"http://127.0.0.1:{server.server_port}/send"
    kari.env["KARI_SMS_TOKEN"] = "test-token"
    try:
        started = kari.act("start_invitations")
        total = started["total"]
        kari.worker("w1")
        kari.worker("w2")  # two workers share the outbox: still once per message
        kari.wait("the job", lambda: _job_done(kari, started["job"]), timeout=120)
        kari.wait("500 answers", lambda: len(Gateway.calls) >= total)
        assert kari.sql(SENT, ["sms"])[0][0] == 0
        Gateway.failing = False
        kari.wait("delivery", lambda: kari.sql(SENT, ["sms"])[0][0] == total, timeout=60)
    finally:
        kari.stop()
        server.shutdown()
    phones = [body["to"] for body in Gateway.delivered.values()]
    assert len(phones) == total == len(set(phones))  # every applicant once
    answers = kari.sql("SELECT answer FROM outbox_message WHERE channel = 'sms'")
    assert all(a.startswith("200") and "gw-1" in a for (a,) in answers)


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
