"""The programme catalogue: reference data, institutions, programmes and admission announcements."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kari.accounts.models import Bilingual, Organisation


class Region(Bilingual):
    code = models.CharField(max_length=10, unique=True)

    class Meta:
        ordering = ["name_ka"]


class Municipality(Bilingual):
    code = models.SlugField(max_length=40, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="municipalities")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["name_ka"]
        verbose_name = _("municipality")


class Direction(Bilingual):
    """A direction of the National Qualifications Framework."""

    code = models.CharField(max_length=10, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("direction")


class Field(Bilingual):
    """A field (speciality) within a direction."""

    code = models.CharField(max_length=10, unique=True)
    direction = models.ForeignKey(Direction, on_delete=models.PROTECT, related_name="fields")

    class Meta:
        ordering = ["code"]
        verbose_name = _("field")


class SkillsTest(Bilingual):
    """A professional skills-test type (A7.1)."""

    code = models.SlugField(max_length=40, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("skills test")


class Subject(Bilingual):
    """A7.3: Georgian, mathematics, a foreign language, history, geography, physics,
    chemistry, biology, art."""

    code = models.SlugField(max_length=40, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("subject")


class SubjectGroup(Bilingual):
    """A7.4: the applicant sits every subject in the group."""

    code = models.SlugField(max_length=40, unique=True)
    subjects = models.ManyToManyField(Subject, related_name="groups")

    class Meta:
        ordering = ["code"]
        verbose_name = _("subject group")


class TestMapping(models.Model):
    """A7.2: the skills test and subject group of a field, set by the NAEC director's act.

    A primary-stage programme of the field inherits them; the institution cannot choose others.
    """

    field = models.OneToOneField(Field, on_delete=models.CASCADE, related_name="test_mapping")
    skills_test = models.ForeignKey(SkillsTest, on_delete=models.PROTECT, related_name="+")
    subject_group = models.ForeignKey(SubjectGroup, on_delete=models.PROTECT, related_name="+")
    act_number = models.CharField(_("number of the NAEC director's act"), max_length=60, blank=True)
    act_date = models.DateField(_("date of the NAEC director's act"), null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["field__code"]
        verbose_name = _("skills test and subject group of a field (A7.2)")

    def __str__(self) -> str:
        return f"{self.field.code}: {self.skills_test.code} + {self.subject_group.code}"


class ForeignLanguage(models.TextChoices):
    """A7.3's four languages.

    ANY means the institution names none and the applicant picks (A7.5).
    """

    ANY = "any", _("any of the four (applicant's choice)")
    EN = "en", _("English")
    DE = "de", _("German")
    RU = "ru", _("Russian")
    FR = "fr", _("French")


class EducationLevel(models.TextChoices):
    """Article 2(a), A6.2: the general-education level a programme asks for."""

    NONE = "", _("no requirement")
    BASIC = "basic", _("basic general education")
    SECONDARY = "secondary", _("secondary general education")


class Stage(models.TextChoices):
    PRIMARY = "primary", _("primary stage")
    SUBSEQUENT = "subsequent", _("subsequent stage")


class Institution(models.Model):
    """A VET institution with its A13.4 announcement data."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="institution"
    )
    legal_form = models.CharField(_("legal form"), max_length=200)
    heads = models.JSONField(_("heads with phones"), default=list, blank=True)

    class Meta:
        ordering = ["organisation__name_ka"]
        verbose_name = _("institution")

    def __str__(self) -> str:
        return str(self.organisation)

    @property
    def head_name(self) -> str:
        """The head recorded for the institution (the first of its heads), or "" if none."""
        heads = self.heads or []
        return heads[0].get("name", "") if heads and isinstance(heads[0], dict) else ""

    @property
    def code(self) -> str:
        return self.organisation.code


class Programme(Bilingual):
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="programmes"
    )
    code = models.CharField(_("identification code"), max_length=30, unique=True)
    field = models.ForeignKey(
        Field, on_delete=models.PROTECT, related_name="programmes", verbose_name=_("field")
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.PRIMARY
    )
    art_sport_tourism = models.BooleanField(_("art, sport or tourism (A9)"), default=False)
    work_based = models.BooleanField(_("work-based (A10)"), default=False)
    framework_based = models.BooleanField(_("built on a framework document (A4.2)"), default=False)
    skills_test = models.ForeignKey(
        SkillsTest, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("skills test")
    )
    subject_group = models.ForeignKey(
        SubjectGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("subject group"),
    )
    foreign_language = models.CharField(
        _("foreign language (A7.5)"),
        max_length=3,
        choices=ForeignLanguage.choices,
        default=ForeignLanguage.ANY,
    )
    extra_requirements = models.TextField(_("extra admission requirements (A13.4(f))"), blank=True)
    # A13.4(f), article 2(a): the requirements that can be checked, as data.
    min_education = models.CharField(
        _("minimum general-education level"),
        max_length=10,
        choices=EducationLevel.choices,
        blank=True,
        default=EducationLevel.NONE,
    )
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    min_age_on = models.DateField(
        _("minimum age reached on (blank: the first test day)"), null=True, blank=True
    )
    other_documents = models.TextField(_("other documents to submit"), blank=True)
    work_based_specifics = models.TextField(
        _("competition and delivery specifics (A13.4(g))"), blank=True
    )
    authorised_places = models.PositiveIntegerField(
        _("places authorised by the authorisation council (A13.6)"), null=True, blank=True
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("programme")

    @property
    def direction(self):
        return self.field.direction


class AnnouncementStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted, awaiting confirmation")
    FLAGGED = "flagged", _("returned: places differ from the authorisation (A13.6)")
    CONFIRMED = "confirmed", _("confirmed by the quality centre")


class Announcement(models.Model):
    """An institution's admission announcement for a round (A13)."""

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="announcements"
    )
    round = models.ForeignKey(
        "rounds.Round", on_delete=models.PROTECT, related_name="announcements"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AnnouncementStatus.choices,
        default=AnnouncementStatus.DRAFT,
    )
    submitted_at = models.DateTimeField(pgettext_lazy("time", "submitted"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    flag_reason = models.TextField(_("reason returned"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "round"], name="one_announcement_per_round"
            ),
        ]
        verbose_name = _("admission announcement")

    def __str__(self) -> str:
        return f"{self.institution} · {self.round}"

    @property
    def organisation(self):
        return self.institution.organisation

    def snapshot(self) -> dict:
        return {
            "status": self.status,
            "lines": {
                line.programme.code: [line.places, line.sen_places]
                for line in self.lines.select_related("programme")
            },
        }


class AnnouncementLine(models.Model):
    """Places announced for one programme in a round (A13.4(e), A13.2)."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="lines")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="announced")
    places = models.PositiveIntegerField(_("places"))
    sen_places = models.PositiveIntegerField(_("places reserved for SEN applicants"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "programme"], name="one_line_per_programme"
            ),
        ]
        ordering = ["programme__code"]

    def __str__(self) -> str:
        return f"{self.programme.code}: {self.places} ({self.sen_places} SEN)"


class StudentCount(models.Model):
    """A13.7: a programme's current, admitted-this-year and graduating students for a round.

    The institution enters them (the enrolment app will fill them later); the places to
    announce are computed from them and the authorised number (A13.6).
    """

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="counts")
    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    current = models.PositiveIntegerField(_("current students"))
    admitted = models.PositiveIntegerField(_("students enrolled this year"))
    graduating = models.PositiveIntegerField(_("graduating students"))
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "round"], name="one_count_per_round")
        ]
        verbose_name = _("student counts (A13.7)")

    def __str__(self) -> str:
        return f"{self.programme.code}: {self.current}/{self.admitted}/{self.graduating}"

    @property
    def organisation(self):
        return self.programme.institution.organisation

    def suggested_places(self) -> int | None:
        """A13.7: the authorised number less the students who stay (current, not graduating)
        and those already admitted this year; None without an authorised number."""
        authorised = self.programme.authorised_places
        if authorised is None:
            return None
        return max(0, authorised - (self.current - self.graduating) - self.admitted)


class SubsequentSchedule(models.Model):
    """A18.3, A11.4: the institution head's act scheduling the subsequent-stage test of a round
    (spring or autumn), with the act's number and date."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="subsequent_schedules"
    )
    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    test_starts = models.DateField(_("first subsequent-stage test day"))
    test_ends = models.DateField(_("last subsequent-stage test day"))
    act_number = models.CharField(_("number of the head's act"), max_length=60)
    act_date = models.DateField(_("date of the head's act"))
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "round"], name="one_subsequent_schedule_per_round"
            )
        ]
        verbose_name = _("subsequent-stage test schedule (A18.3)")

    def __str__(self) -> str:
        return f"{self.institution} · {self.round}"

    @property
    def organisation(self):
        return self.institution.organisation


class NextIntakeAdjustment(models.Model):
    """Places subtracted from a programme's next intake (A27.10): written by the ranking of
    ``source_round`` when the tie rule admitted students beyond the annual admission limit; the
    A13 rules of the next round read it (``kari.catalogue.selectors.next_intake_limit``)."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="intake_adjustments"
    )
    source_round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    citation = models.CharField(max_length=20, default="A27.10")
    reduction = models.PositiveIntegerField(_("places subtracted"))
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "source_round", "citation"], name="one_adjustment_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme.code}: -{self.reduction} ({self.citation})"

    @property
    def organisation(self):
        return self.programme.institution.organisation
