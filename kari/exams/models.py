"""Exam centres, the round's sessions, the distribution of applicants, invitations, check-in,
incidents and results intake (A12.3, A12.7, A15.8, A17-A22, A26.1)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kari.accounts.models import Bilingual


class ExamCentreQuerySet(models.QuerySet):
    def active(self):
        """The centres in use."""
        return self.filter(active=True)


class ExamCentre(Bilingual):
    """A12.3(e), A12.7: a building with computers, hosted by an institution or another host."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    host = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="exam_centres",
        verbose_name=_("host organisation"),
    )
    municipality = models.ForeignKey(
        "catalogue.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    address = models.CharField(_("address"), max_length=300)
    seats = models.PositiveIntegerField(_("seats (computers) per session"))
    sessions_per_day = models.PositiveSmallIntegerField(_("sessions per test day"), default=3)
    adapted = models.BooleanField(_("can provide an adapted environment"), default=False)
    active = models.BooleanField(_("in use"), default=True)

    objects = ExamCentreQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("exam centre")

    @property
    def organisation(self):
        return self.host


class ExamSession(models.Model):
    """A18, A19.4: one sitting of one test (a skills test or a subject) on a test day.

    Sessions of a round never overlap in time, so an applicant's sittings never clash.
    """

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("test day"))
    starts_at = models.TimeField(_("starts"))
    check_in_opens = models.TimeField(_("check-in opens"))
    check_in_closes = models.TimeField(_("check-in closes"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=90)
    skills_test = models.ForeignKey(
        "catalogue.SkillsTest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skills test"),
    )
    subject = models.ForeignKey(
        "catalogue.Subject",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subject"),
    )

    class Meta:
        ordering = ["date", "starts_at"]
        verbose_name = _("exam session")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "date", "starts_at"], name="one_session_per_slot"
            ),
            models.CheckConstraint(
                condition=(
                    Q(skills_test__isnull=False, subject__isnull=True)
                    | Q(skills_test__isnull=True, subject__isnull=False)
                ),
                name="session_tests_one_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {self.starts_at:%H:%M} {self.test_label}"

    @property
    def item(self) -> str:
        """The test item key the distribution works with: "skills:<code>" or "subject:<code>"."""
        return (
            f"skills:{self.skills_test.code}"
            if self.skills_test_id
            else f"subject:{self.subject.code}"
        )

    @property
    def test(self):
        return self.skills_test if self.skills_test_id else self.subject

    @property
    def test_label(self) -> str:
        return str(self.test)


class DistributionStatus(models.TextChoices):
    DRAFT = "draft", _("draft (may be re-run)")
    FINAL = "final", _("final (invitations issued)")


class DistributionQuerySet(models.QuerySet):
    def final(self):
        """Distributions whose invitations are issued (A17.3)."""
        return self.filter(status=DistributionStatus.FINAL)


class Distribution(models.Model):
    """A17.2: one run of the distribution of a round's applicants to centres and sessions."""

    round = models.ForeignKey(
        "rounds.Round", on_delete=models.CASCADE, related_name="distributions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=6, choices=DistributionStatus.choices, default=DistributionStatus.DRAFT
    )
    run_at = models.DateTimeField()
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    inputs_hash = models.CharField(max_length=64)
    stats = models.JSONField(default=dict)  # kari.distribution's Stats, as_dict()
    # registration id -> {"code": a reason code, "items": [test items]} (kari.exams.reasons)
    unplaced = models.JSONField(default=dict)
    # A17.2: NAEC's agreement with this distribution, given on its page when its numbers per
    # centre (A17.2(b)) are not the basis.
    naec_agreed_at = models.DateTimeField(_("agreed by NAEC (A17.2)"), null=True, blank=True)
    naec_agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = DistributionQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="one_distribution_number")
        ]

    def __str__(self) -> str:
        return f"D-{self.round_id}-{self.number}"

    @property
    def is_final(self) -> bool:
        return self.status == DistributionStatus.FINAL


class AssignmentQuerySet(models.QuerySet):
    def issued(self):
        """Assignments of a final distribution: the applicants invited (A17.3)."""
        return self.filter(distribution__status=DistributionStatus.FINAL)

    def of_round(self, round_):
        return self.filter(distribution__round=round_)


class Assignment(models.Model):
    """An applicant's exam centre in a distribution (A17.2), the basis of the invitation (A17.3)."""

    distribution = models.ForeignKey(
        Distribution, on_delete=models.CASCADE, related_name="assignments"
    )
    registration = models.ForeignKey(
        "registration.Registration", on_delete=models.PROTECT, related_name="assignments"
    )
    centre = models.ForeignKey(ExamCentre, on_delete=models.PROTECT, related_name="assignments")
    distance_km = models.FloatField()
    preferred = models.BooleanField()
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # A15.8 move by EMIS

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["distribution", "registration"], name="one_assignment_per_registration"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration} → {self.centre.code}"


class SittingStatus(models.TextChoices):
    EXPECTED = "expected", _("expected")
    CHECKED_IN = "checked_in", _("checked in")
    REFUSED = "refused", _("refused entry (check-in closed)")
    ABSENT = "absent", _("did not show")
    REMOVED = "removed", _("removed")


class SittingQuerySet(models.QuerySet):
    def issued(self):
        """Sittings of a final distribution: only these exist on test day (A17.3, A19.1)."""
        return self.filter(assignment__distribution__status=DistributionStatus.FINAL)

    def of_round(self, round_):
        return self.filter(assignment__distribution__round=round_)

    def at(self, centre, session):
        """The sittings of one session at one exam centre."""
        return self.filter(session=session, assignment__centre=centre)


class Sitting(models.Model):
    """One applicant in one session at the assigned centre: check-in (A19, A20) and incidents."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="sittings")
    session = models.ForeignKey(ExamSession, on_delete=models.PROTECT, related_name="sittings")
    status = models.CharField(
        max_length=12, choices=SittingStatus.choices, default=SittingStatus.EXPECTED
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_by = models.CharField(_("identity verified by (A20.3)"), max_length=200, blank=True)

    objects = SittingQuerySet.as_manager()

    class Meta:
        ordering = ["session__date", "session__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "session"], name="one_sitting_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment.registration} @ {self.session}"

    @property
    def organisation(self):
        return self.assignment.centre.host


class InvitationQuerySet(models.QuerySet):
    def issued(self):
        """Invitations of the final distribution (A17.3)."""
        return self.filter(assignment__distribution__status=DistributionStatus.FINAL)


class Invitation(models.Model):
    """A17.3: the applicant's invitation card, one per registration, renewed if re-distributed."""

    registration = models.OneToOneField(
        "registration.Registration", on_delete=models.PROTECT, related_name="invitation"
    )
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40, unique=True)
    token = models.CharField(max_length=64, unique=True)  # the QR code's verification link
    issued_at = models.DateTimeField()
    pdf = models.FileField(upload_to="invitations/", blank=True)  # rendered by the bulk job

    objects = InvitationQuerySet.as_manager()

    def __str__(self) -> str:
        return self.number


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


ACTIVE_JOB = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobQuerySet(models.QuerySet):
    def active(self):
        """Jobs queued or running."""
        return self.filter(status__in=ACTIVE_JOB)


class Job(models.Model):
    """What the invitation and distribution jobs share: their status, for the progress page."""

    objects = JobQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_JOB


class InvitationJob(Job):
    """A bulk run that renders and issues the invitation cards of a distribution, with progress."""

    distribution = models.ForeignKey(Distribution, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"invitations job #{self.pk}"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.done else 0)


class DistributionJob(Job):
    """A distribution run in the background (A17.2), so the web page can show it is working."""

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    result = models.ForeignKey(
        Distribution, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"distribution job #{self.pk}"


class BreachCategory(models.TextChoices):
    """A20.6: what is forbidden during the test."""

    DEVICE = "device", _("phone or other electronic device")
    AIDS = "aids", _("aids or notes")
    TALKING = "talking", _("talking or helping another applicant")
    LEAVING = "leaving", _("leaving the seat without an escort")
    EARLY_START = "early_start", _("starting before the instruction")


class IncidentKind(models.TextChoices):
    WARNING = "warning", _("warning (A21)")
    REMOVAL = "removal", _("removal (A21)")


class Incident(models.Model):
    """A21: a breach of A20.6; the first earns a warning, a repeated one removes the applicant."""

    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(max_length=8, choices=IncidentKind.choices)
    category = models.CharField(_("breach"), max_length=12, choices=BreachCategory.choices)
    note = models.TextField(_("what happened"), blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_category_display()}"

    @property
    def organisation(self):
        return self.sitting.organisation


class PresenceKind(models.TextChoices):
    """A22: only these may be present in the exam room."""

    NAEC_STAFF = "naec_staff", _("NAEC staff member")
    OBSERVER = "observer", _("authorised ministry observer")
    PASS_HOLDER = "pass_holder", _("holder of a NAEC pass")


class Presence(models.Model):
    """A22: an observer or pass holder recorded in a session at a centre."""

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="presences")
    centre = models.ForeignKey(ExamCentre, on_delete=models.PROTECT, related_name="presences")
    kind = models.CharField(_("capacity"), max_length=12, choices=PresenceKind.choices)
    full_name = models.CharField(_("full name"), max_length=200)
    document = models.CharField(_("pass or authorisation number"), max_length=60)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_kind_display()})"

    @property
    def organisation(self):
        return self.centre.host


class ResultStatus(models.TextChoices):
    """A26.1: NAEC lists who did not show, did not finish or was removed."""

    COMPLETED = "completed", _("completed")
    ABSENT = "absent", _("absent")
    NOT_FINISHED = "not_finished", _("not finished")
    REMOVED = "removed", _("removed")


class ResultImportQuerySet(models.QuerySet):
    def current(self, round_):
        """The round's results in force: the latest import (A26.1)."""
        return self.filter(round=round_, current=True)


class ResultImport(models.Model):
    """A26.1: one upload of a round's results by NAEC; a re-import replaces the previous one."""

    round = models.ForeignKey(
        "rounds.Round", on_delete=models.CASCADE, related_name="result_imports"
    )
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    on_time = models.BooleanField()
    current = models.BooleanField(default=True)

    objects = ResultImportQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="one_result_import_number")
        ]

    def __str__(self) -> str:
        return f"results #{self.number}"


class Result(models.Model):
    """A26.1: an applicant's scores and status from one import."""

    result_import = models.ForeignKey(
        ResultImport, on_delete=models.CASCADE, related_name="results"
    )
    registration = models.ForeignKey(
        "registration.Registration", on_delete=models.PROTECT, related_name="results"
    )
    status = models.CharField(max_length=12, choices=ResultStatus.choices)
    skills_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    subject_scores = models.JSONField(default=dict)  # subject code -> score

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["result_import", "registration"], name="one_result_per_import"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration}: {self.status}"


class HandoverKind(models.TextChoices):
    """The documented exchanges between EMIS and NAEC."""

    REGISTRATION_DATA = "registration_data", _("Registration data to NAEC (A12.3(c))")
    CENTRES_TO_NAEC = "centres_to_naec", _("Exam centres and registrants to NAEC (A17.2(a))")
    NUMBERS_TO_EMIS = "numbers_to_emis", _("Applicants per exam centre to EMIS (A17.2(b))")
    DISTRIBUTION_TO_NAEC = "distribution_to_naec", _("Distribution to NAEC (A17.4)")


class Handover(models.Model):
    """One export or import of a hand-over, stamped with its statutory deadline."""

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="handovers")
    kind = models.CharField(max_length=24, choices=HandoverKind.choices)
    fmt = models.CharField(max_length=4)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField()
    on_time = models.BooleanField()
    rows = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%d.%m.%Y %H:%M}"


class CentreQuota(models.Model):
    """A17.2(b): NAEC's number of applicants per exam centre for a round."""

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="quotas")
    centre = models.ForeignKey(ExamCentre, on_delete=models.CASCADE, related_name="quotas")
    applicants = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "centre"], name="one_quota_per_centre")
        ]

    def __str__(self) -> str:
        return f"{self.centre}: {self.applicants}"
