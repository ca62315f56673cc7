"""Notifications, sent only after the transaction commits."""

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

log = logging.getLogger(__name__)


def email_on_commit(recipients: list[str], subject: str, body: str) -> None:
    recipients = [r for r in recipients if r]
    if not recipients:
        return

    def send():
        try:
            send_mail(subject, body, None, recipients)
        except Exception:  # the change is committed; a failed notice must not turn it into an error
            log.exception("email could not be sent")

    transaction.on_commit(send)


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
