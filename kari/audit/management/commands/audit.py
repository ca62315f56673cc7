"""`kari audit verify`: recompute the hash chain and report any tampering."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kari.audit.log import verify
from kari.audit.models import AuditEntry


class Command(BaseCommand):
    help = "Audit-log tools. `verify` checks the hash chain for changed or deleted entries."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        total = AuditEntry.objects.count()
        with tqdm(total=total, unit="entry", disable=None, delay=1, file=self.stderr) as bar:
            problems = verify(progress=bar.update)
        if problems:
            for p in problems:
                self.stderr.write(f"entry {p.seq}: {p.message}")
            raise CommandError(f"audit log is NOT intact: {len(problems)} problem(s)")
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {total} entries verified"))
