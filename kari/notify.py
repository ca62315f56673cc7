"""Notifications: written to the outbox with the change, sent once it commits.

``email_on_commit`` writes the email to the outbox (:mod:`kari.outbox`) in the caller's
transaction: a rolled-back change sends nothing, and a committed one is sent right after the
commit or, if the mail server is down then, by the worker with retries.
"""

import datetime as dt

from django.db import transaction  # noqa: F401 - tests patch kari.notify.transaction.on_commit
from django.utils import translation

from kari.outbox.delivery import enqueue
from kari.outbox.models import Channel


def email_on_commit(
    recipients: list[str],
    subject: str,
    body: str,
    *,
    secret: bool = False,
    expires_at: dt.datetime | None = None,
) -> None:
    """``secret``: the text holds a one-time code (wiped once sent or at ``expires_at``)."""
    recipients = [r for r in recipients if r]
    if recipients:
        enqueue(Channel.EMAIL, recipients, body, subject, secret=secret, expires_at=expires_at)


def notify_organisation(org, subject: str, body: str) -> None:
    staff = [u.email for u in org.staff.filter(is_active=True) if u.email]
    email_on_commit(sorted({org.email, *staff} - {""}), subject, body)


def mask_email(email: str) -> str:
    """n•••@example.ge: enough for the applicant to recognise, not to read."""
    name, _, domain = (email or "").partition("@")
    return f"{name[:1]}•••@{domain}" if domain else ""


def mask_phone(phone: str) -> str:
    return f"•••{phone[-3:]}" if phone else ""


def bilingual(message, sep: str = "\n", **values) -> str:
    """A notice in Georgian, then English (applicants get both whatever page they used).

    `message` is a lazy translatable string with %(name)s placeholders.
    """
    texts = []
    for language in ("ka", "en"):
        with translation.override(language):
            texts.append(str(message) % values)
    return texts[0] if texts[0] == texts[1] else sep.join(texts)
