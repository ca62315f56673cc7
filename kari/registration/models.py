"""Applicants, their registrations for a round (A15, A16) and ranked lists."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TestLanguage(models.TextChoices):
    """A4.1-A4.2: Georgian, or Russian, Azerbaijani or Armenian for framework-based programmes."""

    KA = "ka", _("Georgian")
    RU = "ru", _("Russian")
    AZ = "az", _("Azerbaijani")
    HY = "hy", _("Armenian")


class Channel(models.TextChoices):
    ONLINE = "online", _("online")
    CENTRE = "centre", _("registration centre")


class Applicant(models.Model):
    personal_number = models.CharField(_("personal number"), max_length=11, unique=True)
    first_name_ka = models.CharField(_("first name"), max_length=100)
    last_name_ka = models.CharField(_("last name"), max_length=100)
    first_name_en = models.CharField(max_length=100, blank=True)
    last_name_en = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"))
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"))

    class Meta:
        verbose_name = _("applicant")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name_ka} {self.last_name_ka}"

    @property
    def audit_label(self) -> str:
        # Never the personal number: applicants appear in logs by their database id.
        return f"applicant #{self.pk}"


class Registration(models.Model):
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="registrations")
    round = models.ForeignKey(
        "rounds.Round", on_delete=models.PROTECT, related_name="registrations"
    )
    stage = models.CharField(max_length=12, default="primary")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    exam_municipality = models.ForeignKey(
        "catalogue.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("preferred exam municipality"),
    )
    test_language = models.CharField(
        _("test language"), max_length=2, choices=TestLanguage.choices, default=TestLanguage.KA
    )
    foreign_language = models.CharField(_("foreign language"), max_length=2, blank=True)
    adapted_environment = models.TextField(_("adapted environment needs"), blank=True)
    skills_test = models.ForeignKey(
        "catalogue.SkillsTest", on_delete=models.PROTECT, null=True, blank=True
    )
    subject_group = models.ForeignKey(
        "catalogue.SubjectGroup", on_delete=models.PROTECT, null=True, blank=True
    )
    registered_at = models.DateTimeField(_("registered"))  # to the second (A40.6)
    updated_at = models.DateTimeField(_("last changed"))
    version = models.PositiveIntegerField(default=1)
    centre = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registration centre"),
    )
    clerk = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    carried_over = models.BooleanField(_("uses carried-over scores (A28.1)"), default=False)
    retakes_test = models.BooleanField(_("sits the test again (A28.5)"), default=True)
    education_level = models.CharField(
        _("completed general-education level (A16.3)"), max_length=200, blank=True
    )
    qualification = models.CharField(
        _("professional qualification (A16.3)"), max_length=200, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "round", "stage"], name="one_registration_per_round_and_stage"
            )
        ]
        verbose_name = _("registration")

    def __str__(self) -> str:
        return f"R-{self.pk:06d}" if self.pk else "R-new"

    @property
    def organisation(self):
        return self.centre

    @property
    def number(self) -> str:
        return str(self)


class Choice(models.Model):
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="choices")
    rank = models.PositiveSmallIntegerField()
    programme = models.ForeignKey("catalogue.Programme", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "rank"], name="one_choice_per_rank"),
            models.UniqueConstraint(fields=["registration", "programme"], name="programme_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.programme.code}"


class Version(models.Model):
    """The full history of a registration: who, through which channel, when, what changed."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor_label = models.CharField(max_length=200)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    data = models.JSONField()
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.registration} v{self.number}"
