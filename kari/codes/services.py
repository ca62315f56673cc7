"""One-time codes (A15.4): random, stored as keyed hashes, expiring, few attempts, rate-limited.

Shared by registration (codes for a personal number, A15.4) and certification (sign-in codes
for an email address, C1-C2); the same limits and refusals apply to both. A `purpose` keeps
each use's codes apart.

Codes are never logged or stored in clear; the personal number (or email) they are for is
stored only as a keyed hash too. A request for an unknown personal number creates a code row
that is never delivered, so the answer (and the rate limit) is the same either way and
does not reveal who is registered.
"""

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
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


def backoff_wait(subject: str, now=None, purpose: str | None = None) -> int:
    """Seconds before the next code for this person (issue 11, point 4).

    The first PER_PERSON_PER_HOUR codes in an hour go at once; each further one waits
    BACKOFF_SECONDS after the last, doubling, at most BACKOFF_MAX_SECONDS. Delivery slows
    down but is never refused for long, so asking for someone's codes cannot block them.

    Each purpose has its own budget (issue 19, point 3): signing in a few times does not use
    up the codes that confirm a change of the registration."""
    now = now or timezone.now()
    free = _conf("PER_PERSON_PER_HOUR")
    mine = OneTimeCode.objects.filter(subject=subject, created_at__gte=now - dt.timedelta(hours=1))
    if purpose is not None:
        mine = mine.filter(purpose=purpose)
    recent = list(mine.order_by("-created_at").values_list("created_at", flat=True)[:64])
    if len(recent) < free:
        return 0
    delay = min(_conf("BACKOFF_SECONDS") * 2 ** (len(recent) - free), _conf("BACKOFF_MAX_SECONDS"))
    return max(0, int((recent[0] + dt.timedelta(seconds=delay) - now).total_seconds() + 0.999))


def _check_rate(subject: str, ip: str | None, purpose: str | None = None) -> None:
    since = timezone.now() - dt.timedelta(hours=1)
    ip_limit = _conf("PER_IP_PER_HOUR")
    seconds = backoff_wait(subject, purpose=purpose)
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


def issue(purpose: str, personal_number: str, *, ip=None, payload=None) -> tuple[OneTimeCode, str]:
    """Create a code; the caller delivers the returned plain code (on commit) or drops it."""
    return _create(purpose, keyed_hash(personal_number), ip=ip, payload=payload)


def _create(purpose: str, subject: str, *, ip=None, payload=None) -> tuple[OneTimeCode, str]:
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
    its payload; the earlier code dies (only the newest live code of a person is accepted).
    The same rate limits apply. CodeRefused when there is nothing to renew."""
    old = (
        OneTimeCode.objects.filter(pk=code_id, purpose=purpose, used_at__isnull=True).first()
        if str(code_id).isdigit()
        else None
    )
    if old is None or old.expires_at + dt.timedelta(hours=1) < timezone.now():
        raise CodeRefused(
            _("This code can no longer be renewed. Start again."), field="code", citation="A15.4"
        )
    return _create(purpose, old.subject, ip=ip, payload=old.payload)


def _record_refusal(purpose: str, action: str, ip, code: OneTimeCode | None = None) -> None:
    """Refusals are audited in their own transaction, so they survive the caller's rollback."""
    with transaction.atomic():
        obj = code or OneTimeCode(pk=0, purpose=purpose)
        record(
            None, action, obj, after={"purpose": purpose, "ip": ip}, reason="one-time code refused"
        )


def check(purpose: str, personal_number: str, plain: str, *, ip=None) -> OneTimeCode:
    """The matching live code, marked used; otherwise CodeRefused (and an audit entry)."""
    with transaction.atomic():
        code, refused = verify(purpose, plain, subject=keyed_hash(personal_number))
    if refused is None:
        return code
    refuse(purpose, refused, ip, code)


def verify(purpose: str, plain: str, *, subject: str | None = None, code_id: int | None = None):
    """Inside the caller's transaction.

    Returns (the code, marked used, None) or (the code or None, why not).

    The code is the newest live one for `subject`, or the one with `code_id` if it is still the
    newest live one for its person (a newer code replaces it). A wrong code counts an attempt;
    the caller commits that and then calls `refuse()`, outside any transaction it rolls back.
    """
    now = timezone.now()
    live = OneTimeCode.objects.filter(purpose=purpose, used_at__isnull=True, expires_at__gt=now)
    if code_id is not None:
        newer = OneTimeCode.objects.filter(
            purpose=purpose, subject=OuterRef("subject"), created_at__gt=OuterRef("created_at")
        )
        code = (
            live.select_for_update().filter(pk=code_id).exclude(Exists(newer)).first()
            if str(code_id).isdigit()
            else None
        )
    else:
        code = live.select_for_update().filter(subject=subject).order_by("-created_at").first()
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
    requests cannot make every request take the audit chain's lock."""
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
