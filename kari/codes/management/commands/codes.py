"""`kari codes purge`: one-time codes keep personal data only while they are needed."""

from django.core.management.base import BaseCommand

from kari.codes.services import purge


class Command(BaseCommand):
    help = (
        "purge: clear the pending data of expired one-time codes and delete codes older than "
        "a day (run it daily, e.g. from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["purge"])
        parser.add_argument("--keep-hours", type=int, default=24)

    def handle(self, *args, action, keep_hours, **options):
        cleared, deleted = purge(keep_hours=max(keep_hours, 1))
        self.stdout.write(f"{cleared} expired codes cleared, {deleted} old codes deleted")
