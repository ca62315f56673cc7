"""Who may read which history."""

from kari.accounts.permissions import can

from .models import AuditEntry


def visible_entries(actor, qs=None):
    """Entries `actor` may read: their own organisation's, or all for national oversight."""
    qs = AuditEntry.objects.all() if qs is None else qs
    if can(actor, "audit.view_all"):
        return qs
    if actor is None or not actor.is_authenticated or actor.organisation_id is None:
        return qs.none()
    return qs.filter(organisation_id=actor.organisation_id)
