"""Enrolment after the ranking document (A29), the voucher minimum (A30, A31) and the
transitional status of students admitted on a non-Georgian test (A32)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeTerms(models.Model):
    """A29.1: before the test the institution head fixes, per programme, the documents to
    submit and the deadline; the contract's duration comes from here too."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(
        "catalogue.Programme", on_delete=models.PROTECT, related_name="enrolment_terms"
    )
    submit_until = models.DateField(_("documents to be submitted by"))
    duration_months = models.PositiveSmallIntegerField(_("duration in months"))
    # A41.2: SEN applicants are enrolled "before studies begin" on the programme's stage; the
    # head, who runs the programme, fixes that day with the terms (docs/decisions.md).
    studies_start = models.DateField(_("studies start"), null=True, blank=True)
    note = models.TextField(_("note for applicants"), blank=True)
    fixed_at = models.DateTimeField(_("fixed"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "programme"], name="terms_once_per_round")
        ]
        verbose_name = _("documents and deadlines")

    def __str__(self) -> str:
        return f"{self.programme.code} · {self.round}"

    @property
    def organisation(self):
        return self.programme.institution.organisation


class RequiredDocument(models.Model):
    terms = models.ForeignKey(ProgrammeTerms, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("document"), max_length=200)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class ContractTemplate(models.Model):
    """The contract template an institution keeps (A29.2): its own clauses, in Georgian."""

    institution = models.OneToOneField(
        "catalogue.Institution", on_delete=models.CASCADE, related_name="contract_template"
    )
    clauses = models.TextField(_("contract clauses"))
    updated_at = models.DateTimeField(_("last changed"))

    def __str__(self) -> str:
        return str(self.institution)

    @property
    def organisation(self):
        return self.institution.organisation


class VoucherThreshold(models.Model):
    """A30.1, A31.1: the minimum competence threshold for voucher funding in force that year."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("stage"), max_length=12)
    minimum = models.DecimalField(_("minimum score"), max_digits=9, decimal_places=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "stage"], name="one_threshold_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.stage} · {self.minimum}"


class EnrolmentAct(models.Model):
    """A29.2: the institution head's individual act enrolling applicants, signed PDF."""

    institution = models.ForeignKey(
        "catalogue.Institution", on_delete=models.PROTECT, related_name="enrolment_acts"
    )
    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("act number"), max_length=40, unique=True)
    issued_on = models.DateField(_("issued"))
    pdf = models.BinaryField()
    signed = models.BooleanField(_("signed with the head's key"), default=False)

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("enrolment act")

    def __str__(self) -> str:
        return self.number

    @property
    def organisation(self):
        return self.institution.organisation


class Status(models.TextChoices):
    ADMITTED = "admitted", _("documents awaited")
    DOCUMENTS = "documents", _("documents complete: to be enrolled")
    ENROLLED = "enrolled", _("enrolled")
    DECLINED = "declined", _("declined")
    LAPSED = "lapsed", _("deadline missed")


class StudentStatus(models.TextChoices):
    NONE = "", _("not a student")
    ACTIVE = "active", _("student")
    GEORGIAN_MODULE = "georgian_module", _("student on the Georgian-language module")
    TRANSITIONAL = "transitional", _("transitional (pending) student")
    SUSPENDED = "suspended", _("student status suspended")
    ENDED = "ended", _("student status ended")
    TRANSFERRED = "transferred", _("transferred to another institution")
    MOVED = "moved", _("moved to another programme")


class Funding(models.TextChoices):
    VOUCHER = "voucher", _("voucher (state funding)")
    SELF = "self", _("own funding")


class Option(models.TextChoices):
    """A30.1, A31.1 (a)-(c) and A32.1 (a)-(d)."""

    TRANSFER = "transfer", _("transfer to another institution")
    INTERNAL = "internal", _("move to another programme of the institution")
    SUSPEND = "suspend", _("suspend the student status and keep the legal position")
    CONTINUE = "continue", _("continue on the programme with the next intake")
    KEEP = "keep", _("keep the legal position")


class Offer(models.TextChoices):
    NONE = "", "—"
    VOUCHER = "voucher", _("fewer than five voucher-funded students (A30, A31)")
    TRANSITIONAL = "transitional", _("transitional status (A32)")


class Signatory(models.TextChoices):
    APPLICANT = "applicant", _("the applicant")
    REPRESENTATIVE = "representative", _("parent or legal representative")


class Enrolment(models.Model):
    """One admitted applicant at one programme, from the ranking document (through the
    applicant's registration) or from the minister's SEN act (through the SEN placement, A41:
    no general registration is needed) to a student."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey(
        "registration.Applicant", on_delete=models.PROTECT, related_name="enrolments"
    )
    registration = models.ForeignKey(
        "registration.Registration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    programme = models.ForeignKey(
        "catalogue.Programme", on_delete=models.PROTECT, related_name="enrolments"
    )
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=3, null=True, blank=True)
    admitted_on = models.DateField(_("ranking act"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ADMITTED
    )
    student_status = models.CharField(
        _("student status"), max_length=16, choices=StudentStatus.choices, blank=True
    )
    georgian_module = models.BooleanField(_("starts with the Georgian-language module"))
    documents_complete_on = models.DateField(_("documents complete"), null=True, blank=True)
    enrol_by = models.DateField(_("enrol by (A29.2)"), null=True, blank=True)
    funding = models.CharField(_("funding"), max_length=8, choices=Funding.choices, blank=True)
    act = models.ForeignKey(
        EnrolmentAct, on_delete=models.PROTECT, null=True, blank=True, related_name="enrolments"
    )
    contract_number = models.CharField(_("contract number"), max_length=40, blank=True)
    contract_pdf = models.BinaryField(null=True, blank=True)
    contract_signed_on = models.DateField(_("contract signed"), null=True, blank=True)
    signatory = models.CharField(
        _("signed by"), max_length=16, choices=Signatory.choices, blank=True
    )
    representative_personal_number = models.CharField(max_length=11, blank=True)
    representative_name = models.CharField(_("representative"), max_length=200, blank=True)
    representative_relation = models.CharField(_("relation"), max_length=100, blank=True)
    closed_reason = models.TextField(_("reason"), blank=True)
    entry_by = models.DateField(_("into the management system by (A29.4)"), null=True, blank=True)
    entered_at = models.DateTimeField(
        _("entered into the management system"), null=True, blank=True
    )
    entry_reference = models.CharField(max_length=100, blank=True)
    entry_late = models.BooleanField(_("entered late"), default=False)
    offer = models.CharField(max_length=12, choices=Offer.choices, blank=True)
    continuation_impossible = models.TextField(
        _("why continuing on the programme is impossible (A32.1)"), blank=True
    )
    option = models.CharField(_("choice"), max_length=10, choices=Option.choices, blank=True)
    option_target = models.ForeignKey(
        "catalogue.Programme", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    option_chosen_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # A41: a SEN applicant placed by the minister's published act (A40.9); one enrolment per
    # placement, and the documents' deadline the head fixes within 5 days of the act (A41.1).
    sen_placement = models.OneToOneField(
        "sen.Placement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolment",
    )
    documents_by = models.DateField(
        _("documents to be submitted by (A41.1)"), null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "programme"], name="one_enrolment_per_admission"
            ),
            # From the ranking (a registration) or from the SEN act (a placement).
            models.CheckConstraint(
                condition=models.Q(registration__isnull=False)
                | models.Q(sen_placement__isnull=False),
                name="enrolment_from_ranking_or_sen_act",
            ),
        ]
        ordering = ["programme__code", "applicant__last_name_ka"]
        verbose_name = _("enrolment")

    def __str__(self) -> str:
        return f"{self.programme.code} · #{self.pk}"

    @property
    def organisation(self):
        return self.programme.institution.organisation


class SubmissionState(models.TextChoices):
    UPLOADED = "uploaded", _("uploaded: to be checked")
    RECEIVED = "received", _("received")
    RETURNED = "returned", _("returned")


class Submission(models.Model):
    """A29.1: one document submitted for an enrolment, uploaded or handed in."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="submissions")
    document = models.ForeignKey(RequiredDocument, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="enrolment/%Y/", blank=True)
    name = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=SubmissionState.choices)
    reason = models.TextField(_("reason returned"), blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["document__position", "-at"]

    def __str__(self) -> str:
        return f"{self.document} · {self.state}"

    @property
    def organisation(self):
        return self.enrolment.organisation


class SenTermsAct(models.Model):
    """A41.1: the head's act fixing the SEN applicants' documents' deadline for one minister's
    act and programme. Due within 5 days of the minister's act; a later act is taken and
    stamped late (docs/decisions.md, body deadlines are flagged, not refused)."""

    act = models.ForeignKey("sen.Act", on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey("catalogue.Programme", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("head's act number"), max_length=40, blank=True)
    issued_on = models.DateField(_("head's act date"))
    fixed_at = models.DateTimeField(_("fixed"))
    late = models.BooleanField(_("after the 5 days"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["act", "programme"], name="sen_terms_act_once")
        ]

    def __str__(self) -> str:
        return f"№ {self.number}" if self.number else str(self.issued_on)

    @property
    def organisation(self):
        return self.programme.institution.organisation
