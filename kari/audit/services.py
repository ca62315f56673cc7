"""Who may read which history.

The permission check is the staff user's own `has_kari_perm`, which goes through
`kari.accounts.permissions.authorize`: the audit log sits below the accounts app (its
services are audited too) and imports nothing from it.
"""

from .models import AuditEntry


def _may(actor, perm: str) -> bool:
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and getattr(actor, "has_kari_perm", None)
        and actor.has_kari_perm(perm)
    )


def visible_entries(actor, qs=None):
    """Entries `actor` may read: their own organisation's, or all for national oversight."""
    qs = AuditEntry.objects.all() if qs is None else qs
    if _may(actor, "audit.view_all"):
        return qs
    if not _may(actor, "org.view") or actor.organisation_id is None:
        return qs.none()
    return qs.filter(organisation_id=actor.organisation_id)
