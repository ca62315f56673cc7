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

    class Meta:
        ordering = ["-test_starts"]
        constraints = [
            models.UniqueConstraint(fields=["year", "season"], name="one_round_per_season"),
        ]
        verbose_name = _("round")

    def __str__(self) -> str:
        return f"{self.get_season_display()} {self.year}"

    def schedule(self) -> dict:
        return {f: getattr(self, f) for f in SCHEDULE_FIELDS}
