"""`kari catalogue import|export|reference`: the catalogue from and to CSV/XLSX files."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kari.accounts.models import User
from kari.catalogue import reference, transfer


class Command(BaseCommand):
    help = "Import or export institutions and programmes (CSV, XLSX); load reference data."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="all-or-nothing import")
        imp.add_argument("kind", choices=sorted(transfer.COLUMNS))
        imp.add_argument("file")
        imp.add_argument(
            "--as",
            dest="username",
            required=True,
            help="the staff account the import is done as (audit log)",
        )
        imp.add_argument("--reason", default="")
        exp = sub.add_parser("export")
        exp.add_argument("kind", choices=sorted(transfer.COLUMNS))
        exp.add_argument("file", help="a .csv or .xlsx path")
        sub.add_parser("reference", help="load the shipped reference data")

    def handle(self, *args, action, **o):
        if action == "reference":
            counts = reference.load_reference()
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
            return
        path = Path(o["file"])
        fmt = path.suffix.lower().lstrip(".")
        if action == "export":
            path.write_bytes(transfer.export_table(o["kind"], fmt))
            self.stdout.write(f"wrote {path}")
            return
        actor = User.objects.filter(username=o["username"]).first()
        if actor is None:
            raise CommandError(f"no staff account “{o['username']}”")
        try:
            result = transfer.import_table(
                actor, o["kind"], path.read_bytes(), fmt, reason=o["reason"]
            )
        except transfer.ImportRejected as exc:
            for e in exc.errors:
                self.stderr.write(str(e))
            raise CommandError(f"{len(exc.errors)} problem(s); nothing was imported") from exc
        self.stdout.write(f"imported {o['kind']}: {result.created} new, {result.updated} updated")
