"""`kari documents verify FILE.pdf`: is a signed document intact and signed by a signing body?
`kari documents certificate ORG_CODE`: print a body's document certificate (PEM), to add to a
PDF reader's trusted certificates."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kari.accounts.models import DocumentKey, Organisation
from kari.accounts.signing import signing_body, verify_document


class Command(BaseCommand):
    help = (
        "Signed documents. `verify FILE.pdf` checks the PAdES signatures against the signing "
        "bodies' certificates (exit status 1 unless intact and trusted); `certificate ORG_CODE` "
        "prints a body's document certificate."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="verify a signed PDF")
        verify.add_argument("file", type=Path)
        cert = sub.add_parser("certificate", help="print a body's document certificate")
        cert.add_argument("organisation", help="the organisation's code")

    def handle(self, *args, **options):
        if options["action"] == "certificate":
            self._certificate(options["organisation"])
        else:
            self._verify(options["file"])

    def _certificate(self, code: str) -> None:
        org = Organisation.objects.filter(code=code).first()
        if org is None:
            raise CommandError(f"no organisation with the code {code!r}")
        key = DocumentKey.objects.filter(organisation=org, active=True).first()
        if key is None:
            raise CommandError(f"{code}: no document signing key yet")
        self.stdout.write(key.certificate_pem, ending="")

    def _verify(self, path: Path) -> None:
        try:
            pdf = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        result = verify_document(pdf)
        body = signing_body(result)
        lines = [
            f"file:        {path}",
            f"signatures:  {result.signatures}",
            f"intact:      {'yes' if result.intact else 'NO'}",
            f"valid:       {'yes' if result.valid else 'NO'}",
            f"trusted:     {'yes' if result.trusted else 'NO'}",
            f"whole file:  {'yes' if result.covers_whole_file else 'NO'}",
        ]
        if result.signer_subject:
            lines.append(f"signer:      {result.signer_subject}")
        if body is not None:
            lines.append(f"body:        {body.name_ka} ({body.code})")
        if result.signing_time:
            lines.append(f"signed at:   {result.signing_time.isoformat()}")
        if result.reason:
            lines.append(f"reason:      {result.reason}")
        self.stdout.write("\n".join(lines))
        for problem in result.problems:
            self.stderr.write(f"problem: {problem}")
        if not result.ok:
            raise CommandError(f"{path}: the signature does NOT verify")
        self.stdout.write(self.style.SUCCESS(f"{path}: intact, signed by a trusted body"))
