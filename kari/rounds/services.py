"""Setting a round's schedule (the ministry's act, A15.2, A18.1)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.errors import RuleError, ValidationError

from .deadlines import deadline
from .models import SCHEDULE_FIELDS, Round

# Each pair must be in order (left <= right).
ORDER = [
    ("announcement_deadline", "registration_opens"),
    ("registration_opens", "registration_closes"),
    ("registration_closes", "test_starts"),
    ("test_starts", "test_ends"),
    ("test_ends", "results_published"),
    ("results_published", "reranking_opens"),
    ("reranking_opens", "reranking_closes"),
    ("reranking_closes", "ranking_date"),
    ("ranking_date", "enrolment_starts"),
    ("enrolment_starts", "enrolment_ends"),
]


def _check_schedule(year: int, values: dict) -> None:
    errors = {}
    for f in SCHEDULE_FIELDS:
        if values.get(f) is None:
            errors.setdefault(f, []).append(_("This date is required."))
    for left, right in ORDER:
        a, b = values.get(left), values.get(right)
        if a and b and a > b:
            label = Round._meta.get_field(left).verbose_name
            errors.setdefault(right, []).append(
                _("Must not be before “%(label)s”.") % {"label": label}
            )
    if values.get("test_starts") and values["test_starts"].year != year:
        errors.setdefault("test_starts", []).append(
            _("The test must take place in the round's year (A18.1).")
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_round(actor, *, year: int, season: str, reason: str = "", **schedule) -> Round:
    """A18.1: a round is the spring or autumn test of a year, scheduled by the ministry."""
    authorize(actor, "round.schedule", NATIONAL)
    if Round.objects.filter(year=year, season=season).exists():
        raise RuleError(_("This round already exists."), field="season", citation="A18.1")
    _check_schedule(year, schedule)
    r = Round.objects.create(year=year, season=season, **schedule)
    record(actor, "round.create", r, after=r.schedule(), reason=reason)
    return r


@transaction.atomic
def set_schedule(actor, r: Round, *, reason: str = "", **changes) -> Round:
    authorize(actor, "round.schedule", NATIONAL)
    r = Round.objects.select_for_update().get(pk=r.pk)
    before = r.schedule()
    unknown = set(changes) - set(SCHEDULE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("Not a schedule date.")] for f in sorted(unknown)})
    values = before | changes
    _check_schedule(r.year, values)
    for f, v in changes.items():
        setattr(r, f, v)
    r.save()
    record(actor, "round.schedule", r, before=before, after=r.schedule(), reason=reason)
    return r


def current_round(today=None) -> Round | None:
    """The round being run: the earliest whose enrolment has not ended, else the latest.

    Applicants, the portal and the timeline work with this round.
    """
    today = today or timezone.localdate()
    running = Round.objects.filter(enrolment_ends__gte=today).order_by("test_starts").first()
    return running or Round.objects.order_by("-test_starts").first()


def announcement_round(today=None) -> Round | None:
    """The round institutions announce for: the earliest whose announcement deadline or
    confirmation period (A13.1, A13.3) is not over, else the current round."""
    today = today or timezone.localdate()
    for r in Round.objects.filter(enrolment_ends__gte=today).order_by("test_starts"):
        if deadline(r, "confirmation").date >= today:
            return r
    return current_round(today)
