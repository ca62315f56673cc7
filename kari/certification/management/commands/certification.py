"""`kari certification keygen ORG_CODE`: the organisation's Ed25519 signing key (C4)."""

from django.core.management.base import BaseCommand, CommandError

from kari.accounts.models import Organisation
from kari.certification.issuing import generate_key
from kari.errors import RuleError


class Command(BaseCommand):
    help = "Certification tools. `keygen ORG_CODE` creates the organisation's signing key."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["keygen"])
        parser.add_argument("organisation")

    def handle(self, *args, action, organisation, **options):
        org = Organisation.objects.filter(code=organisation, kind="certifier").first()
        if org is None:
            raise CommandError(f"no certifying organisation “{organisation}”")
        try:
            key = generate_key(org)
        except RuleError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"public key (Multikey): {key.public_multibase}")
