"""Fault injection: real Kari processes on loopback, a real PostgreSQL, one thing broken.

Each test gets its own PostgreSQL database, copied from a template built once per test
process with `kari demo --phase distribution` (applicants distributed, invitations not yet
issued). The test process never opens Django on it: it starts `kari worker` (and the helper
`act.py`) as subprocesses and reads the outcome with plain SQL. These tests run in the
PostgreSQL pass of `make test` (bin/run-tests) and are skipped on SQLite.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

KARI = Path(sys.executable).parent / "kari"
ACT = Path(__file__).with_name("act.py")
ROOT = Path(__file__).resolve().parents[2]
APPLICANTS = 50


def _pg():
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.skip("fault tests run on PostgreSQL (the second pass of make test)")
    return db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin(db):
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _url(db, name):
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    )


def _drop(admin, name):
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


class Kari:
    """One fault test's Kari: its database, its files, and the processes it started."""

    def __init__(self, db, name, var: Path):
        self.db, self.name, self.var = db, name, var
        self.env = {
            **os.environ,
            "DATABASE_URL": _url(db, name),
            "KARI_VAR_DIR": str(var),
            "KARI_DEBUG": "1",
            "KARI_TASK_LEASE_SECONDS": "3",
            "KARI_TASK_HEARTBEAT_SECONDS": "0.5",
            "KARI_OUTBOX_BACKOFF_SECONDS": "0.5",
            "KARI_OUTBOX_BACKOFF_MAX_SECONDS": "2",
            "KARI_OUTBOX_MAX_ATTEMPTS": "50",
            "KARI_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "KARI_EMAIL_TIMEOUT": "3",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.processes: list[subprocess.Popen] = []

    def act(self, name: str):
        out = subprocess.run(
            [sys.executable, str(ACT), name],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        return json.loads(out.stdout.strip().splitlines()[-1])

    def worker(self, name: str) -> subprocess.Popen:
        log = (self.var / f"worker-{name}.log").open("w")
        p = subprocess.Popen(
            [str(KARI), "worker", "--interval", "0.2", "--worker-id", name],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(p)
        return p

    def gunicorn(self, port: int, workers: int = 3) -> subprocess.Popen:
        log = (self.var / "worker-gunicorn.log").open("w")
        p = subprocess.Popen(
            [
                str(KARI.with_name("gunicorn")),
                "kari.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                "--preload",  # a killed worker is replaced by a fork, without loading Django again
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(p)
        return p

    def sql(self, query: str, params=()):
        with psycopg.connect(_url(self.db, self.name).replace("postgres://", "postgresql://")) as c:
            cursor = c.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def admin_sql(self, query: str, params=()):
        with _admin(self.db) as admin:
            return admin.execute(query, params).fetchall()

    def wait(self, what: str, check, timeout: float = 60, every: float = 0.1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(every)
        logs = "\n".join(
            f"--- {p.name}\n{p.read_text()[-2000:]}" for p in self.var.glob("worker-*.log")
        )
        raise AssertionError(f"timed out waiting for {what}\n{logs}")

    def stop(self):
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _template(tmp_path_factory, phase: str):
    db = _pg()
    name = f"kari_faults_{phase[:4]}_tpl_{uuid.uuid4().hex[:8]}"
    var = tmp_path_factory.mktemp(f"fault-template-{phase}")
    with _admin(db) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = Kari(db, name, var).env
    out = subprocess.run(
        [
            str(KARI),
            "demo",
            "--keep",
            "--phase",
            phase,
            "--applicants",
            str(APPLICANTS),
            "--people",
            str(4 * APPLICANTS),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return db, name, var


def _copy(template, tmp_path):
    db, source, var = template
    name = f"kari_faults_{uuid.uuid4().hex[:8]}"
    with _admin(db) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    shutil.copy(var / "civil-registry.json", tmp_path / "civil-registry.json")
    k = Kari(db, name, tmp_path)
    yield k
    k.stop()
    with _admin(db) as admin:
        _drop(admin, name)


@pytest.fixture(scope="session")
def fault_template(tmp_path_factory):
    """A database with the demo round distributed, built once per test process."""
    template = _template(tmp_path_factory, "distribution")
    yield template
    with _admin(template[0]) as admin:
        _drop(admin, template[1])


@pytest.fixture
def kari(fault_template, tmp_path):
    """A copy of the distributed round for one test."""
    yield from _copy(fault_template, tmp_path)


@pytest.fixture
def kari_registering(fault_template, tmp_path):
    """A copy of the distributed round with its registration window opened again (today is
    inside it), for one test: applicants register while others are already distributed."""
    for k in _copy(fault_template, tmp_path):
        k.sql(
            "UPDATE rounds_round SET registration_opens = CURRENT_DATE - 5, "
            "registration_closes = CURRENT_DATE + 5"
        )
        yield k
