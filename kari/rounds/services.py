"""Setting a round's schedule (the ministry's act, A15.2, A18.1)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.errors import RuleError, ValidationError

from .deadlines import deadline
from .models import (
    OPTIONAL_SCHEDULE_FIELDS,
    SCHEDULE_FIELDS,
    SEASON_MONTHS,
    Receipt,
    Round,
    Season,
)

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


def _check_schedule(year: int, season: str, values: dict) -> None:
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
    _check_subsequent_window(values, errors)
    if not errors:
        _check_lead_times(year, season, values, errors)
    if errors:
        raise ValidationError(errors)


def _check_subsequent_window(values: dict, errors: dict) -> None:
    """A16.2: the subsequent stage's own registration window, both dates or neither, in order."""
    opens, closes = (values.get(f) for f in OPTIONAL_SCHEDULE_FIELDS)
    if bool(opens) != bool(closes):
        field = OPTIONAL_SCHEDULE_FIELDS[0] if not opens else OPTIONAL_SCHEDULE_FIELDS[1]
        errors.setdefault(field, []).append(
            _("Set both dates of the subsequent-stage registration window, or neither (A16.2).")
        )
    elif opens and closes and opens > closes:
        errors.setdefault(OPTIONAL_SCHEDULE_FIELDS[1], []).append(
            _("Must not be before “%(label)s”.")
            % {"label": Round._meta.get_field(OPTIONAL_SCHEDULE_FIELDS[0]).verbose_name}
        )


def _fmt(day) -> str:
    return day.strftime("%d.%m.%Y")


def _check_lead_times(year: int, season: str, values: dict, errors: dict) -> None:
    """A18.1: the test days fall in the round's season; the statutory lead times between
    registration and the test must be possible (A12.3(c), A17.4)."""
    months = SEASON_MONTHS.get(season)
    for f in ("test_starts", "test_ends"):
        if months and values[f].month not in months:
            errors.setdefault(f, []).append(
                _("A %(season)s round's test days fall in %(season)s (A18.1): %(date)s does not.")
                % {"season": Season(season).label, "date": _fmt(values[f])}
            )
    probe = Round(year=year, season=season, **{f: values[f] for f in SCHEDULE_FIELDS})
    handover = deadline(probe, "registration_data").date
    if values["registration_closes"] > handover:
        errors.setdefault("registration_closes", []).append(
            _(
                "Registration would close on %(closes)s, after the registration data are due "
                "at NAEC on %(due)s, 10 days before the test (A12.3(c))."
            )
            % {"closes": _fmt(values["registration_closes"]), "due": _fmt(handover)}
        )
    a17_4 = deadline(probe, "distribution_to_naec").date
    if a17_4 >= values["test_starts"]:
        errors.setdefault("test_starts", []).append(
            _(
                "The test would start on %(starts)s, but the distribution may reach NAEC as "
                "late as %(due)s (A17.4): leave room for it."
            )
            % {"starts": _fmt(values["test_starts"]), "due": _fmt(a17_4)}
        )


@transaction.atomic
def create_round(actor, *, year: int, season: str, reason: str = "", **schedule) -> Round:
    """A18.1: a round is the spring or autumn test of a year, scheduled by the ministry."""
    authorize(actor, "round.schedule", NATIONAL)
    if Round.objects.filter(year=year, season=season).exists():
        raise RuleError(_("This round already exists."), field="season", citation="A18.1")
    _check_schedule(year, season, schedule)
    r = Round.objects.create(year=year, season=season, **schedule)
    record(actor, "round.create", r, after=r.schedule(), reason=reason)
    return r


@transaction.atomic
def set_schedule(actor, r: Round, *, reason: str = "", **changes) -> Round:
    authorize(actor, "round.schedule", NATIONAL)
    r = Round.objects.select_for_update().get(pk=r.pk)
    before = r.schedule()
    unknown = set(changes) - set(SCHEDULE_FIELDS + OPTIONAL_SCHEDULE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("Not a schedule date.")] for f in sorted(unknown)})
    values = before | changes
    _check_schedule(r.year, r.season, values)
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


RECEIPT_KEYS = {
    "centres_to_naec": "A17.2(b)",
    "numbers_to_emis": "A17.4",
    "final_lists": "A27.1",
    "ranking_approved": "A27.5",
    "ranking_sent": "A27.6",
}


@transaction.atomic
def record_receipt(actor, r: Round, key: str, *, perm: str, on=None) -> Receipt:
    """Record that a hand-over was received, which starts a "from receipt" deadline.

    The caller names the permission it acts under (the hand-over's own). The first receipt
    counts; recording it again changes nothing.
    """
    authorize(actor, perm, NATIONAL)
    if key not in RECEIPT_KEYS:
        raise ValidationError({"key": [_("Not a hand-over whose receipt starts a deadline.")]})
    receipt, created = Receipt.objects.get_or_create(
        round=r,
        key=key,
        defaults={"received_on": on or timezone.localdate(), "recorded_at": timezone.now()},
    )
    if created:
        record(
            actor,
            "round.receipt",
            r,
            after={"key": key, "received_on": receipt.received_on.isoformat()},
            reason=RECEIPT_KEYS[key],
        )
    return receipt
