"""Fault injection (issue 13, point 3): real processes on loopback and a real PostgreSQL, one
thing broken at a time. Kept in one module so that one xdist worker (`--dist loadfile`) runs
them all on one template database.

- SMTP down, then up: every notice of an invitation job arrives once, after the server returns.
- The SMS gateway answering 500 for a while, then 200: every message delivered once.
- A worker killed with SIGKILL in the middle of the invitation job: a new worker takes the job
  over once the lease expires and finishes it; the cards and the notices equal an undisturbed
  run's.
- The ranking build, its worker killed with SIGKILL (or all its database connections cut) in
  the middle, while it stores its outcome: a new worker (the same live one) runs it again; the
  stored ranking equals an undisturbed run's, stored once, and the audit log is intact.
- PostgreSQL's connections terminated (`pg_terminate_backend`) again and again, and gunicorn
  workers killed with SIGKILL, during a burst of online registrations: every registration
  confirmed to its client is in the database, and none is duplicated.
"""

import hashlib
import http.client
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller

from tests.conftest import Inbox
from tests.faults.conftest import KARI, ROOT, _url, free_port

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
    kari.wait("the job", lambda: _job_done(kari, started["job"]), timeout=300)
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
        kari.wait("the job", lambda: _job_done(kari, started["job"]), timeout=300)
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
    kari.wait("the job finished", lambda: kari.sql(JOB, [job])[0][0] == "done", timeout=300)
    # and its task recorded (after the notices' first attempts, made right after the commit)
    kari.wait("the task recorded", lambda: kari.sql(task, ["%invitation_task"])[0][0] != "RUNNING")
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


# ------------------------------------------------------------------ registration bursts

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')
CODE_RE = re.compile(r"(?<![\d-])(\d{6})(?!\d)")
PREFIXES = ["555", "557", "558", "568", "571", "574", "577", "591", "593", "595", "599"]
BURST = 36


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _codes(path: Path) -> dict:
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            m = json.loads(line)
            found = CODE_RE.search(m["text"])
            if found:
                out[m["to"]] = found.group(1)
    return out


def _register(base: str, plan: dict, pn: str, sms_file: Path) -> bool:
    """One applicant through the online form, as a browser would; True when Kari confirmed
    the registration to the client (the redirect to the cabinet)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
    )
    n = int(pn) % 11_000_000
    phone = f"+995{PREFIXES[n // 1_000_000]}{n % 1_000_000:06d}"

    def post(path, form):
        data = urllib.parse.urlencode(form).encode()
        try:
            opener.open(base + path, data, timeout=30).read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", "")
        return 200, ""

    try:
        html = opener.open(base + "/register/", timeout=30).read().decode()
        token = TOKEN_RE.search(html).group(1)
        form = [
            ("csrfmiddlewaretoken", token),
            ("personal_number", pn),
            ("document_number", plan["documents"][pn]),
            ("phone", phone),
            ("email", f"a{pn}@faults.example.ge"),
            ("exam_municipality", plan["municipality"]),
            ("test_language", "ka"),
            ("foreign_language", "en"),
            ("adapted_environment", ""),
            *[("programmes", c) for c in plan["programmes"]],
            ("action", "submit"),
        ]
        status, where = post("/register/", form)
        if status != 302 or not where.endswith("/register/confirm/"):
            return False
        deadline = time.monotonic() + 20
        while (code := _codes(sms_file).get(phone)) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if code is None:
            return False
        status, where = post("/register/confirm/", [("csrfmiddlewaretoken", token), ("code", code)])
        return status == 302 and where.endswith("/cabinet/")
    except (OSError, AttributeError, http.client.HTTPException):
        return False


def _burst(kari, fault) -> tuple[set, list]:
    """BURST applicants register through gunicorn, four at a time, while `fault(stop)` runs;
    returns the personal numbers confirmed to the clients and the ones tried."""
    kari.env["KARI_OTP_PER_IP_PER_HOUR"] = "1000000"
    kari.env["KARI_CONN_MAX_AGE"] = "60"  # persistent connections, as in production
    plan = kari.act("registration_plan")
    port = free_port()
    server = kari.gunicorn(port)
    kari.worker("w1")  # delivers the codes whose first send failed
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            return urllib.request.urlopen(base + "/healthz", timeout=5).status == 200
        except OSError:
            return False

    kari.wait("gunicorn", answers, timeout=90, every=0.5)
    people = plan["people"][:BURST]
    confirmed, lock, todo = set(), threading.Lock(), iter(people)

    def client():
        while True:
            with lock:
                pn = next(todo, None)
            if pn is None:
                return
            if _register(base, plan, pn, kari.var / "sms-outbox.jsonl"):
                with lock:
                    confirmed.add(pn)

    stop = threading.Event()
    breaker = threading.Thread(target=fault, args=(stop, server), daemon=True)
    clients = [threading.Thread(target=client, daemon=True) for _ in range(4)]
    breaker.start()
    for t in clients:
        t.start()
    for t in clients:
        t.join(timeout=300)
    stop.set()
    breaker.join(timeout=30)
    return confirmed, people, plan


def _check_burst(kari, confirmed, people, plan):
    rows = dict(
        kari.sql(
            "SELECT a.personal_number, count(*) FROM registration_registration r "
            "JOIN registration_applicant a ON a.id = r.applicant_id "
            "WHERE r.round_id = %s AND a.personal_number = ANY(%s) GROUP BY 1",
            [plan["round"], people],
        )
    )
    assert confirmed <= set(rows), "a registration confirmed to its client is missing"
    assert set(rows.values()) <= {1}, "a registration is duplicated"
    assert len(confirmed) >= 3, f"too few registrations got through: {len(confirmed)}"


def test_postgres_connections_terminated_during_a_registration_burst(kari_registering):
    kari = kari_registering
    killed = []

    def terminate(stop, _server):
        """Three times, every connection to Kari's database is cut, as a restart would."""
        time.sleep(1)
        for _ in range(3):
            if stop.wait(2.5):
                return
            killed.extend(
                kari.admin_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [kari.name],
                )
            )

    confirmed, people, plan = _burst(kari, terminate)
    assert sum(1 for (ok,) in killed if ok) >= 3  # connections were cut, more than once
    _check_burst(kari, confirmed, people, plan)


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def test_a_gunicorn_worker_killed_during_a_registration_burst(kari_registering):
    kari = kari_registering
    killed = []

    def kill_workers(stop, server):
        """Three times, one of gunicorn's workers dies mid-request, without warning."""
        time.sleep(1)
        while len(killed) < 3 and not stop.wait(2.5):
            workers = _children(server.pid)
            if workers:
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])

    confirmed, people, plan = _burst(kari, kill_workers)
    assert killed, "no gunicorn worker was killed"
    assert _children(kari.processes[0].pid), "gunicorn replaced its workers"
    _check_burst(kari, confirmed, people, plan)


# ------------------------------------------------------------------ the ranking build

BUILD = "SELECT status, phase, ranking_id, error FROM ranking_buildjob WHERE id = %s"
WAITING = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"


def _build_blocked_at_store(kari, worker: str):
    """Start a ranking build (as on the web) and a worker, and hold the round's row so that
    the build, its computation done, waits inside its storing transaction: the middle of the
    job, reached every time. Returns the job, the worker and the connection holding the row."""
    started = kari.act("start_ranking_build")
    holder = psycopg.connect(_url(kari.db, kari.name).replace("postgres://", "postgresql://"))
    holder.execute("SELECT id FROM rounds_round WHERE id = %s FOR UPDATE", [started["round"]])
    process = kari.worker(worker)
    kari.wait(
        "the build storing its outcome",
        lambda: (
            kari.sql(BUILD, [started["job"]])[0][:2] == ("running", "store")
            and kari.sql(WAITING, [kari.name])[0][0] >= 1
        ),
        timeout=120,
    )
    return started, process, holder


def _check_build_stored_once(kari, started):
    """The stored outcome equals an undisturbed run's, stored once, the job done and the audit
    log intact."""
    expected = started["expected"]
    status, _phase, ranking, error = kari.sql(BUILD, [started["job"]])[0]
    assert (status, error) == ("done", "") and ranking
    rows = kari.sql("SELECT id, version, outcome_checksum, admitted_count FROM ranking_ranking")
    assert rows == [(ranking, 1, expected["checksum"], expected["admitted"])]
    admitted = "SELECT count(*), count(DISTINCT registration_id) FROM ranking_admission"
    assert kari.sql(admitted)[0] == (expected["admitted"], expected["admitted"])
    builds = "SELECT count(*) FROM audit_auditentry WHERE action = 'ranking.build'"
    assert kari.sql(builds)[0][0] == 1
    verify = subprocess.run(
        [str(KARI), "audit", "verify"], env=kari.env, cwd=ROOT, capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stderr[-2000:]


TASK = (
    "SELECT t.status, t.worker_ids, l.requeues FROM django_tasks_database_dbtaskresult t "
    "JOIN kari_tasks_lease l ON l.task_id = t.id WHERE t.task_path LIKE %s"
)


def test_worker_killed_mid_ranking_build_a_new_worker_stores_the_same_outcome_once(kari):
    started, doomed, holder = _build_blocked_at_store(kari, "doomed")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    holder.rollback()  # the round's row is free again: nothing of the dead run was stored
    holder.close()
    assert kari.sql("SELECT count(*) FROM ranking_ranking")[0][0] == 0
    assert kari.sql(BUILD, [started["job"]])[0][0] == "running"
    kari.worker("heir")
    kari.wait("the build finished", lambda: kari.sql(BUILD, [started["job"]])[0][0] == "done")
    kari.stop()
    assert kari.sql(TASK, ["%build_task"]) == [("SUCCESSFUL", ["doomed", "heir"], 1)]
    _check_build_stored_once(kari, started)


def test_connections_cut_mid_ranking_build_the_worker_survives_and_stores_it_once(kari):
    started, worker, holder = _build_blocked_at_store(kari, "w1")
    mine = holder.info.backend_pid
    cut = kari.admin_sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
        [kari.name, mine],
    )
    assert cut and all(ok for (ok,) in cut)  # the worker's connections, heartbeat's too
    holder.rollback()
    holder.close()
    kari.wait("the build finished", lambda: kari.sql(BUILD, [started["job"]])[0][0] == "done")
    assert worker.poll() is None, "the worker died with its connection"
    kari.stop()
    # put back in the queue at once by the same live worker, and run by it again
    assert kari.sql(TASK, ["%build_task"]) == [("SUCCESSFUL", ["w1", "w1"], 1)]
    _check_build_stored_once(kari, started)
