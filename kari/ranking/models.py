"""Final lists (A26.3), the ranking document (A27) and its outcome: who is admitted where.

A ranking is never edited once approved (A27.1): a correction is a new version with its
reason; the earlier one is kept as superseded. ``kari.ranking.selectors.admitted`` reads the
admitted of the approved version.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kari.catalogue.models import Stage


class FinalLists(models.Model):
    """A26.3: the frozen inputs of the ranking, one record with a checksum.

    ``document`` is the canonical JSON (gzip) of the applicants' ranked lists with their
    scores and the places per programme net of SEN enrolments (docs/exchange-formats.md);
    ``checksum`` is the SHA-256 of the uncompressed JSON.
    """

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.PRIMARY)
    number = models.PositiveIntegerField(default=1)
    frozen_at = models.DateTimeField()
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_time = models.BooleanField(default=True)
    checksum = models.CharField(max_length=64)
    document = models.BinaryField()
    applicants = models.PositiveIntegerField(default=0)
    programmes = models.PositiveIntegerField(default=0)
    current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "stage", "number"], name="one_final_lists_number"
            )
        ]

    def __str__(self) -> str:
        return f"final lists #{self.number}"


class CompetitionResult(models.Model):
    """A9.3, A10.3: an applicant's score in an institution's competition for a programme."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(
        "catalogue.Programme", on_delete=models.PROTECT, related_name="competition_results"
    )
    registration = models.ForeignKey(
        "registration.Registration", on_delete=models.PROTECT, related_name="competition_results"
    )
    score = models.DecimalField(_("competition score"), max_digits=7, decimal_places=2)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    on_time = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "programme", "registration"], name="one_competition_result"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.registration_id}: {self.score}"

    @property
    def organisation(self):
        return self.programme.institution.organisation


class Formula(models.Model):
    """NAEC's act for the round: how the competitive score is computed (A27.2-A27.4).

    Ordinary programmes: the test score. Art/sport/tourism programmes with a competition:
    ``test_weight`` x test + ``competition_weight`` x competition (A27.3). Work-based
    programmes: the competition result alone (A27.4). ``minimum``: the lowest test score
    ranked, when the act sets one (never applied on work-based programmes, A10.2).
    """

    round = models.OneToOneField("rounds.Round", on_delete=models.PROTECT, related_name="+")
    act_number = models.CharField(_("act number"), max_length=60)
    act_date = models.DateField(_("act date"))
    test_weight = models.DecimalField(
        _("weight of the test score"), max_digits=5, decimal_places=3, default=1
    )
    competition_weight = models.DecimalField(
        _("weight of the competition score"), max_digits=5, decimal_places=3, default=1
    )
    minimum = models.DecimalField(
        _("lowest test score ranked"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"formula {self.act_number}"

    def as_dict(self) -> dict:
        return {
            "act_number": self.act_number,
            "act_date": self.act_date.isoformat(),
            "test_weight": str(self.test_weight),
            "competition_weight": str(self.competition_weight),
            "minimum": None if self.minimum is None else str(self.minimum),
        }


class RankingStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted to the management system")
    RETURNED = "returned", _("returned with reasons")
    AGREED = "agreed", _("agreed by the management system")
    APPROVED = "approved", _("approved")
    SUPERSEDED = "superseded", _("superseded by a correction")


class Ranking(models.Model):
    """One version of a ranking document (A27.1 primary stage; A27.7 subsequent stage, one per
    institution)."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="rankings")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.PRIMARY)
    institution = models.ForeignKey(
        "catalogue.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rankings",
    )
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=RankingStatus.choices, default=RankingStatus.DRAFT
    )
    final_lists = models.ForeignKey(
        FinalLists, on_delete=models.PROTECT, null=True, blank=True, related_name="rankings"
    )
    inputs_checksum = models.CharField(max_length=64)
    outcome_checksum = models.CharField(max_length=64, blank=True)
    formula = models.JSONField(default=dict)
    built_at = models.DateTimeField()
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason for the correction"), blank=True)
    applicants = models.PositiveIntegerField(default=0)
    admitted_count = models.PositiveIntegerField(default=0)
    # A27.5: the signed documents, sent to the institutions and the management system
    documents_sent_at = models.DateTimeField(null=True, blank=True)
    # A27.6: entered into the VET management system (receipt), then confirmed by EMIS
    entry_receipt = models.CharField(max_length=80, blank=True)
    entry_submitted_at = models.DateTimeField(null=True, blank=True)
    entry_confirmed_at = models.DateTimeField(null=True, blank=True)
    # A27.7-A27.8: a subsequent-stage document submitted by the institution head, checked by
    # EMIS (consent, or returned with reasons), then approved by the head's act
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_reasons = models.TextField(_("reasons for returning it"), blank=True)
    act_number = models.CharField(_("number of the head's act"), max_length=60, blank=True)
    act_date = models.DateField(_("date of the head's act"), null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "stage", "version"],
                condition=Q(institution__isnull=True),
                name="one_national_ranking_version",
            ),
            models.UniqueConstraint(
                fields=["round", "stage", "institution", "version"],
                condition=Q(institution__isnull=False),
                name="one_institution_ranking_version",
            ),
        ]

    def __str__(self) -> str:
        return f"ranking v{self.version}"

    @property
    def organisation(self):
        return self.institution.organisation if self.institution_id else None


class ProgrammeOutcome(models.Model):
    """A programme's figures in a ranking: places, cut-off and tie-rule extra places (A27.9)."""

    ranking = models.ForeignKey(Ranking, on_delete=models.CASCADE, related_name="programmes")
    programme = models.ForeignKey("catalogue.Programme", on_delete=models.PROTECT, related_name="+")
    places = models.PositiveIntegerField()
    annual_limit = models.PositiveIntegerField(null=True, blank=True)
    applicants = models.PositiveIntegerField(default=0)
    admitted = models.PositiveIntegerField(default=0)
    cutoff = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    extra_places = models.PositiveIntegerField(default=0)
    beyond_limit = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["programme__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "programme"], name="one_outcome_per_programme"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.admitted}/{self.places}"


class Admission(models.Model):
    """An applicant admitted to a programme by a ranking (A27.2)."""

    ranking = models.ForeignKey(Ranking, on_delete=models.CASCADE, related_name="admissions")
    registration = models.ForeignKey(
        "registration.Registration", on_delete=models.PROTECT, related_name="admissions"
    )
    programme = models.ForeignKey(
        "catalogue.Programme", on_delete=models.PROTECT, related_name="admissions"
    )
    score = models.DecimalField(max_digits=9, decimal_places=3)
    choice = models.PositiveSmallIntegerField()  # 1-based rank in the applicant's list
    by_tie_rule = models.BooleanField(default=False)  # A27.9

    class Meta:
        ordering = ["programme__code", "-score"]
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "registration"], name="one_admission_per_ranking"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration} → {self.programme_id}"

    @property
    def organisation(self):
        return self.programme.institution.organisation


class Explanation(models.Model):
    """Why an applicant obtained what they did: one item per higher choice (cut-off, score)."""

    ranking = models.ForeignKey(Ranking, on_delete=models.CASCADE, related_name="explanations")
    registration = models.ForeignKey(
        "registration.Registration", on_delete=models.PROTECT, related_name="+"
    )
    choice = models.PositiveSmallIntegerField(null=True, blank=True)
    items = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "registration"], name="one_explanation_per_ranking"
            )
        ]

    def __str__(self) -> str:
        return f"explanation {self.registration_id}"


class SignedDocument(models.Model):
    """A27.5: the ranking document, signed by NAEC (PAdES): one PDF per programme, the national
    summary PDF (``programme`` empty) and the national XLSX whose SHA-256 the summary carries."""

    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("programme list (PDF)")
        SUMMARY = "summary", _("national summary (PDF)")
        XLSX = "xlsx", _("national list (XLSX)")

    ranking = models.ForeignKey(Ranking, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    programme = models.ForeignKey(
        "catalogue.Programme", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "programme__code"]

    def __str__(self) -> str:
        return f"{self.kind} {self.programme_id or ''}".strip()

    @property
    def organisation(self):
        return self.programme.institution.organisation if self.programme_id else None


class BuildJob(models.Model):
    """A ranking build running in the background, with its progress for the page."""

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, default="build")  # build, or sign (A27.5)
    status = models.CharField(max_length=8, default="queued")
    phase = models.CharField(max_length=40, blank=True)
    done = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    ranking = models.ForeignKey(
        Ranking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"ranking build #{self.pk}"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_active(self) -> bool:
        return self.status in ("queued", "running")


class ResultsPublication(models.Model):
    """A26.2: EMIS published a round's results (NAEC's import reflected in the management
    system): the applicants were told, the public statistics are shown, and the re-ranking
    window opens at the later of this and the minister's date."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    result_import = models.ForeignKey(
        "exams.ResultImport", on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notified = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return f"results published {self.published_at:%Y-%m-%d}"


class EarlierCutoff(models.Model):
    """A published cut-off of a round held before Kari, imported (all or nothing) so that the
    first year's applicants see a history: programme code, year, season, places, admitted and
    the lowest admitted score."""

    year = models.PositiveSmallIntegerField(_("year"))
    season = models.CharField(_("season"), max_length=6)
    programme_code = models.CharField(_("programme code"), max_length=40)
    places = models.PositiveIntegerField(_("places"), null=True, blank=True)
    admitted = models.PositiveIntegerField(_("placed"), null=True, blank=True)
    cutoff = models.DecimalField(
        _("cut-off score"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-year", "season", "programme_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "season", "programme_code"], name="one_earlier_cutoff"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_code} {self.season} {self.year}: {self.cutoff}"


class SubsequentScore(models.Model):
    """A27.7: an applicant's score in an institution's subsequent-stage test for a programme,
    entered or uploaded by the institution."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey("catalogue.Programme", on_delete=models.PROTECT, related_name="+")
    registration = models.ForeignKey(
        "registration.Registration", on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField(max_digits=7, decimal_places=2)
    entered_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "programme", "registration"], name="one_subsequent_score"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.programme_id}: {self.score}"

    @property
    def organisation(self):
        return self.programme.institution.organisation
