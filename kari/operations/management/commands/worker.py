"""`kari worker`: run queued tasks (with leases) and deliver the notification outbox."""

import logging
import signal

from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from kari.outbox.delivery import deliver_due
from kari.tasks.worker import LeasedWorker


class Command(BaseCommand):
    help = "Run queued tasks and deliver the notification outbox (run one or more beside the web)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued or due, then stop"
        )
        parser.add_argument("--queue", default="*", help="queue names, comma-separated (* all)")
        parser.add_argument("--worker-id", default="", help="a unique name (default: random)")

    def handle(self, *args, interval, batch, queue, worker_id, verbosity, **options):
        logging.getLogger("kari").setLevel(logging.INFO if verbosity else logging.WARNING)
        worker = LeasedWorker(
            idle=[deliver_due],
            queue_names=queue.split(","),
            interval=interval,
            batch=batch,
            worker_id=worker_id or get_random_string(32),
        )
        worker.configure_signals()  # SIGTERM: finish the running task, then stop
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        self.stdout.write(f"Kari worker {worker.worker_id} started (Ctrl-C to stop)")
        worker.run()
