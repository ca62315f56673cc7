"""Individual certification (seed 000): calls, applications, expert review, decisions,
certificates, the conference and the alumni directory (C1-C5)."""

from django.db import models
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

DEFAULT_CRITERIA = [  # C3
    ("experience", "არსებული გამოცდილება", "Existing experience", 2),
    ("motivation", "მოტივაცია", "Motivation", 1),
    (
        "civic_budget",
        "სამოქალაქო ბიუჯეტის განვითარების უნარი",
        "Ability to develop the civic budget",
        2,
    ),
    (
        "involvement",
        "მოქალაქეების ჩართვის უნარი მონაწილეობის მექანიზმებში",
        "Ability to involve citizens in participation mechanisms",
        2,
    ),
]

# C3: the default rubric, in the page's language: what each score means (0-5).
DEFAULT_RUBRIC = gettext_noop(
    "0 — no evidence; 1 — mentioned only; 2 — some, unclear; 3 — clear evidence; "
    "4 — strong, with results; 5 — exemplary, others learn from it"
)
DEFAULT_LEVELS = [
    gettext_noop("no evidence"),
    gettext_noop("mentioned only"),
    gettext_noop("some, unclear"),
    gettext_noop("clear evidence"),
    gettext_noop("strong, with results"),
    gettext_noop("exemplary, others learn from it"),
]


class Call(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="calls"
    )
    programme_ka = models.CharField(_("programme (Georgian)"), max_length=200)
    programme_en = models.CharField(_("programme (English)"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    eligibility = models.TextField(_("eligibility"))
    questions = models.JSONField(_("application questions"), default=list)
    opens_on = models.DateField(_("applications open"))
    closes_on = models.DateField(_("applications close (C1)"))
    reviewers_per_application = models.PositiveSmallIntegerField(default=2)
    pass_mark = models.DecimalField(
        _("pass mark (weighted average)"), max_digits=4, decimal_places=2, default=3
    )
    disagreement = models.DecimalField(
        _("flag when reviewers differ by more than"), max_digits=4, decimal_places=2, default=1.5
    )

    def __str__(self) -> str:
        return self.title


class Criterion(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(max_length=40)
    name_ka = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    weight = models.PositiveSmallIntegerField(default=1)
    max_score = models.PositiveSmallIntegerField(default=5)
    rubric = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["call", "code"], name="criterion_once")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The criterion's name in the page's language."""
        if (get_language() or "ka").startswith("en") and self.name_en:
            return self.name_en
        return self.name_ka

    @property
    def rubric_text(self) -> str:
        """The rubric in the page's language (the default rubric is translated)."""
        return gettext(self.rubric) if self.rubric == DEFAULT_RUBRIC else self.rubric

    def levels(self) -> list[tuple[int, str]]:
        """Each score with what it means: the default rubric's levels, in the page's language."""
        if self.rubric == DEFAULT_RUBRIC and self.max_score == len(DEFAULT_LEVELS) - 1:
            return [(i, f"{i} — {gettext(text)}") for i, text in enumerate(DEFAULT_LEVELS)]
        return [(i, str(i)) for i in range(self.max_score + 1)]


class CertApplicant(models.Model):
    """A person applying for certification: signs in by email one-time code."""

    email = models.EmailField(unique=True)
    full_name_ka = models.CharField(_("full name (Georgian)"), max_length=200)
    full_name_en = models.CharField(_("full name (Latin letters)"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    affiliation = models.CharField(_("organisation or municipality"), max_length=200, blank=True)
    # The alumni directory ("contact a practitioner"): opt-in, and the holder chooses what shows.
    directory_opt_in = models.BooleanField(default=False)
    directory_show_email = models.BooleanField(default=False)
    directory_show_affiliation = models.BooleanField(default=True)
    directory_bio = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.full_name_ka

    @property
    def audit_label(self) -> str:
        return f"certification applicant #{self.pk}"


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("returned as incomplete")
    IN_REVIEW = "in_review", _("in review")
    INFO_REQUESTED = "info_requested", _("more information requested")
    CERTIFIED = "certified", _("certified")
    NOT_CERTIFIED = "not_certified", _("not certified")


class Application(models.Model):
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        CertApplicant, on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(null=True, blank=True)
    receipt = models.CharField(max_length=40, blank=True)
    return_reasons = models.TextField(blank=True)
    decision_reasons = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call", "applicant"], name="one_application_per_call")
        ]

    def __str__(self) -> str:
        return self.receipt or f"draft #{self.pk}"

    @property
    def organisation(self):
        return self.call.organisation


class Upload(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="uploads")
    kind = models.CharField(max_length=10, choices=[("cv", _("CV")), ("evidence", _("evidence"))])
    file = models.FileField(upload_to="certification/%Y/")
    name = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Conflict(models.Model):
    """A reviewer's declared conflict of interest with an application (never assigned)."""

    reviewer = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflicts")
    reason = models.CharField(max_length=300)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "application"], name="conflict_once")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} ⟂ {self.application}"


class Assignment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="assigned_once")
        ]

    def __str__(self) -> str:
        return f"{self.application} → {self.reviewer}"


class Score(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "criterion"], name="scored_once")
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.score}"


class InfoRequest(models.Model):
    """C3: the organisation may request additional information; review pauses until answered."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="info_requests"
    )
    asked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    question = models.TextField()
    asked_at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.application}: {self.question[:40]}"


class Message(models.Model):
    """C2: the contact channel between an applicant and the organisation's team."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="messages")
    applicant = models.ForeignKey(CertApplicant, on_delete=models.CASCADE, related_name="messages")
    from_staff = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at"]

    def __str__(self) -> str:
        return self.body[:40]


class Certificate(models.Model):
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField(max_length=40, unique=True)
    status_index = models.PositiveIntegerField(unique=True)
    issued_at = models.DateTimeField()
    credential = models.JSONField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.number

    @property
    def organisation(self):
        return self.application.call.organisation


class SigningKey(models.Model):
    """The organisation's Ed25519 key (C4 credentials); the private key stays on the server."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="signing_key"
    )
    private_pem = models.BinaryField()
    public_multibase = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.public_multibase


class Event(models.Model):
    """C5: the conference where certificates are handed over."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    place = models.CharField(max_length=300)

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitations")
    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_at = models.DateTimeField()
    attended = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "certificate"], name="invited_once")
        ]

    def __str__(self) -> str:
        return f"{self.event}: {self.certificate}"
