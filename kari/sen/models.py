"""The SEN track (chapter VII, A33-A40): expert teams and their conclusions, SEN registration,
the documents the institutions receive, SEN exam centres, the practical trial and the
commission's recommendation, and the minister's act whose placements are the SEN enrolments
the ranking subtracts from the places (A12.1(a), A26.3).

Health data (the conclusion's findings, the sensory/behavioural flags, the adapted-environment
choices, the kinds of medical documents received) is read only through
:mod:`kari.sen.selectors`' audited functions, never put in a URL, and erased after the
retention period (``KARI_SEN_RETENTION_DAYS``, :func:`kari.sen.services.purge_health_data`).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    PRIMARY = "primary", _("primary stage")  # A37
    SUBSEQUENT = "subsequent", _("subsequent stage")  # A38


class Schedule(models.Model):
    """The minister's dates for one stage of a round: the SEN registration window (A37.2,
    A38.2) and the SEN test's schedule with its maximum duration (A40.1)."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    registration_opens = models.DateField(_("SEN registration opens"))
    registration_closes = models.DateField(_("SEN registration closes"))
    test_starts = models.DateField(_("first day of the practical trials"))
    test_ends = models.DateField(_("last day of the practical trials"))
    max_minutes = models.PositiveSmallIntegerField(_("maximum duration of the test (minutes)"))
    set_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "stage"], name="sen_schedule_once"),
        ]
        verbose_name = _("SEN schedule")

    def __str__(self) -> str:
        return f"{self.round} · {self.get_stage_display()}"


class ExpertTeam(models.Model):
    """A36.1: a territorial expert team of at least three experts, formed by the minister's act.
    The team is an organisation of its own kind; its members hold the expert role there."""

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="expert_team"
    )
    act_number = models.CharField(_("minister's act number"), max_length=40)
    formed_on = models.DateField(_("formed on"))
    municipality = models.ForeignKey(
        "catalogue.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("territory"),
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")

    class Meta:
        verbose_name = _("expert team")

    def __str__(self) -> str:
        return self.organisation.name_ka


class Requester(models.TextChoices):
    APPLICANT = "applicant", _("the applicant")
    REPRESENTATIVE = "representative", _("parent or legal representative")


class Environment(models.TextChoices):
    """Adapted-environment choices a conclusion may name (A37.10(a)), offered on the pages."""

    STEP_FREE = "step_free", _("step-free access")
    EXTRA_TIME = "extra_time", _("extra time within the maximum duration")
    SIGN_LANGUAGE = "sign_language", _("sign-language interpreter")
    LARGE_PRINT = "large_print", _("large print or magnified materials")
    SCREEN_READER = "screen_reader", _("screen reader")
    ASSISTANT = "assistant", _("an assistant present")
    QUIET_ROOM = "quiet_room", _("a quiet separate room")
    BREAKS = "breaks", _("rest breaks")


class Assessment(models.Model):
    """A36.2: the request for an assessment and the team's conclusion (health data)."""

    applicant = models.ForeignKey(
        "registration.Applicant", on_delete=models.PROTECT, related_name="sen_assessments"
    )
    team = models.ForeignKey(ExpertTeam, on_delete=models.PROTECT, related_name="assessments")
    requested_on = models.DateField(_("requested on"))
    requested_by = models.CharField(_("requested by"), max_length=20, choices=Requester.choices)
    due = models.DateField(_("conclusion due (A36.2)"))
    # The conclusion: health data.
    findings = models.TextField(_("functional and academic skills: the conclusion"), blank=True)
    hearing = models.BooleanField(_("hearing impairment"), default=False)
    sight = models.BooleanField(_("sight impairment"), default=False)
    behavioural = models.BooleanField(_("behavioural or emotional disorder"), default=False)
    environment = models.JSONField(_("adapted environment"), default=list, blank=True)
    concluded_on = models.DateField(_("conclusion issued"), null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_on", "-pk"]
        verbose_name = _("expert assessment")

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def organisation(self):
        return self.team.organisation


class Signature(models.Model):
    """A37.10(a): a team member's signature on the conclusion."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="signatures")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "expert"], name="sen_sign_once"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} · {self.expert_id}"


class Channel(models.TextChoices):
    ONLINE = "online", _("online")
    CENTRE = "centre", _("registration centre")


class SenStatus(models.TextChoices):
    PENDING = "pending", _("awaiting the ministry")
    CONFIRMED = "confirmed", _("confirmed by the ministry")
    REJECTED = "rejected", _("rejected by the ministry")


def _token() -> str:
    return secrets.token_urlsafe(18)


class SenRegistration(models.Model):
    """A37 (primary) or A38 (subsequent) SEN registration: at most three programmes."""

    applicant = models.ForeignKey(
        "registration.Applicant", on_delete=models.PROTECT, related_name="sen_registrations"
    )
    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    centre = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clerk_name = models.CharField(_("registered by"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"), blank=True)
    sen_flag = models.BooleanField(_("special educational needs"), default=True)  # A37.4(d)
    education_level = models.CharField(_("general education completed"), max_length=200, blank=True)
    qualification = models.CharField(_("vocational qualification"), max_length=200, blank=True)
    continues_elsewhere = models.BooleanField(
        _("continues at another institution"), default=False
    )  # A38.10
    number = models.CharField(_("registration number"), max_length=20, unique=True)
    token = models.CharField(max_length=40, unique=True, default=_token)
    registered_at = models.DateTimeField(_("registered"))  # to the second (A40.6), kept on change
    updated_at = models.DateTimeField(_("last changed"))
    version = models.PositiveIntegerField(default=1)
    documents_due = models.DateField(_("documents due (4 working days)"))
    status = models.CharField(
        _("SEN status"), max_length=10, choices=SenStatus.choices, default=SenStatus.PENDING
    )
    status_reason = models.TextField(_("reason"), blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    host = models.ForeignKey(
        "catalogue.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sen_hosted",
        verbose_name=_("SEN exam centre"),
    )
    hosted_on = models.DateField(null=True, blank=True)
    # A39.1: the minister's act (original or amending) that gave the current exam centre.
    host_act = models.ForeignKey(
        "HostsAct", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "round", "stage"], name="sen_registration_once"
            ),
        ]
        verbose_name = _("SEN registration")

    def __str__(self) -> str:
        return self.number

    @property
    def organisation(self):
        return self.centre


class HostsAct(models.Model):
    """A39.1: the minister's individual administrative act that (a) lists the institutions
    hosting the SEN exam centres and (b) distributes the registered SEN applicants to them,
    within 5 days after the registration (a later act is taken and stamped late). An amending
    act has its own number and date and records only the applicants it reassigns (and its own
    list of hosts); the earlier act is kept (docs/decisions.md)."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    number = models.CharField(_("minister's act number"), max_length=40)  # unique per round
    issued_on = models.DateField(_("minister's act date"))
    amends = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
        verbose_name=_("amends the act"),
    )
    hosts = models.ManyToManyField(
        "catalogue.Institution", related_name="+", verbose_name=_("host institutions")
    )
    due = models.DateField(_("due (A39.1)"))
    late = models.BooleanField(_("after the 5 days"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        ordering = ["issued_on", "pk"]
        constraints = [  # the minister's acts are numbered per year, not for ever
            models.UniqueConstraint(fields=["round", "number"], name="sen_hosts_act_number"),
        ]
        verbose_name = _("minister's act on the SEN exam centres")

    def __str__(self) -> str:
        return f"№ {self.number}"


class HostAssignment(models.Model):
    """A39.1(b): one applicant distributed to one host by an act; A39.2: when the host
    institution acquainted the applicant with the act."""

    act = models.ForeignKey(HostsAct, on_delete=models.PROTECT, related_name="assignments")
    registration = models.ForeignKey(
        SenRegistration, on_delete=models.PROTECT, related_name="host_assignments"
    )
    host = models.ForeignKey("catalogue.Institution", on_delete=models.PROTECT, related_name="+")
    informed_at = models.DateTimeField(_("acquainted with the act"), null=True, blank=True)
    informed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["act", "registration__registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["act", "registration"], name="sen_host_once_per_act"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} → {self.host_id}"

    @property
    def organisation(self):
        return self.host.organisation


class Choice(models.Model):
    registration = models.ForeignKey(
        SenRegistration, on_delete=models.CASCADE, related_name="choices"
    )
    rank = models.PositiveSmallIntegerField()
    programme = models.ForeignKey("catalogue.Programme", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "rank"], name="sen_rank_once"),
            models.UniqueConstraint(fields=["registration", "programme"], name="sen_choice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.programme_id}"


class DocumentKind(models.TextChoices):
    """A37.10 and A38.9, (a)-(e)."""

    CONCLUSION = "conclusion", _("the expert team's conclusion")  # (a)
    LEARNING_PLAN = "learning_plan", _("individual learning plan")  # (b)
    AUDIOGRAM = "audiogram", _("audiogram")  # (c.a)
    OPHTHALMOLOGIST = "ophthalmologist", _("ophthalmologist's certificate")  # (c.b)
    SPECIALIST = "specialist", _("specialist's medical certificate")  # (d)
    DISABILITY = "disability", _("disability status document")  # (e)


class Document(models.Model):
    """A document of A37.10 / A38.9 as the institution received it (health data)."""

    registration = models.ForeignKey(
        SenRegistration, on_delete=models.CASCADE, related_name="documents"
    )
    institution = models.ForeignKey(
        "catalogue.Institution", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    received_on = models.DateField(_("received on"))
    signatures = models.PositiveSmallIntegerField(_("team members' signatures"), null=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "institution", "kind"], name="sen_document_once"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def organisation(self):
        return self.institution.organisation


class Commission(models.Model):
    """A40.3: an exam commission the host institution's head creates by act."""

    institution = models.ForeignKey(
        "catalogue.Institution", on_delete=models.PROTECT, related_name="sen_commissions"
    )
    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    act_number = models.CharField(_("head's act number"), max_length=40)
    created_on = models.DateField(_("created on"))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="sen_commissions")

    def __str__(self) -> str:
        return f"№ {self.act_number}"

    @property
    def organisation(self):
        return self.institution.organisation


class ScoringForm(models.Model):
    """A40.4: the form, set by the minister's individual administrative act, on which the exam
    commission scores each activity of a programme's practical trial. One form per programme
    (the activities are the programme's stage's, „პროგრამის შესაბამისი საფეხურის შესაბამისი
    თითოეული აქტივობის“); a new act makes a new version, the old one is never changed, and a
    trial keeps the version it was scored on."""

    programme = models.ForeignKey(
        "catalogue.Programme", on_delete=models.PROTECT, related_name="sen_forms"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    act_number = models.CharField(_("minister's act number"), max_length=40)
    issued_on = models.DateField(_("minister's act date"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    class Meta:
        ordering = ["programme", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "version"], name="sen_form_version_once"),
        ]
        verbose_name = _("minister's scoring form")

    def __str__(self) -> str:
        return f"№ {self.act_number} · v{self.version}"

    @property
    def max_total(self) -> int:
        return sum(a.max_score for a in self.activities.all())


class ScoringActivity(models.Model):
    """A40.4: one activity of the form, with its maximum score and criteria."""

    form = models.ForeignKey(ScoringForm, on_delete=models.PROTECT, related_name="activities")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("activity"), max_length=200)
    max_score = models.PositiveSmallIntegerField(_("maximum score"))
    criteria = models.TextField(_("criteria"), blank=True)

    class Meta:
        ordering = ["form", "position"]
        constraints = [
            models.UniqueConstraint(fields=["form", "position"], name="sen_activity_position"),
            models.UniqueConstraint(fields=["form", "name"], name="sen_activity_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Trial(models.Model):
    """A40.2-A40.7: the practical trial of one chosen programme's activities, the scores on
    the minister's form, and the commission's recommendation with its reasons."""

    registration = models.ForeignKey(
        SenRegistration, on_delete=models.PROTECT, related_name="trials"
    )
    programme = models.ForeignKey("catalogue.Programme", on_delete=models.PROTECT, related_name="+")
    commission = models.ForeignKey(Commission, on_delete=models.PROTECT, related_name="trials")
    tested_on = models.DateField(_("tested on"))
    minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    scores = models.JSONField(_("scores per activity"), default=list)
    # A40.4: the version of the minister's form the trial was scored on (none for trials
    # recorded before the forms were modelled).
    form = models.ForeignKey(
        ScoringForm, on_delete=models.PROTECT, null=True, blank=True, related_name="trials"
    )
    recommended = models.BooleanField(_("enrolment recommended"))
    reasons = models.TextField(_("the commission's reasons"))
    # A40.7: the analysis of the documents the applicant submitted (A37.10, A38.9), sent with
    # the scores and the recommendation.
    documents_analysis = models.TextField(_("analysis of the submitted documents"), blank=True)
    registration_time_considered = models.BooleanField(default=False)  # A40.6
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scored_at = models.DateTimeField()
    sent_on = models.DateField(_("sent to the ministry"), null=True, blank=True)  # A40.7

    class Meta:
        ordering = ["registration__registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "programme"], name="sen_trial_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} · {self.programme_id}"

    @property
    def organisation(self):
        return self.commission.institution.organisation

    @property
    def total(self) -> int:
        return sum(int(s.get("score", 0)) for s in self.scores)


class Act(models.Model):
    """A40.8-A40.10: the ministerial commission's distribution within the reserved places and
    the minister's act, signed with the ministry's key and published."""

    round = models.ForeignKey("rounds.Round", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices)
    number = models.CharField(_("act number"), max_length=40, unique=True)
    received_on = models.DateField(_("packages received (A40.7)"))
    due = models.DateField(_("distribution due (A40.8)"))
    distributed_on = models.DateField(_("distributed on"))
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(default=b"")
    token = models.CharField(max_length=40, unique=True, default=_token)

    class Meta:
        ordering = ["-distributed_on", "-pk"]
        verbose_name = _("minister's SEN act")

    def __str__(self) -> str:
        return self.number


class Placement(models.Model):
    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="placements")
    registration = models.ForeignKey(
        SenRegistration, on_delete=models.PROTECT, related_name="placements"
    )
    programme = models.ForeignKey("catalogue.Programme", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["act", "registration"], name="sen_placed_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} → {self.programme_id}"
