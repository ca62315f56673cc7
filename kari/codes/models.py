"""One-time codes: registration's (A15.4) and certification's email sign-in (C1, C2)."""

from django.db import models


class OneTimeCode(models.Model):
    """A15.4: a random code, stored only as a keyed hash, that expires and allows few attempts.

    Moved from kari.registration (the data too: migrations codes 0001-0002 rename its table).
    """

    purpose = models.CharField(max_length=20)
    subject = models.CharField(max_length=64)  # keyed hash of the personal number or email
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    payload = models.JSONField(default=dict)  # e.g. the pending registration or change

    class Meta:
        indexes = [
            models.Index(fields=["subject", "created_at"]),
            models.Index(fields=["ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code #{self.pk}"
