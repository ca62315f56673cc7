"""Staff act only within their own organisation: a scoping test for every role."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kari.accounts import services
from kari.accounts.permissions import NATIONAL as EVERYWHERE
from kari.accounts.permissions import authorize, can
from kari.accounts.roles import NATIONAL, ROLE_KINDS, SCOPED, OrgKind, Role
from kari.catalogue import services as catalogue
from tests.conftest import programme_data


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_every_role_is_refused_for_another_organisation(world, role):
    user = world["users"][role]
    kind = user.organisation.kind
    other = world["orgs"][kind][1]
    assert other.pk != user.organisation_id
    scoped = SCOPED[role]
    assert scoped, "every role has at least one scoped permission"
    for perm in scoped:
        authorize(user, perm, user.organisation)  # own organisation: allowed
        with pytest.raises(PermissionDenied):
            authorize(user, perm, other)
    # Nothing beyond its own permissions, e.g. never another body's statutory act.
    all_perms = set().union(*SCOPED.values(), *NATIONAL.values())
    for perm in all_perms - scoped - NATIONAL.get(role, set()):
        assert not can(user, perm, user.organisation), perm


@pytest.mark.django_db
def test_institution_admin_cannot_announce_for_another_institution(world):
    admin_a = world["users"][Role.INSTITUTION_ADMIN]
    with pytest.raises(PermissionDenied):
        catalogue.set_places(admin_a, world["inst_b"], world["round"], {"B-1": (10, 1)})
    with pytest.raises(PermissionDenied):
        catalogue.save_programme(admin_a, world["inst_b"], programme_data("B-9"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.QUALITY_OFFICER])
def test_only_the_quality_centre_confirms_announcements(world, role):
    admin = world["users"][Role.INSTITUTION_ADMIN]
    catalogue.set_places(admin, world["inst_a"], world["round"], {"A-0": (10, 1)})
    ann = catalogue.submit_announcement(admin, world["inst_a"].announcements.get())
    with pytest.raises(PermissionDenied):
        catalogue.confirm_announcement(world["users"][role], ann)


@pytest.mark.django_db
def test_a_role_cannot_be_held_in_the_wrong_kind_of_organisation(world):
    rc = world["orgs"][OrgKind.RESOURCE_CENTRE][0]
    with pytest.raises(ValidationError):
        services.create_staff(
            None,
            username="x",
            password="Long-enough-pass-1",
            organisation=rc,
            roles=[Role.QUALITY_OFFICER],
        )


@pytest.mark.django_db
def test_a_role_grant_that_does_not_fit_the_organisation_gives_nothing(world):
    """Even if a grant is written directly, the policy ignores it outside its organisation kind."""
    from kari.accounts.models import RoleGrant

    user = world["users"][Role.REGISTRATION_CLERK]
    RoleGrant.objects.create(user=user, role=Role.QUALITY_OFFICER)
    user = type(user).objects.get(pk=user.pk)
    assert not can(user, "announcement.confirm", EVERYWHERE)


def test_every_role_has_organisation_kinds():
    assert set(ROLE_KINDS) == set(Role.values)


@pytest.mark.django_db
def test_staff_without_organisation_can_do_nothing(db):
    from kari.accounts.models import User

    u = User.objects.create_user("lonely", password="Long-enough-pass-1")
    with pytest.raises(PermissionDenied):
        authorize(u, "org.view", EVERYWHERE)


@pytest.mark.django_db
def test_has_kari_perm_goes_through_authorize_and_ignores_a_role_of_the_wrong_kind(world):
    """`User.has_kari_perm` (pages, the staff home page, the audit log) is the same check as
    `authorize`: a role held in an organisation of the wrong kind gives no permission."""
    from kari.accounts.models import RoleGrant

    clerk = world["users"][Role.REGISTRATION_CLERK]  # a resource centre
    assert clerk.has_kari_perm("registration.register")
    RoleGrant.objects.create(user=clerk, role=Role.QUALITY_OFFICER)
    clerk = type(clerk).objects.get(pk=clerk.pk)
    assert Role.QUALITY_OFFICER in clerk.roles
    for perm in SCOPED[Role.QUALITY_OFFICER] | NATIONAL[Role.QUALITY_OFFICER]:
        assert clerk.has_kari_perm(perm) == can(clerk, perm, clerk.organisation), perm
    assert not clerk.has_kari_perm("announcement.confirm")
    assert not clerk.has_kari_perm("audit.view_all")
    # A scoped permission, asked for another organisation, is refused as authorize refuses it.
    admin = world["users"][Role.INSTITUTION_ADMIN]
    assert admin.has_kari_perm("programme.edit", admin.organisation)
    assert not admin.has_kari_perm("programme.edit", world["inst_b"].organisation)
    admin.is_active = False
    assert not admin.has_kari_perm("programme.edit")


def test_every_permission_is_checked_by_some_code():
    """A permission no code checks is dead weight in the policy: remove it or use it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "kari"
    roles = root / "accounts" / "roles.py"
    source = "\n".join(
        p.read_text(encoding="utf-8")
        for p in root.rglob("*.py")
        if p != roles and "migrations" not in p.parts
    )
    perms = set().union(*SCOPED.values(), *NATIONAL.values())
    unchecked = sorted(p for p in perms if f'"{p}"' not in source)
    assert unchecked == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_a_missing_organisation_is_never_yours(world, role):
    """A scoped permission on an object whose organisation is missing (an online
    registration has no centre) is refused; only the explicit national marker means
    "no one organisation" (issue 11, point 1)."""
    user = world["users"][role]
    for perm in SCOPED[role]:
        with pytest.raises(PermissionDenied):
            authorize(user, perm, None)
        assert not can(user, perm, None), perm


def test_authorize_needs_a_target():
    with pytest.raises(TypeError):
        authorize(None, "org.view")  # type: ignore[call-arg]
