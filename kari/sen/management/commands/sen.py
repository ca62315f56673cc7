"""`kari sen …`: the SEN track from the command line, through the services.

kari sen schedule --user ministry-sen --stage primary --opens D --closes D --test-starts D
                  --test-ends D --max-minutes N [--round PK]     # A37.2, A38.2, A40.1
kari sen status   [--round PK]      # registrations per status, trials, acts: counts only
kari sen purge                      # erase health data past KARI_SEN_RETENTION_DAYS
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from kari.accounts.models import User
from kari.rounds.models import Round
from kari.sen import services
from kari.sen.models import Act, SenRegistration, Trial


class Command(BaseCommand):
    help = "The SEN track (A33-A40): the minister's schedule, a summary, the retention purge."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["schedule", "status", "purge"])
        parser.add_argument("--user", default="", help="the staff member acting (audit log)")
        parser.add_argument("--round", type=int, default=None, help="round id (default: latest)")
        parser.add_argument("--stage", default="primary", choices=["primary", "subsequent"])
        for name in ("opens", "closes", "test-starts", "test-ends"):
            parser.add_argument(f"--{name}", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--max-minutes", type=int, default=None)

    def handle(self, *args, action, **o):
        round_ = (
            Round.objects.filter(pk=o["round"]).first() if o["round"] else Round.objects.first()
        )
        try:
            if action == "purge":
                n = services.purge_health_data()
                self.stdout.write(f"erased: {n} records of health data")
            elif action == "status":
                self.do_status(round_)
            else:
                self.do_schedule(round_, o)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc

    def do_schedule(self, round_, o):
        actor = User.objects.filter(username=o["user"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active staff member “{o['user']}”")
        if round_ is None:
            raise CommandError("no round")
        missing = [
            n for n in ("opens", "closes", "test_starts", "test_ends", "max_minutes") if not o[n]
        ]
        if missing:
            raise CommandError("missing: " + ", ".join("--" + m.replace("_", "-") for m in missing))
        s = services.set_schedule(
            actor,
            round_,
            o["stage"],
            registration_opens=o["opens"],
            registration_closes=o["closes"],
            test_starts=o["test_starts"],
            test_ends=o["test_ends"],
            max_minutes=o["max_minutes"],
        )
        self.stdout.write(
            f"{s}: registration {s.registration_opens}–{s.registration_closes}, "
            f"trials {s.test_starts}–{s.test_ends}, at most {s.max_minutes} minutes"
        )

    def do_status(self, round_):
        regs = SenRegistration.objects.filter(round=round_)
        for row in regs.values("stage", "status").annotate(n=Count("pk")).order_by("stage"):
            self.stdout.write(f"{row['stage']} {row['status']}: {row['n']}")
        self.stdout.write(f"trials: {Trial.objects.filter(registration__round=round_).count()}")
        for act in Act.objects.filter(round=round_):
            state = "published" if act.published_at else "draft"
            self.stdout.write(f"act {act.number}: {state}, {act.placements.count()} placements")
