"""An email or SMS to send: written with the change that causes it, sent by the worker."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")


class Status(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("not delivered")


class MessageQuerySet(models.QuerySet):
    def due(self, now):
        return self.filter(status=Status.PENDING, next_attempt_at__lte=now)


class Message(models.Model):
    """One notice to one address (an email may have several recipients).

    ``key`` is the idempotency key: the SMS gateway is given it, so a message sent again
    after a worker died between sending and recording is delivered once; email has no such
    key at the SMTP level (see docs/operations.md for that window).
    """

    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    to = models.TextField(_("to"))  # a phone number, or email addresses separated by commas
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    answer = models.TextField(_("gateway's answer"), blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # A one-time code: its text is wiped once sent or expired, and never shown to staff.
    secret = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"

    @property
    def recipients(self) -> list[str]:
        return [x for x in self.to.split(",") if x] if self.channel == Channel.EMAIL else [self.to]
