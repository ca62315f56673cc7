"""Running a job in a thread, so the web page can show its progress meanwhile."""

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections

log = logging.getLogger(__name__)


def run_in_background(job_id: int, run: Callable[[int], object]) -> None:
    """Call ``run(job_id)`` in a daemon thread with its own database connection. ``run``
    records its outcome on the job (done, or failed with the error), which the page shows."""

    def target():
        close_old_connections()
        try:
            run(job_id)
        except Exception:  # recorded on the job (FAILED, with the error); the page shows it
            log.warning("background job %s stopped with an error", job_id)
        finally:
            close_old_connections()

    threading.Thread(target=target, name=f"kari-job-{job_id}", daemon=True).start()
