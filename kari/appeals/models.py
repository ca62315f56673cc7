"""The appeals commission (A23, A24), test-day complaints (A25.1-A25.3), its sessions, votes and
decisions, and their effects on the results (A25.4, A25.5).

The effects are *overrides*: rows of their own, keyed by registration and test item, never an
edit of NAEC's imported results, so a re-import of the results file (A26.1) cannot undo them.
``kari.appeals.results.effective_results`` applies them; the ranking reads results through it.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import rules


class Commission(models.Model):
    """A23.1: the appeals commission of a round, created by the NAEC director's act."""

    round = models.OneToOneField(
        "rounds.Round", on_delete=models.CASCADE, related_name="appeals_commission"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )  # NAEC (A23.1)
    act_number = models.CharField(_("act number"), max_length=60)
    act_date = models.DateField(_("act date"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("appeals commission")

    def __str__(self) -> str:
        return f"{_('Appeals commission')} · {self.round}"

    def active_members(self):
        return self.members.filter(active=True).select_related("user")


class Position(models.TextChoices):
    CHAIR = "chair", _("chair")
    DEPUTY = "deputy", _("deputy chair")
    SECRETARY = "secretary", _("secretary")
    MEMBER = "member", _("member")


class Membership(models.Model):
    """A member of the commission, appointed (and removed) by an act with a number and date."""

    commission = models.ForeignKey(Commission, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.CharField(_("position"), max_length=10, choices=Position.choices)
    act_number = models.CharField(_("act number"), max_length=60)
    act_date = models.DateField(_("act date"))
    active = models.BooleanField(default=True)
    ended_act_number = models.CharField(max_length=60, blank=True)
    ended_act_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["commission", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["commission", "user"],
                condition=Q(active=True),
                name="one_active_membership_per_user",
            ),
            models.UniqueConstraint(
                fields=["commission", "position"],
                condition=Q(active=True) & ~Q(position="member"),
                name="one_chair_deputy_secretary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_position_display()})"

    @property
    def name(self) -> str:
        return self.user.display_name

    @property
    def organisation(self):
        return self.commission.organisation


class Ground(models.TextChoices):
    """A25.3: what a complaint about the test procedure may concern; anything else is not the
    commission's to review (A23.2)."""

    RIGHTS = "rights", _("my rights were violated by another participant of the test (A25.3(a))")
    OTHERS = "others", _("other applicants broke the procedure, e.g. helped someone (A25.3(b))")
    OTHER = "other", _("not about the test procedure (e.g. the questions or the score)")


class ComplaintStatus(models.TextChoices):
    FILED = "filed", _("filed, not yet with the commission")
    RECEIVED = "received", _("with the commission")
    DECIDED = "decided", _("decided")


class Complaint(models.Model):
    """A25.1-A25.3: a complaint filed in the exam-centre building on the test day."""

    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="complaints")
    sitting = models.ForeignKey(
        "exams.Sitting", on_delete=models.PROTECT, related_name="complaints"
    )
    registration = models.ForeignKey(
        "registration.Registration", on_delete=models.PROTECT, related_name="complaints"
    )
    number = models.CharField(max_length=30, unique=True)
    token = models.CharField(max_length=64, unique=True)  # the receipt's QR code
    ground = models.CharField(_("ground"), max_length=8, choices=Ground.choices)
    statement = models.TextField(_("what happened"))
    others = models.TextField(_("other applicants concerned (seat or personal number)"), blank=True)
    id_shown = models.BooleanField(_("ID document shown (A25.2)"))
    invitation_shown = models.BooleanField(_("invitation shown (A25.2)"))
    filed_at = models.DateTimeField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.FILED
    )
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_late = models.BooleanField(default=False)

    class Meta:
        ordering = ["-filed_at"]

    def __str__(self) -> str:
        return self.number

    @property
    def organisation(self):
        """NAEC: the proctor who filed it is NAEC staff (A22), as is the commission (A23.1)."""
        return self.filed_by.organisation

    @property
    def handover_due(self) -> dt.datetime:
        return rules.handover_due(self.filed_at)

    @property
    def decision_due(self) -> dt.date | None:
        return rules.decision_due(self.received_at) if self.received_at else None

    @property
    def decision(self):
        return self.decisions.order_by("pk").first()


class Attachment(models.Model):
    """A file the applicant gave with the complaint (a photo of the protocol, a statement)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="appeals/")
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=60)

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    """A24.1-A24.2: a session of the commission, convened and run by the chair (or the deputy
    when the chair cannot act); A24.6: a member may stand in for the secretary."""

    commission = models.ForeignKey(Commission, on_delete=models.CASCADE, related_name="meetings")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(_("when"))
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    presiding = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    secretary = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    secretary_stands_in = models.BooleanField(default=False)  # A24.6
    attendance_taken = models.BooleanField(default=False)
    full_membership = models.PositiveSmallIntegerField(default=0)  # at the time of attendance

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["commission", "number"], name="one_meeting_number")
        ]

    def __str__(self) -> str:
        return f"{_('Session')} №{self.number} · {self.at:%d.%m.%Y}"

    @property
    def organisation(self):
        return self.commission.organisation

    def present(self):
        return [
            a.membership
            for a in self.attendance.filter(present=True).select_related("membership__user")
        ]


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "membership"], name="one_attendance")
        ]

    def __str__(self) -> str:
        return f"{self.membership}: {self.present}"


class Conflict(models.Model):
    """A member's declared conflict of interest: they withdraw from this complaint."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="conflicts")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="conflicts")
    note = models.CharField(_("reason"), max_length=300, blank=True)
    declared_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["complaint", "membership"], name="one_conflict")
        ]

    def __str__(self) -> str:
        return f"{self.complaint}: {self.membership}"


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("upheld: the violation is confirmed (A25.4)")
    REJECTED = "rejected", _("rejected: no violation is confirmed")
    DECLINED = "declined", _("declined: not about the test procedure (A23.2)")


class Motion(models.Model):
    """A proposal put to the vote in a session (A24.4): it passes with a majority of the
    members present, counted without those who withdrew for a conflict."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="motions")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="motions")
    outcome = models.CharField(_("proposed decision"), max_length=10, choices=Outcome.choices)
    zero = models.ManyToManyField(
        "registration.Registration", blank=True, related_name="+"
    )  # A25.4(a): the violators whose work is scored zero
    remark = models.BooleanField(default=False)  # A25.4(b): re-mark the complainant's work
    reasons = models.TextField(_("reasons"))
    at = models.DateTimeField()
    present = models.PositiveSmallIntegerField()  # present and not withdrawn
    in_favour = models.PositiveSmallIntegerField()
    against = models.PositiveSmallIntegerField()
    passed = models.BooleanField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.complaint}: {self.get_outcome_display()}"


class Vote(models.Model):
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="votes")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    in_favour = models.BooleanField()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["motion", "membership"], name="one_vote")]

    def __str__(self) -> str:
        return f"{self.membership}: {self.in_favour}"


class Decision(models.Model):
    """A24.5: the commission's decision on a complaint, signed by the chair; NAEC tells the
    applicant within 2 days (A25.5)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="decisions")
    motion = models.OneToOneField(Motion, on_delete=models.PROTECT, related_name="decision")
    number = models.CharField(max_length=30, unique=True)
    token = models.CharField(max_length=64, unique=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    decided_at = models.DateTimeField()
    signed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(upload_to="appeals/decisions/", blank=True)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return self.number

    @property
    def organisation(self):
        return self.complaint.organisation

    @property
    def notice_due(self) -> dt.date:
        return rules.notice_due(self.decided_at)


class OverrideKind(models.TextChoices):
    ZERO = "zero", _("work scored zero (A25.4(a))")
    REMARK = "remark", _("work re-marked (A25.4(b))")


class ResultOverride(models.Model):
    """An effect of an upheld complaint on one test item of one applicant's results (A25.4).

    ``item`` is ``"skills"`` or a subject code, as in ``exams.Result``. A zero is in force when
    decided; a re-mark when NAEC enters the new score (``score`` is null until then).
    """

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="overrides")
    round = models.ForeignKey("rounds.Round", on_delete=models.CASCADE, related_name="+")
    registration = models.ForeignKey(
        "registration.Registration", on_delete=models.PROTECT, related_name="result_overrides"
    )
    kind = models.CharField(max_length=6, choices=OverrideKind.choices)
    item = models.CharField(max_length=40)
    item_label = models.CharField(max_length=200)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    entered_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "registration", "item", "kind"], name="one_override_per_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration}: {self.get_kind_display()} ({self.item_label})"

    @property
    def organisation(self):
        return self.decision.organisation

    @property
    def in_force(self) -> bool:
        return self.score is not None
