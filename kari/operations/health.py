"""The load balancer's health check: the database answers and the queue is not stuck."""

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kari.tasks.worker import abandoned


def check() -> dict:
    """Facts for /healthz; ``ok`` is False when the database or the queue is in trouble."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return {"ok": False, "database": f"unreachable: {type(exc).__name__}"}
    now = timezone.now()
    limit = dt.timedelta(seconds=settings.KARI_HEALTH_QUEUE_WAIT_SECONDS)
    waiting = DBTaskResult.objects.ready().order_by("enqueued_at").first()
    waited = (now - waiting.enqueued_at).total_seconds() if waiting else 0.0
    stuck = waited > limit.total_seconds()
    lost = abandoned(now).count()
    return {
        "ok": not stuck,
        "database": "ok",
        "queue": "stuck" if stuck else "ok",
        "ready": DBTaskResult.objects.ready().count(),
        "running": DBTaskResult.objects.running().count(),
        "oldest_wait_seconds": round(waited, 1),
        "abandoned": lost,
    }
