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
    return wait_for(t, window=window, free=free, base=base, cap=cap)


def wait_for(t: Throttle | None, *, window: int, free: int, base: int, cap: int) -> int:
    """`wait` on a key's row already read (None: no row), for callers that read several
    keys' rows in one query."""
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
#
# A username is public knowledge, so failures counted per username alone would let anyone
# keep a clerk waiting for ever (one wrong password whenever the back-off ends). Failures
# are therefore counted per (account, address): an attacker elsewhere slows down only
# himself. Two more budgets stay: per address (many accounts tried from one place) and a
# generous ceiling per account across all addresses (a guessing attack spread over many
# addresses); the ceiling never applies at an address from which the account has signed
# in before (`KNOWN_ADDRESS_DAYS`), so the clerk's own network keeps working.

_DEFAULTS = {"PER_ACCOUNT_ALL_ADDRESSES": 100, "KNOWN_ADDRESS_DAYS": 90}


def _conf():
    return _DEFAULTS | settings.KARI_LOGIN_THROTTLE


def _user(username: str) -> str:
    return username.strip().lower()


def _pair_key(username: str, ip: str | None) -> str:
    # The address first: a key cut at 200 characters never loses the address.
    return f"login:pair:{ip or '-'}:{_user(username)}"


def _account_key(username: str) -> str:
    return f"login:user:{_user(username)}"


def _known_key(username: str, ip: str | None) -> str:
    return f"login:known:{ip or '-'}:{_user(username)}"


def _known_address(username: str, ip: str | None, days: int) -> bool:
    if not ip:
        return False
    since = timezone.now() - dt.timedelta(days=days)
    return Throttle.objects.filter(key=_known_key(username, ip)[:200], last_at__gte=since).exists()


def password_wait(username: str, ip: str | None) -> int:
    c = _conf()
    common = {"window": c["WINDOW_SECONDS"], "base": c["BACKOFF_SECONDS"]}
    common["cap"] = c["BACKOFF_MAX_SECONDS"]
    pair = wait(_pair_key(username, ip), free=c["PER_ACCOUNT"], **common)
    address = wait(f"login:ip:{ip}", free=c["PER_ADDRESS"], **common) if ip else 0
    account = 0
    if not _known_address(username, ip, c["KNOWN_ADDRESS_DAYS"]):
        account = wait(_account_key(username), free=c["PER_ACCOUNT_ALL_ADDRESSES"], **common)
    return max(pair, address, account)


def password_failed(username: str, ip: str | None) -> None:
    window = _conf()["WINDOW_SECONDS"]
    hit(_pair_key(username, ip), window=window)
    hit(_account_key(username), window=window)
    if ip:
        hit(f"login:ip:{ip}", window=window)


def password_succeeded(username: str, ip: str | None) -> None:
    """The right password: this address's failures for the account are forgotten and the
    address is remembered as the account's own. The count across addresses stays: a
    spread-out attack goes on being slowed elsewhere."""
    clear(_pair_key(username, ip))
    if ip:
        hit(_known_key(username, ip), window=_conf()["KNOWN_ADDRESS_DAYS"] * 86400)
