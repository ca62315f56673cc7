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
    # A28.1: the scores carried (once: a score record is carried by one registration at most).
    carried_from = models.OneToOneField(
        "ScoreRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_by",
        verbose_name=_("carried-over scores (A28.1)"),
    )
    # A28.5: set only on a carried-over registration whose applicant sits the test again.
    retakes_test = models.BooleanField(_("sits the test again (A28.5)"), default=False)
    education_level = models.CharField(
        _("completed general-education level (A16.3)"), max_length=200, blank=True
    )
    qualification = models.CharField(
        _("professional qualification (A16.3)"), max_length=200, blank=True
    )
    basic_education_document = models.CharField(
        _("basic-education document (A6.2)"), max_length=100, blank=True
    )
    # A13.4(f), article 2(a): requirements the applicant was warned about; the institution sees
    # them (a programme's education level is warned about, never refused).
    requirement_warnings = models.JSONField(default=list, blank=True)

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

    @property
    def sits_test(self) -> bool:
        """A28: an applicant who carries scores sits the test only if they chose to retake it;
        everyone else sits it (A6.1, A17.2)."""
        return not self.carried_over or self.retakes_test


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


class ScoreSource(models.TextChoices):
    RESULTS = "results", _("results of a round run in Kari (A26.1)")
    IMPORT = "import", _("imported results of a round before Kari")


class ScoreRecord(models.Model):
    """An applicant's primary-stage scores in one round, and what the ranking gave them (A28).

    Written when NAEC's results are taken in (A26.1, A26.2: the results are then published to
    the applicant), by the ranking when it decides who got a place (``admitted``), and by the
    import of rounds held before Kari. The next round reads them to carry scores over (A28.1).
    Scores are keyed like NAEC's results file: ``skills_score`` and one key per subject code.
    """

    personal_number = models.CharField(_("personal number"), max_length=11)
    year = models.PositiveSmallIntegerField(_("year"))
    season = models.CharField(_("season"), max_length=6)
    registration = models.OneToOneField(
        Registration,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="score_record",
    )
    skills_test = models.ForeignKey(
        "catalogue.SkillsTest", on_delete=models.PROTECT, related_name="+"
    )
    subject_group = models.ForeignKey(
        "catalogue.SubjectGroup", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    test_language = models.CharField(max_length=2, default=TestLanguage.KA)
    foreign_language = models.CharField(max_length=2, blank=True)
    scores = models.JSONField(default=dict)  # "skills_score" / subject code -> "21.50"
    # None: the round's ranking has not decided yet; False: the round left them without a
    # place (A28.1); True: admitted.
    admitted = models.BooleanField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=ScoreSource.choices)
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["personal_number", "year", "season"], name="one_score_record_per_round"
            )
        ]
        verbose_name = _("scores of a round")

    def __str__(self) -> str:
        return f"scores #{self.pk} ({self.season} {self.year})"

    @property
    def organisation(self):
        return None
