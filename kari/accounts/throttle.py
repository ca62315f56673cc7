"""Counting and back-off without lock-outs (issue 11, point 4).

`hit()` counts an event for a key in a window (one row lock per key, never the audit
chain's). `wait()` says how many seconds a key must still wait: nothing for the first `free`
events in the window, then `base` seconds after the last one, doubling, at most `cap` — a slow
down that ends by itself, so that an attacker cannot lock anyone out for long.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Throttle


def hit(key: str, *, window: int) -> int:
    """Count one event for `key`; the count in the current window."""
    now = timezone.now()
    with transaction.atomic():
        t, created = Throttle.objects.select_for_update().get_or_create(
            key=key[:200], defaults={"count": 0, "first_at": now, "last_at": now}
        )
        if not created and now - t.first_at > dt.timedelta(seconds=window):
            t.count, t.first_at = 0, now
        t.count += 1
        t.last_at = now
        t.save()
    return t.count


def wait(key: str, *, window: int, free: int, base: int, cap: int) -> int:
    """Seconds `key` must still wait (0: go ahead)."""
    t = Throttle.objects.filter(key=key[:200]).first()
    now = timezone.now()
    if t is None or now - t.first_at > dt.timedelta(seconds=window) or t.count < free:
        return 0
    delay = min(base * 2 ** (t.count - free), cap)
    remaining = (t.last_at + dt.timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(remaining + 0.999))


def clear(key: str) -> None:
    Throttle.objects.filter(key=key[:200]).delete()


def tally(kind: str) -> None:
    """Count a refused anonymous request in today's aggregate (read by `kari audit` reports)."""
    hit(f"tally:{kind}:{timezone.localdate().isoformat()}", window=2 * 86400)


# ---------------------------------------------------------------- the staff password step


def _conf():
    return settings.KARI_LOGIN_THROTTLE


def password_wait(username: str, ip: str | None) -> int:
    c = _conf()
    common = {"window": c["WINDOW_SECONDS"], "base": c["BACKOFF_SECONDS"]}
    common["cap"] = c["BACKOFF_MAX_SECONDS"]
    account = wait(f"login:user:{username.strip().lower()}", free=c["PER_ACCOUNT"], **common)
    address = wait(f"login:ip:{ip}", free=c["PER_ADDRESS"], **common) if ip else 0
    return max(account, address)


def password_failed(username: str, ip: str | None) -> None:
    window = _conf()["WINDOW_SECONDS"]
    hit(f"login:user:{username.strip().lower()}", window=window)
    if ip:
        hit(f"login:ip:{ip}", window=window)


def password_succeeded(username: str) -> None:
    clear(f"login:user:{username.strip().lower()}")
