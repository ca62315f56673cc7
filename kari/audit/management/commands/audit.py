"""`kari audit verify | anchor | keygen`: the hash chain, and its signed heads outside the
database (kari.audit.anchor)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kari.audit import anchor as anchoring
from kari.audit.log import verify
from kari.audit.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Audit-log tools. `verify` checks the hash chain for changed or deleted entries and "
        "against every signed head in the witness file; `anchor` signs the chain head and "
        "publishes it (run it periodically); `keygen` creates the anchor signing key."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor", "keygen"])
        parser.add_argument("--witness", help="witness file to check (default: the setting)")

    def handle(self, *args, **options):
        action = options["action"]
        try:
            if action == "keygen":
                path = Path(settings.KARI_AUDIT_ANCHOR["KEY_FILE"])
                public = anchoring.keygen(path)
                self.stdout.write(f"anchor key written to {path}; public key {public}")
                return
            if action == "anchor":
                a = anchoring.anchor()
                self.stdout.write(
                    self.style.SUCCESS(f"anchored entry {a.seq} ({a.hash[:16]}…) at {a.at}")
                )
                return
        except anchoring.AnchorError as exc:
            raise CommandError(str(exc)) from exc
        self._verify(options.get("witness"))

    def _verify(self, witness):
        total = AuditEntry.objects.count()
        with tqdm(total=total, unit="entry", disable=None, delay=1, file=self.stderr) as bar:
            problems = verify(progress=bar.update)
        anchors = anchoring.read_anchors(witness)
        problems += anchoring.check_anchors(anchors)
        if problems:
            for p in problems:
                self.stderr.write(f"entry {p.seq}: {p.message}")
            raise CommandError(f"audit log is NOT intact: {len(problems)} problem(s)")
        latest = f"; latest signed head: entry {anchors[-1].seq}" if anchors else "; no anchors"
        self.stdout.write(self.style.SUCCESS(f"audit log intact: {total} entries verified{latest}"))
