"""Organisations (the bodies of the regulation) and their staff."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .permissions import can
from .roles import ROLE_KINDS, OrgKind, Role


class Bilingual(models.Model):
    """A name in Georgian (the default) and English."""

    name_ka = models.CharField(_("name (Georgian)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "ka").startswith("en") and self.name_en:
            return self.name_en
        return self.name_ka


class Organisation(Bilingual):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=OrgKind.choices)
    municipality = models.ForeignKey(
        "catalogue.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("municipality"),
    )
    address = models.CharField(_("postal address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        ordering = ["kind", "name_ka"]
        verbose_name = _("organisation")


class User(AbstractUser):
    """A staff member: belongs to exactly one organisation and holds roles there."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("organisation"),
    )
    full_name_ka = models.CharField(_("full name (Georgian)"), max_length=200, blank=True)

    objects = UserManager()

    @property
    def display_name(self) -> str:
        return self.full_name_ka or self.get_full_name() or self.username

    @property
    def roles(self) -> set[str]:
        if not hasattr(self, "_roles"):
            self._roles = set(self.role_grants.values_list("role", flat=True))
        return self._roles

    def has_kari_perm(self, perm: str, organisation=None) -> bool:
        """Whether this user may exercise `perm` (for `organisation`, or their own): the one
        check, `permissions.authorize`, so a role held in an organisation of the wrong kind
        gives nothing."""
        return can(self, perm, self.organisation if organisation is None else organisation)


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_grant")]

    def __str__(self) -> str:
        return f"{self.user} · {self.role}"

    def role_fits(self) -> bool:
        return self.user.organisation is not None and (
            self.user.organisation.kind in ROLE_KINDS[self.role]
        )


class DocumentKey(models.Model):
    """A signing body's key for PAdES document signatures (`kari.accounts.signing`).

    One active key per organisation; a replaced key stays (inactive) so that the documents it
    signed still verify. The private key is stored encrypted (Fernet, with the key-encryption
    key from the environment); the certificate (and its chain) in the clear.
    """

    class Source(models.TextChoices):
        SELF_SIGNED = "self_signed", _("self-signed certificate (demo)")
        PKCS12 = "pkcs12", _("certificate from the environment (PKCS#12)")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="document_keys",
        verbose_name=_("organisation"),
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    active = models.BooleanField(_("active"), default=True)
    encrypted_key = models.BinaryField()
    certificate_pem = models.TextField(_("certificate"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    subject = models.CharField(_("certificate holder"), max_length=500)
    not_after = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(_("created"))

    class Meta:
        ordering = ["organisation", "-created_at"]
        verbose_name = _("document signing key")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(active=True),
                name="one_active_document_key",
            )
        ]

    def __str__(self) -> str:
        return self.subject
