"""`kari ranking …`: final lists and the ranking from the command line, through the services.

kari ranking freeze   --user emis [--round PK]           # A26.3
kari ranking build    --user naec [--round PK] [--reason TEXT]   # A27.1, progress bar
kari ranking approve  --user naec [--round PK]           # A27.1
kari ranking export   --user naec [--round PK] -o FILE   # the ranking's kari allocate instance
"""

import sys

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kari.accounts.models import User
from kari.accounts.permissions import NATIONAL, authorize
from kari.ranking import services
from kari.ranking.models import Ranking, RankingStatus
from kari.rounds.models import Round


class Command(BaseCommand):
    help = "Final lists (A26.3) and the ranking (A27): freeze, build, approve, export."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["freeze", "build", "approve", "export"])
        parser.add_argument("--user", required=True, help="the staff member acting (audit log)")
        parser.add_argument("--round", type=int, default=None, help="round id (default: latest)")
        parser.add_argument("--reason", default="", help="build: the reason for a correction")
        parser.add_argument("-o", "--output", default="-")

    def handle(self, *args, action, user, round, reason, output, **options):
        actor = User.objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"no active staff member “{user}”")
        round_ = Round.objects.filter(pk=round).first() if round else Round.objects.first()
        if round_ is None:
            raise CommandError("no round")
        try:
            getattr(self, f"do_{action}")(actor, round_, reason, output)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc

    def do_freeze(self, actor, round_, reason, output):
        lists = services.freeze_final_lists(actor, round_)
        self.stdout.write(
            f"{lists}: {lists.applicants} applicants, {lists.programmes} programmes, "
            f"sha256 {lists.checksum}"
        )

    def do_build(self, actor, round_, reason, output):
        with tqdm(total=len(services.rankings.PHASES), file=sys.stderr, leave=False) as bar:

            def progress(phase, done, total):
                bar.set_description(phase)
                bar.n = done
                bar.refresh()

            ranking = services.build_ranking(actor, round_, reason=reason, progress=progress)
        extra = sum(o.extra_places for o in ranking.programmes.all())
        self.stdout.write(
            f"{ranking} ({ranking.get_status_display()}): {ranking.admitted_count} of "
            f"{ranking.applicants} admitted, {extra} tie-rule extra places; "
            + ", ".join(f"{k} {v:.2f} s" for k, v in ranking.timings.items())
        )

    def _draft(self, round_):
        ranking = Ranking.objects.filter(
            round=round_, institution=None, status=RankingStatus.DRAFT
        ).first()
        if ranking is None:
            raise CommandError("no draft ranking: build first")
        return ranking

    def do_approve(self, actor, round_, reason, output):
        ranking = services.approve_ranking(actor, self._draft(round_))
        self.stdout.write(f"{ranking} approved")

    def do_export(self, actor, round_, reason, output):
        authorize(actor, "ranking.view_all", NATIONAL)
        ranking = Ranking.objects.filter(round=round_, institution=None).first()
        if ranking is None:
            raise CommandError("no ranking")
        data = services.rankings.instance_bytes(ranking)
        if output == "-":
            sys.stdout.buffer.write(data)
        else:
            with open(output, "wb") as fh:
                fh.write(data)
