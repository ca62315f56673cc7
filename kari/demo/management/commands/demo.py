"""`kari demo`: build the demo round on a fresh database and (with --serve) serve Kari,
with a `kari worker` beside the web server for the queued jobs and the notification outbox."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kari.demo.generator import DEMO_PASSWORD, build


def served_url(addr: str) -> str:
    """The address `runserver addr` serves, as a browser reaches it."""
    host, _, port = addr.rpartition(":")
    if not host:
        host = "127.0.0.1"
    if host in ("0.0.0.0", "0", "[::]"):  # noqa: S104  (listening on all interfaces)
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Build deterministic demo data (a fresh database) and optionally serve Kari."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--anchor",
            type=dt.date.fromisoformat,
            default=None,
            help="date the round's schedule is anchored on (default: today)",
        )
        parser.add_argument(
            "--people", type=int, default=2000, help="people in the local civil registry (A17.5)"
        )
        parser.add_argument(
            "--phase",
            choices=[
                "registration",
                "distribution",
                "exams",
                "results",
                "final-lists",
                "ranking",
                "enrolment",
                "sen",
                "simulated",
            ],
            default="registration",
            help="registration: the round's registration is open today; "
            "distribution: it closed yesterday, applicants distributed, "
            "invitations not yet issued; exams: today is its first test "
            "day, applicants distributed and invited, two complaints filed; results: the test "
            "days are over, NAEC's results taken in, the complaints decided; final-lists: the "
            "results published, the re-ranking window closed yesterday, the final lists frozen "
            "today (NAEC builds the ranking); ranking: the ranking also built, approved and "
            "signed, and the demo college's subsequent-stage document submitted to the management "
            "system for its check (A27.7); enrolment: the "
            "ranking document was approved yesterday and the demo college enrols (A29-A32); sen: "
            "registration open, and the SEN track run through to the minister's published act "
            "and its SEN enrolments (A41); "
            "simulated: last spring's whole round simulated through the services (kari simulate: "
            "--applicants people, --seed), from the schedule to enrolment, the SEN track included, "
            "its checks passed",
        )
        parser.add_argument(
            "--applicants",
            type=int,
            default=400,
            help="registered applicants in the distribution and exams phases, and the simulated "
            "round's applicants",
        )
        parser.add_argument("--serve", action="store_true", help="then serve on 127.0.0.1:8000")
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument(
            "--keep", action="store_true", help="do not wipe an existing SQLite database first"
        )

    def handle(self, *args, seed, anchor, people, serve, addr, keep, phase, applicants, **options):
        if not settings.DEBUG:  # a demo aid: never on a production instance (issue 11)
            raise CommandError("kari demo runs only in development mode (KARI_DEBUG=1).")
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3") and not keep:
            path = Path(db["NAME"])
            connection.close()
            path.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        elif not db["ENGINE"].endswith("sqlite3") and not keep:
            raise CommandError(
                "Refusing to wipe a non-SQLite database; pass --keep on an empty one."
            )
        if serve:
            # Every link and QR code the demo makes points at the address it serves (issue 19),
            # unless KARI_PUBLIC_URL is set; the worker started below inherits it.
            public = os.environ.get("KARI_PUBLIC_URL") or served_url(addr)
            settings.KARI_PUBLIC_URL = os.environ["KARI_PUBLIC_URL"] = public
        call_command("migrate", verbosity=0)
        if db["ENGINE"].endswith("sqlite3"):
            # Demo data is rebuilt, never recovered: no fsync at every commit while building.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
        self.stdout.write("Building the demo round…")
        if phase == "simulated":  # a round that really happened (docs/simulation.md)
            from kari.demo import simulated

            def say(line):
                self.stdout.write(f"  {line}")
                self.stdout.flush()

            try:
                result = simulated.build(seed, applicants, progress=say, today=anchor)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
        else:
            result = build(
                seed=seed, anchor=anchor, people=people, phase=phase, applicants=applicants
            )
        for k, v in result.counts.items():
            self.stdout.write(f"  {k}: {v}")
        r = result.round
        self.stdout.write(
            f"  round being run: {r} (registration {r.registration_opens:%d.%m.%Y}–"
            f"{r.registration_closes:%d.%m.%Y}, test days {r.test_starts:%d.%m.%Y}–"
            f"{r.test_ends:%d.%m.%Y})"
        )
        registry = json.loads(Path(settings.KARI_CIVIL_REGISTRY["PATH"]).read_text("utf-8"))
        self.stdout.write(
            f"  civil registry: {len(registry)} people in {settings.KARI_CIVIL_REGISTRY['PATH']}"
        )
        self.stdout.write(f"\nDemo staff accounts (password for all: {DEMO_PASSWORD})")
        self.stdout.write(
            "Second factor: add the TOTP secret to an authenticator app, or run "
            "`.venv/bin/kari totp USERNAME` for the current code.\n"
        )
        width = max(len(a["username"]) for a in result.accounts)
        for a in result.accounts:
            self.stdout.write(
                f"  {a['username']:<{width}}  {a['totp_secret']}  "
                f"{a['roles']} — {a['organisation']}"
            )
        self.stdout.write(
            "\nApplicants in the demo civil registry, to register online or at a centre:"
        )
        for person in registry[:3]:
            self.stdout.write(
                f"  {person['personal_number']}  {person['first_name_ka']} {person['last_name_ka']}"
            )
        self.stdout.write(
            "One-time codes go to the SMS outbox: "
            f"{settings.KARI_SMS['OPTIONS'].get('path', '(gateway)')}"
        )
        if serve:
            # The worker runs the jobs started on the web (distribution, invitation cards)
            # and delivers the outbox; it stops with the server.
            worker = subprocess.Popen([sys.executable, "-m", "kari.cli", "worker"])
            self.stdout.write(f"\nServing Kari on {settings.KARI_PUBLIC_URL}/ (Ctrl-C to stop)")
            try:
                call_command("runserver", addr, use_reloader=False)
            finally:
                worker.terminate()
                worker.wait(timeout=30)
