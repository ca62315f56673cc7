"""`kari simulate`: one whole round on a fresh database, through the services only, with the
checks at the end and a report (docs/simulation.md)."""

import json
import sys
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from kari.simulation import report, runner


def use_database(url: str, *, fresh: bool) -> None:
    """Point the default connection at ``url``; a fresh SQLite file, or (``fresh``) a
    PostgreSQL database dropped and created anew."""
    cfg = dj_database_url.parse(url)
    if cfg["ENGINE"].endswith("sqlite3"):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{cfg['NAME']}{suffix}").unlink(missing_ok=True)
        Path(cfg["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    elif fresh:
        import psycopg

        with psycopg.connect(
            host=cfg["HOST"],
            port=cfg["PORT"] or 5432,
            user=cfg["USER"],
            password=cfg.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    connections["default"].close()
    merged = {**settings.DATABASES["default"], **cfg}
    settings.DATABASES["default"] = merged
    connections.settings["default"] = connections.configure_settings({"default": merged})["default"]
    del connections["default"]


class Command(BaseCommand):
    help = "Simulate one whole round on a fresh database and check that the law held."

    def add_arguments(self, parser):
        parser.add_argument("--applicants", type=int, default=300)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--database",
            default="",
            help="database URL (default: var/simulation/kari.sqlite3, made afresh)",
        )
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="PostgreSQL: drop and create the --database first (it is never reused)",
        )
        parser.add_argument(
            "--report", default="", help="directory for report.html and report.json"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="processes: the simulated people's flows side by side (PostgreSQL), the PDFs",
        )

    def handle(self, *args, applicants, seed, database, fresh, report: str, workers, **options):
        if not settings.DEBUG:  # it drops databases: never on a production instance
            raise CommandError("kari simulate runs only in development mode (KARI_DEBUG=1).")
        base = Path(settings.BASE_DIR) / "var" / "simulation"
        url = database or f"sqlite:///{base / 'kari.sqlite3'}"
        if dj_database_url.parse(url)["NAME"] == settings.DATABASES["default"]["NAME"]:
            raise CommandError(
                "Refusing to simulate in Kari's own database: name another with --database."
            )
        if not url.startswith("sqlite") and not fresh:
            raise CommandError(
                "The simulation needs a fresh database: pass --fresh to drop and create the "
                "PostgreSQL database named in --database."
            )
        # each database its own directory (civil registry, PDFs): runs side by side never share
        base = base / Path(str(dj_database_url.parse(url)["NAME"])).stem
        use_database(url, fresh=fresh)
        call_command("migrate", verbosity=0)
        self.stdout.write(f"Simulating a round with {applicants} applicants (seed {seed})…")

        def say(line):
            self.stdout.write(line)
            self.stdout.flush()

        out = runner.run(applicants, seed, base, workers=workers, progress=say)
        self.stdout.write(
            f"Total {out.seconds:.1f} s, peak memory {out.peak_memory_mb:.0f} MB. "
            f"Missing stages: {', '.join(f'{k} ({v})' for k, v in out.missing.items()) or 'none'}"
        )
        if report:
            paths = report_files(out, Path(report))
            self.stdout.write(f"Report: {paths[0]} and {paths[1]}")
        if not out.passed:
            self.stderr.write("The simulation FAILED: see the stages and checks above.")
            sys.exit(1)
        self.stdout.write("All checks passed.")


def report_files(out, directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    data = out.as_dict()
    json_path = directory / "report.json"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), "utf-8")
    html_path = directory / "report.html"
    html_path.write_text(report.html(data), "utf-8")
    return html_path, json_path
