"""A round: the spring or autumn test of a year (A18.1) and the schedule the ministry sets."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Season(models.TextChoices):
    SPRING = "spring", _("Spring")
    AUTUMN = "autumn", _("Autumn")


SCHEDULE_FIELDS = [
    "announcement_deadline",
    "registration_opens",
    "registration_closes",
    "test_starts",
    "test_ends",
    "results_published",
    "reranking_opens",
    "reranking_closes",
    "ranking_date",
    "enrolment_starts",
    "enrolment_ends",
]
# A16.2: the ministry's window for subsequent-stage registration; a round may have none.
OPTIONAL_SCHEDULE_FIELDS = ["subsequent_registration_opens", "subsequent_registration_closes"]
# A18.1: the months of each season (spring March-May, autumn September-November).
SEASON_MONTHS = {"spring": (3, 4, 5), "autumn": (9, 10, 11)}


class Round(models.Model):
    year = models.PositiveSmallIntegerField(_("year"))
    season = models.CharField(_("season"), max_length=6, choices=Season.choices)
    announcement_deadline = models.DateField(_("admission announcement deadline (A13.1)"))
    registration_opens = models.DateField(_("registration opens (A15.2)"))
    registration_closes = models.DateField(_("registration closes (A15.2)"))
    test_starts = models.DateField(_("first test day (A18.1)"))
    test_ends = models.DateField(_("last test day (A18.1)"))
    results_published = models.DateField(_("results published (A26.2)"))
    reranking_opens = models.DateField(_("re-ranking window opens (A26.2)"))
    reranking_closes = models.DateField(_("re-ranking window closes (A26.2)"))
    ranking_date = models.DateField(_("ranking document (A27.1)"))
    enrolment_starts = models.DateField(_("enrolment starts (A29)"))
    enrolment_ends = models.DateField(_("enrolment ends (A29)"))
    subsequent_registration_opens = models.DateField(
        _("subsequent-stage registration opens (A16.2)"), null=True, blank=True
    )
    subsequent_registration_closes = models.DateField(
        _("subsequent-stage registration closes (A16.2)"), null=True, blank=True
    )

    class Meta:
        ordering = ["-test_starts"]
        constraints = [
            models.UniqueConstraint(fields=["year", "season"], name="one_round_per_season"),
        ]
        verbose_name = _("round")

    def __str__(self) -> str:
        return f"{self.get_season_display()} {self.year}"

    def schedule(self) -> dict:
        return {f: getattr(self, f) for f in SCHEDULE_FIELDS + OPTIONAL_SCHEDULE_FIELDS}


class Receipt(models.Model):
    """The recorded receipt of a hand-over that starts a "from receipt" deadline (მიღებიდან).

    A17.2(b) counts from NAEC's receipt of the A17.2(a) data, A17.4 from EMIS's receipt of
    NAEC's numbers, A27.1 from NAEC's receipt of the final lists (A26.3) and A27.6 from EMIS's
    receipt of the ranking document (A27.5). Until a receipt is recorded, the deadline counts
    from the date the hand-over is due. The first receipt counts.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="receipts")
    key = models.CharField(max_length=40)  # the deadline key of the hand-over received
    received_on = models.DateField(_("received on"))
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "key"], name="one_receipt_per_handover")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.received_on:%d.%m.%Y}"
