"""The one place where services check who may do what, and for which organisation."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .roles import ROLE_KINDS, national_permissions, scoped_permissions


class _National:
    """The target of a check that concerns no one organisation (a national act or page)."""

    def __repr__(self) -> str:
        return "NATIONAL"


NATIONAL = _National()


def authorize(actor, perm: str, organisation) -> None:
    """Raise PermissionDenied unless `actor` may exercise `perm` for `organisation`.

    `organisation` is required: the object's organisation, or `NATIONAL` when the check
    concerns no one organisation. A scoped permission is only ever exercised for the
    actor's own organisation: a staff member can never act for another organisation, and
    a missing organisation (`None`) is never "yours". A national permission is the
    statutory act of the actor's own body (e.g. A13.3), whatever the target.
    """
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied(_("Sign in first."))
    own = actor.organisation
    if own is None:
        raise PermissionDenied(_("Your account belongs to no organisation."))
    roles = {r for r in actor.roles if own.kind in ROLE_KINDS.get(r, set())}
    if perm in national_permissions(roles):
        return
    if perm in scoped_permissions(roles):
        if organisation is NATIONAL:
            return
        if organisation is not None and organisation.pk == own.pk:
            return
        raise PermissionDenied(_("You can only act for your own organisation."))
    raise PermissionDenied(_("Your roles do not allow this (%(perm)s).") % {"perm": perm})


def can(actor, perm: str, organisation) -> bool:
    try:
        authorize(actor, perm, organisation)
    except PermissionDenied:
        return False
    return True


def authorize_any(actor, *checks: tuple[str, object]) -> None:
    """Pass if any (perm, organisation) check passes; otherwise raise the last refusal."""
    refusal = None
    for perm, organisation in checks:
        try:
            authorize(actor, perm, organisation)
            return
        except PermissionDenied as exc:
            refusal = exc
    raise refusal or PermissionDenied()
