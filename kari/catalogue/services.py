"""Write operations of the catalogue: institutions, programmes and admission announcements (A13).

Each function runs in one transaction, checks permissions, enforces the rules
(kari.catalogue.rules), writes the audit log and notifies on commit.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kari import notify
from kari.accounts.models import Organisation
from kari.accounts.permissions import NATIONAL, authorize, authorize_any
from kari.accounts.roles import OrgKind
from kari.audit.log import record
from kari.errors import RuleError, ValidationError
from kari.rounds.deadlines import deadline

from . import rules, selectors
from .models import (
    Announcement,
    AnnouncementLine,
    AnnouncementStatus,
    Institution,
    NextIntakeAdjustment,
    Programme,
)

PROGRAMME_FIELDS = [
    "name_ka",
    "name_en",
    "field",
    "stage",
    "art_sport_tourism",
    "work_based",
    "framework_based",
    "skills_test",
    "subject_group",
    "foreign_language",
    "extra_requirements",
    "work_based_specifics",
    "authorised_places",
]
INSTITUTION_FIELDS = ["legal_form", "heads"]
ORG_FIELDS = ["name_ka", "name_en", "municipality", "address", "phone", "email"]


def programme_snapshot(p: Programme) -> dict:
    data = {f: getattr(p, f) for f in PROGRAMME_FIELDS}
    for f in ("field", "skills_test", "subject_group"):
        data[f] = getattr(data[f], "code", None)
    data["institution"] = p.institution.code
    return data


def institution_snapshot(i: Institution) -> dict:
    o = i.organisation
    data = {f: getattr(o, f) for f in ORG_FIELDS} | {f: getattr(i, f) for f in INSTITUTION_FIELDS}
    data["municipality"] = getattr(o.municipality, "code", None)
    return data


# ---------------------------------------------------------------- institutions


def _write_institution(clean: dict) -> tuple[Institution, dict | None]:
    org = Organisation.objects.filter(code=clean["code"]).first()
    if org is not None and org.kind != OrgKind.INSTITUTION:
        raise ValidationError(
            {
                "code": [
                    _("“%(code)s” is already another kind of organisation.")
                    % {"code": clean["code"]}
                ]
            }
        )
    before = None
    if org is None:
        org = Organisation(code=clean["code"], kind=OrgKind.INSTITUTION)
        inst = None
    else:
        inst = Institution.objects.filter(organisation=org).first()
        before = institution_snapshot(inst) if inst else None
    for f in ORG_FIELDS:
        setattr(org, f, clean[f])
    org.save()
    if inst is None:
        inst = Institution(organisation=org)
    for f in INSTITUTION_FIELDS:
        setattr(inst, f, clean[f])
    inst.save()
    return inst, before


@transaction.atomic
def save_institution(actor, data: dict, *, reason: str = "") -> Institution:
    """Create (EMIS) or update (EMIS, or the institution's own admin) an institution's A13.4
    data."""
    clean = rules.clean_institution(data)
    existing = rules.institution_by_code(clean["code"])
    if existing is None:
        authorize(actor, "reference.edit", NATIONAL)
    else:
        authorize_any(
            actor, ("reference.edit", NATIONAL), ("institution.edit", existing.organisation)
        )
    inst, before = _write_institution(clean)
    record(
        actor,
        "institution.save",
        inst,
        before=before,
        after=institution_snapshot(inst),
        reason=reason,
    )
    return inst


# ---------------------------------------------------------------- programmes


def _authorize_programme(actor, institution: Institution) -> None:
    authorize_any(
        actor, ("catalogue.import", NATIONAL), ("programme.edit", institution.organisation)
    )


def _write_programme(institution: Institution, clean: dict) -> tuple[Programme, dict | None]:
    prog = Programme.objects.filter(code=clean["code"]).select_related("institution").first()
    before = None
    if prog is not None:
        if prog.institution_id != institution.pk:
            raise ValidationError(
                {
                    "code": [
                        _("Programme code “%(code)s” belongs to another institution.")
                        % {"code": clean["code"]}
                    ]
                }
            )
        before = programme_snapshot(prog)
    else:
        prog = Programme(code=clean["code"], institution=institution)
    for f in PROGRAMME_FIELDS:
        setattr(prog, f, clean[f])
    prog.save()
    return prog, before


@transaction.atomic
def save_programme(actor, institution: Institution, data: dict, *, reason: str = "") -> Programme:
    """Create or update a programme (A4.2 flags, A7 test, A7.5 language, A13.4(f)-(g))."""
    _authorize_programme(actor, institution)
    clean = rules.clean_programme(data)
    prog, before = _write_programme(institution, clean)
    record(
        actor,
        "programme.save",
        prog,
        before=before,
        after=programme_snapshot(prog),
        reason=reason,
        organisation=institution.organisation,
    )
    return prog


# ---------------------------------------------------------------- announcements (A13)


def announcement_for(institution: Institution, round_) -> Announcement:
    """The institution's announcement for the round, or a blank draft that is not saved
    (reading writes nothing: the first change saves it, `open_announcement`)."""
    found = Announcement.objects.filter(institution=institution, round=round_).first()
    return found or Announcement(institution=institution, round=round_)


@transaction.atomic
def open_announcement(actor, institution: Institution, round_) -> Announcement:
    """The institution's announcement for the round, created (and audited) on first use."""
    authorize(actor, "announcement.submit", institution.organisation)
    ann, created = Announcement.objects.get_or_create(institution=institution, round=round_)
    if created:
        record(actor, "announcement.open", ann, after=ann.snapshot())
    return ann


def submission_open(round_, today=None) -> bool:
    """A13.1: institutions announce within the ministry's deadline (inclusive)."""
    return (today or timezone.localdate()) <= round_.announcement_deadline


@transaction.atomic
def set_places(
    actor, institution: Institution, round_, lines: dict, *, reason: str = ""
) -> Announcement:
    """Enter places per programme (A13.4(e), A13.2, A10.4) before the deadline (A13.1).

    `lines` maps a programme code to (places, sen_places); a code mapped to None is removed.
    Errors name the field as "<code>.places" or "<code>.sen_places".
    """
    authorize(actor, "announcement.submit", institution.organisation)
    ann = open_announcement(actor, institution, round_)
    ann = Announcement.objects.select_for_update().get(pk=ann.pk)
    _check_editable(ann)
    before = ann.snapshot()
    programmes = {p.code: p for p in institution.programmes.filter(code__in=list(lines))}
    errors: dict[str, list[str]] = {}
    for code, value in lines.items():
        prog = programmes.get(code)
        if prog is None:
            errors[f"{code}"] = [
                _("“%(code)s” is not a programme of this institution.") % {"code": code}
            ]
            continue
        if value is None:
            ann.lines.filter(programme=prog).delete()
            continue
        places, sen = value
        try:
            rules.check_places(
                places,
                sen,
                work_based=prog.work_based,
                intake_limit=selectors.next_intake_limit(prog, round_),
            )
        except ValidationError as exc:
            for f, msgs in exc.message_dict.items():
                errors[f"{code}.{f}"] = msgs
            continue
        AnnouncementLine.objects.update_or_create(
            announcement=ann, programme=prog, defaults={"places": places, "sen_places": sen}
        )
    if errors:
        raise ValidationError(errors)
    record(actor, "announcement.places", ann, before=before, after=ann.snapshot(), reason=reason)
    return ann


def _check_editable(ann: Announcement) -> None:
    if ann.status == AnnouncementStatus.CONFIRMED:
        raise RuleError(
            _("The quality centre has confirmed this announcement; it can no longer change."),
            citation="A13.3",
        )
    if ann.status == AnnouncementStatus.FLAGGED:
        if timezone.localdate() > deadline(ann.round, "confirmation").date:
            raise RuleError(_("The confirmation period is over."), citation="A13.3")
        return
    if not submission_open(ann.round):
        raise RuleError(
            _(
                "The announcement deadline has passed: this institution cannot admit by test "
                "results in this round."
            ),
            citation="A13.5",
        )


@transaction.atomic
def submit_announcement(actor, ann: Announcement, *, reason: str = "") -> Announcement:
    """A13.1: submit before the deadline; A13.5: a missed deadline means no admission this round."""
    authorize(actor, "announcement.submit", ann.institution.organisation)
    ann = Announcement.objects.select_for_update().get(pk=ann.pk)
    if ann.status == AnnouncementStatus.SUBMITTED:
        raise RuleError(_("This announcement is already submitted."), field="status")
    _check_editable(ann)
    lines = list(ann.lines.select_related("programme"))
    if not lines:
        raise RuleError(
            _("Enter places for at least one programme."), field="lines", citation="A13.4(e)"
        )
    errors = {}
    for line in lines:
        try:
            rules.check_places(
                line.places,
                line.sen_places,
                work_based=line.programme.work_based,
                intake_limit=selectors.next_intake_limit(line.programme, ann.round),
            )
        except ValidationError as exc:
            for f, msgs in exc.message_dict.items():
                errors[f"{line.programme.code}.{f}"] = msgs
    if errors:
        raise ValidationError(errors)
    before = ann.snapshot()
    ann.status = AnnouncementStatus.SUBMITTED
    ann.submitted_at = timezone.now()
    ann.flag_reason = ""
    ann.save()
    record(actor, "announcement.submit", ann, before=before, after=ann.snapshot(), reason=reason)
    return ann


@transaction.atomic
def confirm_announcement(actor, ann: Announcement, *, reason: str = "") -> Announcement:
    """A13.3: the quality centre confirms the entered data (its deadline: 7 days after A13.1's)."""
    authorize(actor, "announcement.confirm", NATIONAL)
    ann = Announcement.objects.select_for_update().get(pk=ann.pk)
    if ann.status != AnnouncementStatus.SUBMITTED:
        raise RuleError(
            _("Only a submitted announcement can be confirmed."), field="status", citation="A13.3"
        )
    before = ann.snapshot()
    ann.status = AnnouncementStatus.CONFIRMED
    ann.confirmed_at = timezone.now()
    ann.confirmed_by = actor
    ann.save()
    due = deadline(ann.round, "confirmation").date
    late = timezone.localdate() > due
    record(
        actor,
        "announcement.confirm",
        ann,
        before=before,
        after=ann.snapshot() | {"late": late},
        reason=reason or (f"confirmed after the A13.3 deadline {due:%d.%m.%Y}" if late else ""),
    )
    notify.notify_organisation(
        ann.institution.organisation,
        _("Kari: admission announcement confirmed (%(round)s)") % {"round": ann.round},
        _("The quality centre confirmed your admission announcement for %(round)s.")
        % {"round": ann.round},
    )
    return ann


@transaction.atomic
def flag_announcement(actor, ann: Announcement, reason: str) -> Announcement:
    """A13.6: places differ from the authorisation council's; the institution is notified."""
    authorize(actor, "announcement.flag", NATIONAL)
    if not (reason or "").strip():
        raise RuleError(_("Say what differs."), field="reason", citation="A13.6")
    ann = Announcement.objects.select_for_update().get(pk=ann.pk)
    if ann.status != AnnouncementStatus.SUBMITTED:
        raise RuleError(_("Only a submitted announcement can be returned."), field="status")
    before = ann.snapshot()
    ann.status = AnnouncementStatus.FLAGGED
    ann.flag_reason = reason.strip()
    ann.save()
    record(actor, "announcement.flag", ann, before=before, after=ann.snapshot(), reason=reason)
    notify.notify_organisation(
        ann.institution.organisation,
        _("Kari: places differ from the authorisation (%(round)s)") % {"round": ann.round},
        _("The quality centre returned your admission announcement for %(round)s:\n\n%(reason)s")
        % {"round": ann.round, "reason": reason},
    )
    return ann


def mismatches(ann: Announcement) -> list[AnnouncementLine]:
    """A13.6: lines whose places differ from the authorisation council's number."""
    return [
        line
        for line in ann.lines.select_related("programme")
        if line.programme.authorised_places is not None
        and line.places != line.programme.authorised_places
    ]


def can_admit(institution: Institution, round_) -> bool:
    """A13.5: only an institution whose announcement was submitted in time and confirmed admits."""
    return Announcement.objects.filter(
        institution=institution,
        round=round_,
        status=AnnouncementStatus.CONFIRMED,
    ).exists()


@transaction.atomic
def record_next_intake_adjustments(actor, source_round, reductions: dict) -> list:
    """A27.10: the places subtracted from each programme's next intake because the tie rule
    of ``source_round``'s ranking admitted students beyond the annual limit. ``reductions``
    maps a programme to its number; a new ranking version replaces the round's figures."""
    authorize(actor, "intake.adjust", NATIONAL)
    before = {
        a.programme.code: a.reduction
        for a in NextIntakeAdjustment.objects.filter(
            source_round=source_round, citation="A27.10"
        ).select_related("programme")
    }
    NextIntakeAdjustment.objects.filter(source_round=source_round, citation="A27.10").delete()
    now = timezone.now()
    made = [
        NextIntakeAdjustment.objects.create(
            programme=p, source_round=source_round, reduction=n, recorded_at=now
        )
        for p, n in sorted(reductions.items(), key=lambda kv: kv[0].code)
        if n > 0
    ]
    for adj in made:
        record(
            actor,
            "intake.adjust",
            adj,
            before={"reduction": before.get(adj.programme.code)},
            after={"reduction": adj.reduction, "source_round": str(source_round)},
            reason=_("Tie-rule places beyond the annual limit (A27.10)"),
        )
    return made
