"""`kari exams …`: exam logistics from the command line, through the same services as the web.

kari exams distribute   --user emis [--round PK]
kari exams agree        --user naec [--round PK]                 # A17.2: NAEC agrees
kari exams invitations  --user emis [--round PK] [--workers N] [--resume]   # progress bar
kari exams export KIND  --user emis [--round PK] [--format csv|json] [-o FILE]
kari exams numbers FILE --user naec [--round PK]                 # A17.2(b)
kari exams results FILE --user naec [--round PK]                 # A26.1
"""

import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kari.accounts.models import User
from kari.exams import selectors, services
from kari.exams.models import InvitationJob
from kari.exams.services import handovers, invitations, results
from kari.rounds.models import Round
from kari.tabular import ImportRejected


class Command(BaseCommand):
    help = "Exam logistics: distribute, issue invitations, hand-overs, results."

    def add_arguments(self, parser):
        parser.add_argument(
            "action",
            choices=["distribute", "agree", "invitations", "export", "numbers", "results"],
        )
        parser.add_argument(
            "arg", nargs="?", help="export: the hand-over kind; numbers/results: the file"
        )
        parser.add_argument("--user", required=True, help="the staff member acting (audit log)")
        parser.add_argument(
            "--round", type=int, default=None, help="round id (default: the exam round)"
        )
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("-o", "--output", default="-")
        parser.add_argument("--workers", type=int, default=None, help="PDF rendering processes")
        parser.add_argument(
            "--resume", action="store_true", help="invitations: run a failed or stalled job again"
        )

    def handle(self, *args, action, arg, user, round, format, output, workers, resume, **options):
        self.resume = resume
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"no active staff member “{user}”")
        round_ = Round.objects.filter(pk=round).first() if round else selectors.exam_round()
        if round_ is None:
            raise CommandError("no round")
        try:
            getattr(self, f"do_{action}")(actor, round_, arg, format, output, workers)
        except ImportRejected as exc:
            for e in exc.errors:
                self.stderr.write(str(e))
            raise CommandError(
                f"rejected: {len(exc.errors)} problem(s); nothing was written"
            ) from exc
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc

    def do_distribute(self, actor, round_, arg, fmt, output, workers):
        d = services.distribute(actor, round_)
        s = d.stats
        self.stdout.write(
            f"{d}: {s['placed']} placed, {s['unplaced']} unplaced, "
            f"{s['preferred']} in their preferred municipality, "
            f"total {s['total_distance_km']:.0f} km, mean {s['mean_distance_km']:.1f} km"
        )
        for bucket, n in s["histogram"].items():
            self.stdout.write(f"  {bucket:>7} km: {n}")

    def do_agree(self, actor, round_, arg, fmt, output, workers):
        d = selectors.current_distribution(round_)
        if d is None:
            raise CommandError("distribute first")
        services.agree_distribution(actor, d)
        self.stdout.write(f"NAEC agreed to distribution {d.number} (A17.2)")

    def do_invitations(self, actor, round_, arg, fmt, output, workers):
        d = selectors.current_distribution(round_)
        if d is None:
            raise CommandError("distribute first")
        if self.resume:
            job = InvitationJob.objects.filter(distribution=d).order_by("-pk").first()
            if job is None:
                raise CommandError("no invitation job to resume")
            job = services.resume_invitations(actor, job, queue=False)
        else:
            job = services.start_invitations(actor, d, queue=False)
        with tqdm(total=job.total, unit="card", desc="invitations") as bar:

            def progress(done, total):
                bar.update(done - bar.n)

            invitations.run_job(job.pk, workers=workers, progress=progress)
        self.stdout.write(f"{job.total} invitation cards issued")

    def do_export(self, actor, round_, kind, fmt, output, workers):
        if not kind:
            raise CommandError(f"name the hand-over: {', '.join(handovers.EXPORTS)}")
        blob, h = handovers.export(actor, round_, kind, fmt)
        if output == "-":
            sys.stdout.buffer.write(blob)
        else:
            Path(output).write_bytes(blob)
        self.stderr.write(
            f"{h}: {h.rows} rows, deadline {h.deadline:%d.%m.%Y} "
            f"({'on time' if h.on_time else 'LATE'})"
        )

    def do_numbers(self, actor, round_, path, fmt, output, workers):
        data = self._read(path)
        h = handovers.import_numbers(
            actor, round_, data, "json" if path.endswith(".json") else "csv"
        )
        self.stdout.write(f"{h.rows} exam centres' numbers recorded")

    def do_results(self, actor, round_, path, fmt, output, workers):
        data = self._read(path)
        imp = results.import_results(
            actor,
            round_,
            data,
            "xlsx" if path.endswith(".xlsx") else "csv",
            filename=Path(path).name,
        )
        self.stdout.write(
            f"results import {imp.number}: {imp.rows} rows"
            f"{'' if imp.on_time else ' (after the A26.1 deadline)'}"
        )

    def _read(self, path):
        if not path or not Path(path).is_file():
            raise CommandError("give the file to read")
        return Path(path).read_bytes()
