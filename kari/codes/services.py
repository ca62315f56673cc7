"""One-time codes (A15.4): random, stored as keyed hashes, expiring, few attempts, rate-limited.

Shared by registration (codes for a personal number, A15.4) and certification (sign-in codes
for an email address, C1-C2); the same limits and refusals apply to both. A `purpose` keeps
each use's codes apart.

Codes are never logged or stored in clear; the personal number (or email) they are for is
stored only as a keyed hash too. A request for an unknown personal number creates a code row
that is never delivered, so the answer (and the rate limit) is the same either way and
does not reveal who is registered.

Nobody can lock a person out by knowing their personal number or email: the per-person
back-off is kept per network (client address), a code is never killed by codes others ask
for (only by the holder's own "send a new code"), and a wrong guess counts against the code
its requester holds, plus a per-network back-off of failed guesses (no per-person lock).
"""

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts import throttle
from kari.audit.log import record
from kari.errors import RuleError

from .models import OneTimeCode


class CodeRefused(RuleError):
    pass


def keyed_hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def _conf(key):
    return settings.KARI_OTP[key]


def network(ip) -> str | None:
    """The client network a limit is kept for: the IPv4 address, or the IPv6 /64 (one
    subscriber's whole block, so rotating addresses within it does not buy new budgets)."""
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(str(ip).strip())
    except ValueError:
        return str(ip)
    if addr.version == 6:
        if addr.ipv4_mapped:
            return str(addr.ipv4_mapped)
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)


def backoff_wait(subject: str, now=None, purpose: str | None = None, ip=None) -> int:
    """Seconds before the next code for this person asked from network `ip` (issue 11, point 4).

    Kept per person AND network (None: its own bucket), so codes that someone else asks for a
    person from another network never use up the person's own budget: the first
    PER_PERSON_PER_HOUR codes in an hour from a network go at once; each further one waits
    BACKOFF_SECONDS after that network's last, doubling, at most BACKOFF_MAX_SECONDS.

    Across all networks a person gets PER_PERSON_ALL_NETWORKS_PER_HOUR codes an hour at once;
    beyond that every network backs off the same way, again counted from ITS OWN last code, so
    the first code to a network that has not asked is never held back and flooding a person
    with codes needs many networks. Delivery slows down but is never refused for long.

    Each purpose has its own budget (issue 19, point 3): signing in a few times does not use
    up the codes that confirm a change of the registration."""
    now = now or timezone.now()
    rows = OneTimeCode.objects.filter(subject=subject, created_at__gte=now - dt.timedelta(hours=1))
    if purpose is not None:
        rows = rows.filter(purpose=purpose)
    ceiling = _conf("PER_PERSON_ALL_NETWORKS_PER_HOUR")
    recent = list(rows.order_by("-created_at").values_list("created_at", "ip")[: ceiling + 64])
    where = network(ip)
    mine = [at for at, address in recent if network(address) == where]
    if not mine:
        return 0
    excess = max(len(mine) - _conf("PER_PERSON_PER_HOUR"), len(recent) - ceiling)
    if excess < 0:
        return 0
    delay = min(_conf("BACKOFF_SECONDS") * 2 ** min(excess, 32), _conf("BACKOFF_MAX_SECONDS"))
    return max(0, int((mine[0] + dt.timedelta(seconds=delay) - now).total_seconds() + 0.999))


def _check_rate(subject: str, ip: str | None, purpose: str | None = None) -> None:
    since = timezone.now() - dt.timedelta(hours=1)
    ip_limit = _conf("PER_IP_PER_HOUR")
    seconds = backoff_wait(subject, purpose=purpose, ip=ip)
    if seconds:
        raise CodeRefused(
            _("A code was sent a moment ago. You can ask for a new one in %(seconds)s seconds.")
            % {"seconds": seconds},
            field="personal_number",
            citation="A15.4",
        )
    if (
        ip
        and OneTimeCode.objects.filter(created_at__gte=since, ip=ip)[:ip_limit].count() >= ip_limit
    ):
        raise CodeRefused(
            _("Too many codes were requested from this network. Try again later."),
            field="personal_number",
            citation="A15.4",
        )


def _failure_key(ip) -> str | None:
    where = network(ip)
    return f"otp.fail.ip:{where}" if where else None


def failure_wait(ip) -> int:
    """Seconds a network must wait before its next code is checked (0: go ahead).

    Failed code checks are counted per network: FAILED_PER_IP_PER_HOUR go freely, then each
    next check waits FAILED_BACKOFF_SECONDS after the last failure, doubling, at most
    FAILED_BACKOFF_MAX_SECONDS; so one network cannot guess codes at scale. Only the guessing
    network waits: no person's code or sign-in is locked by it."""
    key = _failure_key(ip)
    if key is None:
        return 0
    return throttle.wait(
        key,
        window=3600,
        free=_conf("FAILED_PER_IP_PER_HOUR"),
        base=_conf("FAILED_BACKOFF_SECONDS"),
        cap=_conf("FAILED_BACKOFF_MAX_SECONDS"),
    )


class _NetworkWaits(str):
    """A refusal because the network failed too often: not itself counted as a failure."""


def issue(purpose: str, personal_number: str, *, ip=None, payload=None) -> tuple[OneTimeCode, str]:
    """Create a code; the caller delivers the returned plain code (on commit) or drops it."""
    return _create(purpose, keyed_hash(personal_number), ip=ip, payload=payload)


def _create(purpose: str, subject: str, *, ip=None, payload=None) -> tuple[OneTimeCode, str]:
    ip = ip or None
    try:
        _check_rate(subject, ip, purpose)
    except CodeRefused:
        throttle.tally(f"otp.rate_limited:{purpose}")  # aggregated: no audit lock per request
        raise
    plain = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    code = OneTimeCode.objects.create(
        purpose=purpose,
        subject=subject,
        code_hash=keyed_hash(f"{subject}:{plain}"),
        created_at=now,
        expires_at=now + dt.timedelta(seconds=_conf("TTL_SECONDS")),
        ip=ip,
        payload=payload or {},
    )
    return code, plain


def reissue(purpose: str, code_id, *, ip=None) -> tuple[OneTimeCode, str]:
    """A new code for the person and purpose of an unused earlier one ("send a new code"), with
    its payload; the earlier code is retired here (marked used, its payload cleared), so only
    the holder's own renewal kills it: codes others ask for the same person never do.
    The same rate limits apply. CodeRefused when there is nothing to renew."""
    with transaction.atomic():
        old = (
            OneTimeCode.objects.select_for_update()
            .filter(pk=code_id, purpose=purpose, used_at__isnull=True)
            .first()
            if str(code_id).isdigit()
            else None
        )
        if old is None or old.expires_at + dt.timedelta(hours=1) < timezone.now():
            raise CodeRefused(
                _("This code can no longer be renewed. Start again."),
                field="code",
                citation="A15.4",
            )
        code, plain = _create(purpose, old.subject, ip=ip, payload=old.payload)
        now = timezone.now()
        OneTimeCode.objects.filter(pk=old.pk).update(
            used_at=now, expires_at=min(old.expires_at, now), payload={}
        )
    return code, plain


def _record_refusal(purpose: str, action: str, ip, code: OneTimeCode | None = None) -> None:
    """Refusals are audited in their own transaction, so they survive the caller's rollback."""
    with transaction.atomic():
        obj = code or OneTimeCode(pk=0, purpose=purpose)
        record(
            None, action, obj, after={"purpose": purpose, "ip": ip}, reason="one-time code refused"
        )


def check(purpose: str, personal_number: str, plain: str, *, ip=None, code_id=None) -> OneTimeCode:
    """The matching live code, marked used; otherwise CodeRefused (and an audit entry).

    With `code_id` (what the requester's session holds), that code, if it is this person's:
    only its holder can guess at it. Without, the newest live code asked for this person FROM
    THE SAME NETWORK as this check, so guesses from elsewhere can neither use up the attempts
    of the code the person holds nor be checked against it."""
    with transaction.atomic():
        code, refused = verify(
            purpose, plain, subject=keyed_hash(personal_number), code_id=code_id, ip=ip
        )
    if refused is None:
        return code
    refuse(purpose, refused, ip, code)


def verify(
    purpose: str, plain: str, *, subject: str | None = None, code_id: int | None = None, ip=None
):
    """Inside the caller's transaction.

    Returns (the code, marked used, None) or (the code or None, why not).

    The code is the live one with `code_id` (the id the requester's session holds: codes
    asked later for the same person do not replace it; "send a new code" retires it), of
    `subject` if given; or else the newest live one for `subject` asked from the network `ip`
    is in. A network that failed too
    often waits first (`failure_wait`). A wrong code counts an attempt; the caller commits that
    and then calls `refuse()`, outside any transaction it rolls back.
    """
    seconds = failure_wait(ip)
    if seconds:
        return None, _NetworkWaits(
            _(
                "Too many wrong codes were entered from this network. "
                "Try again in %(seconds)s seconds."
            )
            % {"seconds": seconds}
        )
    now = timezone.now()
    live = OneTimeCode.objects.filter(purpose=purpose, used_at__isnull=True, expires_at__gt=now)
    if code_id is not None:
        if subject is not None:
            live = live.filter(subject=subject)
        code = (
            live.select_for_update().filter(pk=code_id).first() if str(code_id).isdigit() else None
        )
    else:
        where = network(ip)
        candidates = live.filter(subject=subject).order_by("-created_at", "-pk")
        pk = next((p for p, a in candidates.values_list("pk", "ip")[:64] if network(a) == where), 0)
        code = live.select_for_update().filter(pk=pk).first() if pk else None
    if code is None:
        return None, _("The code is wrong or has expired. Ask for a new one.")
    if code.attempts >= _conf("MAX_ATTEMPTS"):
        return code, _("Too many wrong attempts. Ask for a new code.")
    code.attempts += 1
    if hmac.compare_digest(code.code_hash, keyed_hash(f"{code.subject}:{str(plain).strip()}")):
        code.used_at = now
        # The payload (a pending registration: personal number, contacts) is kept only while
        # needed: the caller gets it in `code`, the stored row loses it (issue 11, point 6).
        OneTimeCode.objects.filter(pk=code.pk).update(
            attempts=code.attempts, used_at=now, payload={}
        )
        return code, None
    code.save(update_fields=["attempts"])
    return code, _("The code is wrong or has expired. Ask for a new one.")


def refuse(purpose: str, refused, ip, code: OneTimeCode | None = None):
    """Audit a refused code (in its own transaction) and raise CodeRefused.

    A wrong guess at a live code is audited (at most MAX_ATTEMPTS a code); a code that does
    not exist or has expired is only counted in the day's aggregate, so that anonymous
    requests cannot make every request take the audit chain's lock.

    Every refusal but the network's own wait counts a failure for the network (`failure_wait`).
    """
    if isinstance(refused, _NetworkWaits):
        throttle.tally(f"otp.network_waits:{purpose}")
        raise CodeRefused(str(refused), field="code", citation="A15.4")
    key = _failure_key(ip)
    if key is not None:
        throttle.hit(key, window=3600)
    if code is None:
        throttle.tally(f"otp.failed:{purpose}")
    else:
        _record_refusal(purpose, "otp.failed", ip, code)
    raise CodeRefused(refused, field="code", citation="A15.4")


def purge(now=None, keep_hours: int = 24) -> tuple[int, int]:
    """Clear the payload of expired codes, and delete codes older than `keep_hours` (the
    rate limits look back one hour). Returns (cleared, deleted)."""
    now = now or timezone.now()
    cleared = OneTimeCode.objects.filter(expires_at__lte=now).exclude(payload={}).update(payload={})
    deleted, _ = OneTimeCode.objects.filter(
        created_at__lt=now - dt.timedelta(hours=keep_hours)
    ).delete()
    return cleared, deleted
