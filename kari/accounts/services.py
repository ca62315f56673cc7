"""Staff accounts: creation, roles and the second factor (TOTP)."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from kari.audit.log import record
from kari.errors import RuleError

from .models import Organisation, RoleGrant, User
from .roles import ROLE_KINDS, OrgKind, Role


@transaction.atomic
def create_organisation(
    actor, *, code: str, kind: str, name_ka: str, name_en: str = "", **extra
) -> Organisation:
    if kind not in OrgKind.values:
        raise RuleError(_("Unknown organisation kind “%(kind)s”.") % {"kind": kind}, field="kind")
    org = Organisation.objects.create(
        code=code, kind=kind, name_ka=name_ka, name_en=name_en, **extra
    )
    record(
        actor, "organisation.create", org, after={"code": code, "kind": kind, "name_ka": name_ka}
    )
    return org


@transaction.atomic
def create_staff(
    actor,
    *,
    username: str,
    password: str,
    organisation: Organisation,
    roles: list[str],
    full_name_ka: str = "",
    email: str = "",
    totp_key: str | None = None,
    password_hash: str = "",
) -> User:
    """A staff member belongs to one organisation and holds roles that fit its kind.

    ``password_hash``: ``make_password(password)`` made once for many accounts that share a
    password (the demo's), instead of a fresh PBKDF2 hash for each."""
    for role in roles:
        if role not in Role.values:
            raise RuleError(_("Unknown role “%(role)s”.") % {"role": role}, field="roles")
        if organisation.kind not in ROLE_KINDS[role]:
            raise RuleError(
                _("The role “%(role)s” cannot be held in a %(kind)s.")
                % {"role": Role(role).label, "kind": OrgKind(organisation.kind).label},
                field="roles",
            )
    try:  # the same password rules as a change of password (AUTH_PASSWORD_VALIDATORS)
        password_validation.validate_password(
            password, User(username=username, email=email, full_name_ka=full_name_ka)
        )
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user = User.objects.create_user(
        username=username,
        password=None if password_hash else password,
        email=email,
        organisation=organisation,
        full_name_ka=full_name_ka,
    )
    if password_hash:
        user.password = password_hash
        user.save(update_fields=["password"])
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in roles])
    if totp_key:
        TOTPDevice.objects.create(user=user, name="authenticator", key=totp_key, confirmed=True)
    record(
        actor,
        "staff.create",
        user,
        organisation=organisation,
        after={"username": username, "roles": sorted(roles)},
    )
    return user


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def start_totp_enrolment(user) -> TOTPDevice:
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def confirm_totp_enrolment(user, device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save()
    record(user, "staff.totp_enrolled", user, organisation=user.organisation)
    return True


@transaction.atomic
def change_password(user: User, old: str, new: str) -> None:
    """A staff member changes their own password: the old one, then the password rules."""
    if not user.check_password(old):
        raise RuleError(_("The current password is wrong."), field="old_password")
    try:
        password_validation.validate_password(new, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new)
    user.save(update_fields=["password"])
    record(user, "staff.password_change", user, organisation=user.organisation)
