"""`kari totp USERNAME`: the current second-factor code of a staff account (for the demo)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from kari.accounts.models import User
from kari.accounts.services import confirmed_device


class Command(BaseCommand):
    help = "Print the current TOTP code of a staff account that has one (demo and testing aid)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:  # a demo aid: never on a production instance (issue 11)
            raise CommandError("kari totp runs only in development mode (KARI_DEBUG=1).")
        user = User.objects.filter(username=username).first()
        device = user and confirmed_device(user)
        if not device:
            raise CommandError(f"{username}: no such staff account with a confirmed authenticator")
        left = 30 - int(time.time()) % 30
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}  (valid for {left} s more)")
