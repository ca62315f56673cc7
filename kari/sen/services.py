"""Write operations of the SEN track (A33-A40).

Each function runs in one transaction, checks who may act (:func:`authorize`), enforces the
rules (:mod:`kari.sen.rules`), writes the audit log (never a personal number, never health
data: only ids, kinds and counts) and sends notices after commit through the outbox.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari import notify, sms
from kari.accounts.models import Organisation, User
from kari.accounts.permissions import NATIONAL, authorize
from kari.accounts.roles import OrgKind, Role
from kari.accounts.signing import sign_document
from kari.audit.log import record
from kari.catalogue.models import Institution, Programme
from kari.codes import services as codes
from kari.codes.models import OneTimeCode
from kari.errors import PermissionDenied, RuleError, ValidationError
from kari.identity.registry import get_registry
from kari.identity.validators import clean_contacts, clean_personal_number
from kari.registration.models import Applicant
from kari.registration.rules import check_requirements
from kari.registration.services import (
    DOCUMENT_HOWTO,
    Pending,
    _deliver_code,
    check_second_fact,
)
from kari.rounds.models import Round

from . import rules, selectors
from .models import (
    Act,
    Assessment,
    Channel,
    Choice,
    Commission,
    Document,
    DocumentKind,
    Environment,
    ExpertTeam,
    HostAssignment,
    HostsAct,
    Placement,
    Requester,
    Schedule,
    ScoringActivity,
    ScoringForm,
    SenRegistration,
    SenStatus,
    Signature,
    Stage,
    Trial,
)

CODE_PURPOSE = "sen_register"

REGISTERED_TEXT = gettext_lazy(
    "Your registration as an applicant with special educational needs is recorded "
    "(number %(number)s). Bring the documents to the institution of each programme you chose "
    "by %(due)s (within 4 working days): the expert team's conclusion signed by at least three "
    "members; your individual learning plan, if any; an audiogram or an ophthalmologist's "
    "certificate for a hearing or sight impairment; a specialist's medical certificate for a "
    "behavioural or emotional disorder; the disability status document, if any."
)
REGISTERED_SUBSEQUENT_TEXT = gettext_lazy(
    "Your registration as an applicant with special educational needs is recorded "
    "(number %(number)s). Unless an expert team has assessed you and you continue at the same "
    "institution, bring the documents to the institution of each programme you chose by "
    "%(due)s (within 4 working days, A38.9, A38.10): the expert team's conclusion signed by at "
    "least three members; your individual learning plan, if any; an audiogram or an "
    "ophthalmologist's certificate for a hearing or sight impairment; a specialist's medical "
    "certificate for a behavioural or emotional disorder; the disability status document, if any."
)
REGISTERED_EXEMPT_TEXT = gettext_lazy(
    "Your registration as an applicant with special educational needs is recorded "
    "(number %(number)s). An expert team has assessed you and you do not continue at another "
    "institution: you need not bring the documents (A38.10)."
)
CHANGED_TEXT = gettext_lazy(
    "Your registration as an applicant with special educational needs (number %(number)s) was "
    "changed at %(centre)s on %(date)s; notices now go to other contacts. If you did not ask "
    "for the change, tell the registration centre or the ministry."
)
STATUS_TEXT = gettext_lazy(
    "The ministry changed your special-educational-needs status (registration %(number)s): "
    "%(status)s."
)
HOST_TEXT = gettext_lazy(
    "By the minister's act %(act)s of %(date)s your practical trial (registration %(number)s) "
    "takes place at the SEN exam centre of %(host)s, %(address)s, between %(starts)s and "
    "%(ends)s. The institution will tell you the exact time."
)
ACT_TEXT = gettext_lazy(
    "The minister's act %(number)s on the placement of applicants with special educational "
    "needs is published: %(url)s"
)


def _tell(reg: SenRegistration, subject, message, **values) -> None:
    """Email (if any) and SMS to the SEN applicant after commit, in Georgian then English:
    the phone is required at registration (A37.4), the email only if there is one."""
    notify.email_on_commit([reg.email], str(subject), notify.bilingual(message, **values))
    sms.sms_on_commit(reg.phone, notify.bilingual(message, sep=" / ", **values))


def _today() -> dt.date:
    return timezone.localdate()


def site_url(path: str) -> str:
    return settings.KARI_PUBLIC_URL.rstrip("/") + path


# ---------------------------------------------------------------- A37.2, A38.2, A40.1 schedule


@transaction.atomic
def set_schedule(
    actor,
    round_: Round,
    stage: str,
    *,
    registration_opens: dt.date,
    registration_closes: dt.date,
    test_starts: dt.date,
    test_ends: dt.date,
    max_minutes: int,
) -> Schedule:
    """The minister's act: the SEN registration window (A37.2, A38.2), the test's schedule and
    its maximum duration (A40.1)."""
    authorize(actor, "sen.schedule", NATIONAL)
    errors: dict[str, list[str]] = {}
    if stage not in Stage.values:
        errors["stage"] = [_("Choose the stage.")]
    if registration_closes < registration_opens:
        errors["registration_closes"] = [_("The window closes after it opens.")]
    if test_starts <= registration_closes:
        errors["test_starts"] = [_("The trials start after the registration window closes.")]
    if test_ends < test_starts:
        errors["test_ends"] = [_("The last trial day is on or after the first.")]
    if not max_minutes or max_minutes < 1 or max_minutes > 24 * 60:
        errors["max_minutes"] = [_("Enter the maximum duration in minutes.")]
    if errors:
        raise ValidationError(errors)
    s = Schedule.objects.select_for_update().filter(round=round_, stage=stage).first()
    before = _schedule_snapshot(s) if s else None
    s = s or Schedule(round=round_, stage=stage)
    s.registration_opens, s.registration_closes = registration_opens, registration_closes
    s.test_starts, s.test_ends, s.max_minutes = test_starts, test_ends, max_minutes
    s.set_at = timezone.now()
    s.save()
    record(actor, "sen.schedule", s, before=before, after=_schedule_snapshot(s))
    return s


def _schedule_snapshot(s: Schedule) -> dict:
    return {
        "registration_opens": s.registration_opens,
        "registration_closes": s.registration_closes,
        "test_starts": s.test_starts,
        "test_ends": s.test_ends,
        "max_minutes": s.max_minutes,
    }


def _schedule(round_, stage) -> Schedule:
    s = Schedule.objects.filter(round=round_, stage=stage).first()
    if s is None:
        raise RuleError(
            _("The minister has not set the SEN registration window yet (A37.2)."),
            citation="A37.2",
        )
    return s


# ---------------------------------------------------------------- A36 expert teams and conclusions


@transaction.atomic
def form_team(
    actor,
    organisation: Organisation,
    *,
    act_number: str,
    formed_on: dt.date,
    members: list[User],
    municipality=None,
) -> ExpertTeam:
    """A36.1: the minister forms a territorial expert team of at least three experts."""
    authorize(actor, "sen.teams", NATIONAL)
    if organisation.kind != OrgKind.EXPERT_TEAM:
        raise ValidationError({"organisation": [_("Choose an expert team.")]})
    people = {m.pk: m for m in members}
    for m in people.values():
        if m.organisation_id != organisation.pk or Role.SEN_EXPERT not in m.roles:
            raise ValidationError(
                {"members": [_("%(name)s is not an expert of this team.") % {"name": m}]}
            )
    if len(people) < rules.MIN_EXPERTS:
        raise RuleError(
            _("An expert team has at least 3 experts (A36.1)."), field="members", citation="A36.1"
        )
    if not (act_number or "").strip():
        raise ValidationError({"act_number": [_("Enter the act's number.")]})
    team = ExpertTeam.objects.filter(organisation=organisation).first()
    before = _team_snapshot(team) if team else None
    team = team or ExpertTeam(organisation=organisation)
    team.act_number, team.formed_on, team.municipality = act_number.strip(), formed_on, municipality
    team.save()
    team.members.set(list(people.values()))
    record(actor, "sen.team", team, before=before, after=_team_snapshot(team))
    return team


def _team_snapshot(team: ExpertTeam) -> dict:
    return {
        "act_number": team.act_number,
        "formed_on": team.formed_on,
        "members": sorted(team.members.values_list("pk", flat=True)),
    }


def applicant_from_registry(personal_number: str, *, phone: str = "", email: str = "") -> Applicant:
    """The applicant's record, created from the civil registry if Kari has none yet."""
    applicant = Applicant.objects.filter(personal_number=personal_number).first()
    if applicant is not None:
        return applicant
    person = get_registry().lookup(personal_number)
    if person is None:
        raise ValidationError(
            {"personal_number": [_("The civil registry has no person with this number.")]}
        )
    return Applicant.objects.create(
        personal_number=personal_number,
        first_name_ka=person.first_name_ka,
        last_name_ka=person.last_name_ka,
        first_name_en=person.first_name_en,
        last_name_en=person.last_name_en,
        birth_date=person.birth_date,
        phone=phone,
        email=email,
    )


def _team_of(actor) -> ExpertTeam:
    team = ExpertTeam.objects.filter(
        organisation_id=getattr(actor, "organisation_id", None)
    ).first()
    if team is None:
        raise PermissionDenied(_("The minister has not formed your expert team (A36.1)."))
    return team


@transaction.atomic
def request_assessment(
    actor, personal_number: str, *, requested_on: dt.date, requested_by: str
) -> Assessment:
    """A36.2: the applicant (or the parent or legal representative) asks the team."""
    team = _team_of(actor)
    authorize(actor, "sen.assess", team.organisation)
    try:
        personal_number = clean_personal_number(personal_number)
    except ValidationError as exc:
        raise ValidationError({"personal_number": exc.messages}) from exc
    if requested_by not in Requester.values:
        raise ValidationError({"requested_by": [_("Say who asked for the assessment.")]})
    if requested_on > _today():
        raise ValidationError({"requested_on": [_("The request cannot be in the future.")]})
    applicant = applicant_from_registry(personal_number)
    a = Assessment.objects.create(
        applicant=applicant,
        team=team,
        requested_on=requested_on,
        requested_by=requested_by,
        due=rules.conclusion_due(requested_on),
    )
    record(actor, "sen.assessment_requested", a, after={"due": a.due, "by": requested_by})
    return a


def _lock_assessment(a: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("team__organisation")
        .get(pk=a.pk)
    )


@transaction.atomic
def write_conclusion(
    actor,
    assessment: Assessment,
    *,
    findings: str,
    hearing: bool = False,
    sight: bool = False,
    behavioural: bool = False,
    environment: list[str] | None = None,
) -> Assessment:
    """A36.2: the team's conclusion on the functional and academic skills; signatures start
    over when the text changes."""
    a = _lock_assessment(assessment)
    authorize(actor, "sen.assess", a.team.organisation)
    if a.concluded_on:
        raise RuleError(_("The conclusion is issued; it cannot change."), citation="A36.2")
    if not (findings or "").strip():
        raise ValidationError({"findings": [_("Write the conclusion.")]})
    env = list(dict.fromkeys(environment or []))
    unknown = [e for e in env if e not in Environment.values]
    if unknown:
        raise ValidationError({"environment": [_("Choose from the list.")]})
    a.findings, a.hearing, a.sight, a.behavioural = findings.strip(), hearing, sight, behavioural
    a.environment = env
    a.save()
    dropped = a.signatures.count()
    a.signatures.all().delete()
    record(actor, "sen.conclusion_written", a, after={"signatures_dropped": dropped})
    return a


@transaction.atomic
def sign_conclusion(actor, assessment: Assessment) -> Signature:
    """A37.10(a): a member of the team signs the conclusion."""
    a = _lock_assessment(assessment)
    authorize(actor, "sen.assess", a.team.organisation)
    if not a.team.members.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("Only the team's members sign its conclusions (A36.1)."))
    if not a.findings:
        raise RuleError(_("Write the conclusion before signing it."), citation="A36.2")
    if a.concluded_on:
        raise RuleError(_("The conclusion is already issued."), citation="A36.2")
    s, created = Signature.objects.get_or_create(
        assessment=a, expert=actor, defaults={"signed_at": timezone.now()}
    )
    if created:
        record(actor, "sen.conclusion_signed", a, after={"signatures": a.signatures.count()})
    return s


@transaction.atomic
def issue_conclusion(actor, assessment: Assessment) -> Assessment:
    """A36.2, A37.10(a): the conclusion is issued signed by at least three team members."""
    a = _lock_assessment(assessment)
    authorize(actor, "sen.assess", a.team.organisation)
    if a.concluded_on:
        return a
    signed = a.signatures.filter(expert__in=a.team.members.all()).count()
    if signed < rules.MIN_SIGNATURES:
        raise RuleError(
            _(
                "The conclusion has %(n)s signatures; at least three members of the team sign "
                "it (A37.10(a))."
            )
            % {"n": signed},
            citation="A37.10(a)",
        )
    a.concluded_on = _today()
    a.save(update_fields=["concluded_on"])
    record(
        actor,
        "sen.conclusion_issued",
        a,
        after={"signatures": signed, "due": a.due, "late": a.concluded_on > a.due},
    )
    return a


# ---------------------------------------------------------------- A37, A38 registration


def _clean_registration(
    data: dict, round_, stage: str, existing: SenRegistration | None, person=None
) -> dict:
    """The A37.4 / A38.4 data. A37.3, A38.3: only the programmes whose requirements the
    applicant meets are offered: those with reserved places (A13.2) and whose checkable
    requirements (A13.4(f): the minimum age on its day) the person meets, as the general
    registration checks them; the others are refused, naming the programme. The education
    level is, as there, a warning (the applicant may have it by enrolment)."""
    errors: dict[str, list[str]] = {}
    out: dict = {"warnings": []}
    clean_contacts(data, errors, out)
    if stage == Stage.PRIMARY and not out.get("email"):
        errors.pop("email", None)  # A37.4: the phone is required; the email if there is one
    if stage == Stage.SUBSEQUENT:  # A38.4(b): „ტელეფონის ნომერი/ელექტრონული ფოსტის მისამართი“
        has_phone = bool(str(data.get("phone") or "").strip())
        if not has_phone and not out.get("email"):
            errors.pop("email", None)
            errors["phone"] = [
                str(
                    RuleError(
                        _("Enter a phone number or an email address (A38.4(b))."),
                        citation="A38.4(b)",
                    ).messages[0]
                )
            ]
        elif not has_phone:
            errors.pop("phone", None)
            out["phone"] = ""
        elif not out.get("email"):
            errors.pop("email", None)
    if stage == Stage.SUBSEQUENT:
        out["education_level"] = str(data.get("education_level") or "").strip()
        out["qualification"] = str(data.get("qualification") or "").strip()
        out["continues_elsewhere"] = bool(data.get("continues_elsewhere"))
        if not out["education_level"]:
            errors["education_level"] = [_("Enter the level of general education completed.")]
    codes_ = [str(c).strip() for c in data.get("programmes") or [] if str(c).strip()]
    if not codes_:
        errors["programmes"] = [_("Choose at least one programme.")]
    elif len(codes_) > rules.MAX_PROGRAMMES:
        errors["programmes"] = [
            str(
                RuleError(
                    _("At most three programmes (A37.4(c))."),
                    citation="A38.4(f)" if stage == Stage.SUBSEQUENT else "A37.4(c)",
                ).messages[0]
            )
        ]
    elif len(set(codes_)) != len(codes_):
        errors["programmes"] = [_("Each programme once, please.")]
    else:
        offered = {p.code: p for p in selectors.offered_programmes(round_, stage)}
        missing = [c for c in codes_ if c not in offered]
        if missing:
            errors["programmes"] = [
                _("Not offered to SEN applicants this round (A37.3): %(codes)s")
                % {"codes": ", ".join(missing)}
            ]
        out["programmes"] = [offered[c] for c in codes_ if c in offered]
        if not missing:
            out["warnings"] = check_requirements(out["programmes"], person, round_, errors)
            if "programmes" in errors:  # A37.3, A38.3: not offered to this applicant
                citation = "A38.3" if stage == Stage.SUBSEQUENT else "A37.3"
                head = RuleError(
                    _("Offered only where the applicant meets the programme's requirements"),
                    citation=citation,
                ).messages[0]
                errors["programmes"] = [f"{head}. {m}" for m in errors["programmes"]]
    if errors:
        raise ValidationError(errors)
    return out


def _check_window(s: Schedule, stage: str) -> None:
    today = _today()
    if today < s.registration_opens:
        raise RuleError(
            _("SEN registration opens on %(date)s (A37.2).")
            % {"date": s.registration_opens.strftime("%d.%m.%Y")},
            citation="A38.2" if stage == Stage.SUBSEQUENT else "A37.2",
        )
    if today > s.registration_closes:
        raise RuleError(
            _("The SEN registration window is closed: no change is possible (A37.8)."),
            citation="A38.7" if stage == Stage.SUBSEQUENT else "A37.8",
        )


def _validate_registration(
    actor, data: dict, round_: Round, *, stage: str, channel: str, ip=None
) -> tuple[dict, dict, SenRegistration | None]:
    """The checks of A37/A38 before anything is written: (payload, clean data, existing)."""
    try:
        personal_number = clean_personal_number(data.get("personal_number"))
    except ValidationError as exc:
        raise ValidationError({"personal_number": exc.messages}) from exc
    if channel == Channel.CENTRE:
        authorize(actor, "sen.register", getattr(actor, "organisation", None))
        if stage == Stage.SUBSEQUENT:
            # A38.6: no one-time code confirms this registration, and changing an existing one
            # shows its number and centre. The ID card the person presents is checked first,
            # so a personal number typed at a centre reveals nothing about the SEN track.
            if not str(data.get("document_number") or "").strip():
                raise ValidationError({"document_number": [str(DOCUMENT_HOWTO)]})
            check_second_fact(personal_number, data.get("document_number"), ip=ip)
    elif stage == Stage.SUBSEQUENT:
        raise RuleError(
            _("Subsequent-stage SEN registration is at a registration centre only (A38.1)."),
            field="channel",
            citation="A38.1",
        )
    else:
        check_second_fact(personal_number, data.get("document_number"), ip=ip)
    s = _schedule(round_, stage)
    _check_window(s, stage)
    existing = SenRegistration.objects.filter(
        applicant__personal_number=personal_number, round=round_, stage=stage
    ).first()
    on_record = Applicant.objects.filter(personal_number=personal_number).first()
    person = get_registry().lookup(personal_number)
    if on_record is None and person is None:
        raise ValidationError(
            {"personal_number": [_("The civil registry has no person with this number.")]}
        )
    clean = _clean_registration(data, round_, stage, existing, person or on_record)
    payload = {
        "personal_number": personal_number,
        "round": round_.pk,
        "stage": stage,
        "channel": channel,
        "clerk": getattr(actor, "pk", None) if channel == Channel.CENTRE else None,
        "phone": clean["phone"],
        "email": clean.get("email", ""),
        "programmes": [p.code for p in clean["programmes"]],
        "education_level": clean.get("education_level", ""),
        "qualification": clean.get("qualification", ""),
        "continues_elsewhere": clean.get("continues_elsewhere", False),
    }
    return payload, clean, existing


def _start_registration(
    actor, data: dict, round_: Round, *, stage: str = Stage.PRIMARY, channel: str, ip=None
) -> tuple[Pending, str, tuple[str, str]]:
    """Validate and issue the code: (pending, plain code, contacts). The caller delivers."""
    if stage == Stage.SUBSEQUENT and channel == Channel.CENTRE:
        raise RuleError(
            _(
                "The subsequent-stage SEN registration is confirmed by the printout, without a "
                "one-time code (A38.6)."
            ),
            citation="A38.6",
        )
    payload, clean, existing = _validate_registration(
        actor, data, round_, stage=stage, channel=channel, ip=ip
    )
    personal_number = payload["personal_number"]
    code, plain = codes.issue(CODE_PURPOSE, personal_number, ip=ip, payload=payload)
    if existing is not None:  # A37.7: the code goes to the contacts of the registration
        email, phone = existing.email, existing.phone
    else:
        email, phone = clean.get("email", ""), clean["phone"]
    return Pending(code.pk, personal_number, [], clean["warnings"]), plain, (email, phone)


def start_registration(
    actor, data: dict, round_: Round, *, stage: str = Stage.PRIMARY, channel: str, ip=None
) -> Pending:
    """A37.1, A37.4-A37.7, A38.1, A38.4: validate a registration or change in the window and
    send the applicant a one-time code (to the contacts on record for a change)."""
    pending, plain, (email, phone) = _start_registration(
        actor, data, round_, stage=stage, channel=channel, ip=ip
    )
    pending.sent_to = _deliver_code(email, phone, plain)
    return pending


@transaction.atomic
def register_subsequent(
    actor, data: dict, round_: Round, *, confirm_change: str = "", ip=None
) -> SenRegistration:
    """A38.1-A38.6: the registration centre registers (or, in the window, changes) a
    subsequent-stage SEN registration at the person's request („პირის მიმართვის შემთხვევაში“);
    A38.6: „რეგისტრაცია დასტურდება … ამონაბეჭდით … რომელიც გადაეცემა აპლიკანტს“ — the
    printout handed to the applicant confirms it, so no one-time code is asked (A37.6's code is
    the primary stage's). A38.4(b): a phone number or an email address."""
    stage = Stage.SUBSEQUENT
    if not getattr(actor, "is_authenticated", False):
        raise RuleError(
            _("Subsequent-stage SEN registration is at a registration centre only (A38.1)."),
            field="channel",
            citation="A38.1",
        )
    payload, clean, existing = _validate_registration(
        actor, data, round_, stage=stage, channel=Channel.CENTRE, ip=ip
    )
    if existing is not None and confirm_change != existing.number:
        # A38 has no change-by-code (A37.7): the clerk confirms the change of an existing
        # registration explicitly, having seen which one and where it was made
        raise ChangeToConfirm(existing.number, change_notice(existing))
    applicant = applicant_from_registry(
        payload["personal_number"], phone=payload["phone"], email=payload["email"]
    )
    return _save(applicant, round_, stage, payload, actor)


class ChangeToConfirm(ValidationError):
    """register_subsequent refused until the clerk confirms changing registration ``number``."""

    def __init__(self, number: str, notice: str):
        super().__init__({"confirm_change": [notice]})
        self.number, self.notice = number, notice


def change_notice(reg: SenRegistration) -> str:
    """What the clerk confirms before changing an existing subsequent-stage registration."""
    return _(
        "This changes registration %(number)s, registered at %(centre)s on %(date)s (version "
        "%(version)s). Change it only at the person's request (A38.4)."
    ) % {
        "number": reg.number,
        "centre": reg.centre.name_ka if reg.centre else _("online"),
        "date": timezone.localtime(reg.registered_at).strftime("%d.%m.%Y"),
        "version": reg.version,
    }


def confirm_registration(code_id: int, plain_code: str, *, ip=None) -> SenRegistration:
    """A37.6: the one-time code confirms the registration or change. A wrong code is
    counted and audited in its own transaction; a refused write does not spend the code."""
    with transaction.atomic():
        code, refused = codes.verify(CODE_PURPOSE, plain_code, code_id=code_id, ip=ip)
        if refused is None:
            return _write_registration(code)
    codes.refuse(CODE_PURPOSE, refused, ip, code)


def _next_number(round_, stage) -> str:
    """The next registration number of the round and stage. Two registrations confirmed at
    the same time would read the same last number: the stage's schedule row is locked first,
    so new numbers are given one after another (inside the caller's transaction)."""
    list(
        Schedule.objects.select_for_update()
        .filter(round=round_, stage=stage)
        .values_list("pk", flat=True)
    )
    prefix = f"SEN-{round_.year % 100:02d}{'P' if stage == Stage.PRIMARY else 'S'}-"
    last = (
        SenRegistration.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:05d}"


def _write_registration(code: OneTimeCode) -> SenRegistration:
    p = code.payload
    round_ = Round.objects.get(pk=p["round"])
    stage = p["stage"]
    s = _schedule(round_, stage)
    _check_window(s, stage)  # the window may have closed since the code was sent
    clerk = User.objects.filter(pk=p["clerk"]).first() if p.get("clerk") else None
    applicant = applicant_from_registry(p["personal_number"], phone=p["phone"], email=p["email"])
    return _save(applicant, round_, stage, p, clerk)


def _save(applicant, round_, stage, p: dict, clerk) -> SenRegistration:
    now = timezone.now()
    programmes = {x.code: x for x in Programme.objects.filter(code__in=p["programmes"])}
    reg = (
        SenRegistration.objects.select_for_update()
        .filter(applicant=applicant, round=round_, stage=stage)
        .first()
    )
    before = snapshot(reg) if reg else None
    old_contacts = (reg.email, reg.phone) if reg else ("", "")
    if reg is None:
        reg = SenRegistration(
            applicant=applicant,
            round=round_,
            stage=stage,
            number=_next_number(round_, stage),
            registered_at=now,  # A40.6: kept on later changes (docs/decisions.md)
            documents_due=rules.documents_due(timezone.localdate(now)),
        )
    else:
        reg.version += 1
    reg.channel = p["channel"]
    reg.centre = clerk.organisation if clerk else None
    reg.clerk_name = clerk.display_name if clerk else ""
    reg.phone, reg.email = p["phone"], p.get("email", "")
    reg.education_level = p.get("education_level", "")
    reg.qualification = p.get("qualification", "")
    reg.continues_elsewhere = bool(p.get("continues_elsewhere"))
    reg.sen_flag = True
    reg.updated_at = now
    reg.save()
    reg.choices.all().delete()
    for rank, c in enumerate(p["programmes"], 1):
        Choice.objects.create(registration=reg, rank=rank, programme=programmes[c])
    if not applicant.phone:
        applicant.phone, applicant.email = reg.phone, reg.email
        applicant.save(update_fields=["phone", "email"])
    record(
        clerk or applicant,
        "sen.registered" if before is None else "sen.changed",
        reg,
        before=before,
        after=snapshot(reg),
        organisation=reg.centre,
    )
    text = notify.bilingual(
        _registered_text(reg), number=reg.number, due=reg.documents_due.strftime("%d.%m.%Y")
    )
    notify.email_on_commit([reg.email], str(gettext_lazy("Kari: SEN registration")), text)
    sms.sms_on_commit(reg.phone, text)
    old_email, old_phone = old_contacts
    if before is not None and (old_email, old_phone) != (reg.email, reg.phone):
        # the previous contacts learn of the change (A38 has no code to the old contacts)
        changed = notify.bilingual(
            CHANGED_TEXT,
            number=reg.number,
            centre=reg.centre.name_ka if reg.centre else "Kari",
            date=timezone.localtime(now).strftime("%d.%m.%Y %H:%M"),
        )
        if old_email and old_email != reg.email:
            notify.email_on_commit(
                [old_email], str(gettext_lazy("Kari: SEN registration changed")), changed
            )
        if old_phone and old_phone != reg.phone:
            sms.sms_on_commit(old_phone, changed)
    return reg


def _registered_text(reg: SenRegistration):
    if reg.stage != Stage.SUBSEQUENT:
        return REGISTERED_TEXT
    return REGISTERED_EXEMPT_TEXT if selectors.documents_exempt(reg) else REGISTERED_SUBSEQUENT_TEXT


def snapshot(reg: SenRegistration) -> dict:
    """The audited state: no personal number, no health data; the contacts masked."""
    return {
        "number": reg.number,
        "version": reg.version,
        "channel": reg.channel,
        "centre": reg.centre_id,
        "phone": notify.mask_phone(reg.phone) if reg.phone else "",
        "email": notify.mask_email(reg.email) if reg.email else "",
        "programmes": list(reg.choices.values_list("programme__code", flat=True)),
        "status": reg.status,
        "documents_due": reg.documents_due,
    }


# ---------------------------------------------------------------- A37.10, A38.9 documents


@transaction.atomic
def record_document(
    actor,
    registration: SenRegistration,
    institution: Institution,
    kind: str,
    *,
    received_on: dt.date,
    signatures: int | None = None,
) -> Document:
    """A37.10, A38.9: the institution records a document as received. The expert conclusion
    counts only signed by at least three members of the team (A37.10(a))."""
    authorize(actor, "sen.documents", institution.organisation)
    reg = SenRegistration.objects.select_for_update().get(pk=registration.pk)
    if not reg.choices.filter(programme__institution=institution).exists():
        raise PermissionDenied(_("The applicant chose no programme of your institution."))
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": [_("Choose the document.")]})
    if received_on is None or received_on > _today():
        raise ValidationError({"received_on": [_("Enter the day it was received.")]})
    too_few = signatures is None or signatures < rules.MIN_SIGNATURES
    if kind == DocumentKind.CONCLUSION and too_few:
        raise RuleError(
            _(
                "The expert team's conclusion needs the signatures of at least three "
                "members (A37.10(a))."
            ),
            field="signatures",
            citation="A38.9(a)" if reg.stage == Stage.SUBSEQUENT else "A37.10(a)",
        )
    doc, created = Document.objects.update_or_create(
        registration=reg,
        institution=institution,
        kind=kind,
        defaults={
            "received_on": received_on,
            "signatures": signatures if kind == DocumentKind.CONCLUSION else None,
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )
    record(
        actor,
        "sen.document_received",
        reg,
        after={
            "document": doc.pk,
            "late": received_on > reg.documents_due,
            "due": reg.documents_due,
        },
        organisation=institution.organisation,
    )
    return doc


# ---------------------------------------------------------------- A37.9, A37.11, A38.8 status


@transaction.atomic
def set_status(
    actor,
    registration: SenRegistration,
    status: str,
    *,
    reason: str = "",
    assessment: Assessment | None = None,
) -> SenRegistration:
    """A37.11, A38.11: during the window the ministry's unit confirms or rejects the SEN
    status. A37.8-A37.9, A38.7-A38.8: after the window nothing changes, except that within
    5 days the ministry may change the status on an expert team's conclusion."""
    authorize(actor, "sen.status", NATIONAL)
    reg = SenRegistration.objects.select_for_update().get(pk=registration.pk)
    if status not in (SenStatus.CONFIRMED, SenStatus.REJECTED):
        raise ValidationError({"status": [_("Confirm or reject the status.")]})
    if assessment is not None:  # as stored: the caller's copy may be stale
        assessment = Assessment.objects.filter(pk=assessment.pk).first()
    s = _schedule(reg.round, reg.stage)
    today = _today()
    subsequent = reg.stage == Stage.SUBSEQUENT
    if today > s.registration_closes:
        until = rules.status_change_until(s.registration_closes)
        if today > until:
            raise RuleError(
                _(
                    "The SEN status could be changed until %(date)s (5 days after the window, "
                    "A37.9); no change is possible now (A37.8)."
                )
                % {"date": until.strftime("%d.%m.%Y")},
                citation="A38.8" if subsequent else "A37.9",
            )
        if (
            assessment is None
            or assessment.applicant_id != reg.applicant_id
            or not assessment.concluded_on
        ):
            raise RuleError(
                _(
                    "After the window the status changes only on an expert team's issued "
                    "conclusion about this applicant (A37.9)."
                ),
                field="assessment",
                citation="A38.8" if subsequent else "A37.9",
            )
    if status == SenStatus.CONFIRMED and not selectors.conclusion_exists(reg):
        raise RuleError(
            _(
                "The SEN status is confirmed only on an expert team's conclusion (A33): "
                "none is issued in Kari or recorded by an institution for this applicant."
            ),
            field="status",
            citation="A33",
        )
    if not (reason or "").strip() and status == SenStatus.REJECTED:
        raise ValidationError({"reason": [_("Give the reason for the rejection.")]})
    before = {"status": reg.status}
    reg.status, reg.status_reason, reg.status_changed_at = status, reason.strip(), timezone.now()
    reg.save(update_fields=["status", "status_reason", "status_changed_at"])
    record(
        actor,
        "sen.status",
        reg,
        before=before,
        after={"status": status, "assessment": assessment.pk if assessment else None},
        reason=reason,
    )
    _tell(
        reg,
        gettext_lazy("Kari: SEN status"),
        STATUS_TEXT,
        number=reg.number,
        status=reg.get_status_display(),
    )
    return reg


# ---------------------------------------------------------------- A39 SEN exam centres


HOSTS_ACT_TEXT = gettext_lazy(
    "The minister's act %(number)s of %(date)s names %(host)s a SEN exam centre and distributes "
    "%(n)s applicants with special educational needs to it. Acquaint them with the act "
    "(A39.2): %(url)s"
)


def current_hosts_act(round_: Round, stage: str) -> HostsAct | None:
    """The latest act on the SEN exam centres (the original or its latest amendment)."""
    return HostsAct.objects.filter(round=round_, stage=stage).order_by("-pk").first()


@transaction.atomic
def issue_hosts_act(
    actor,
    round_: Round,
    stage: str,
    *,
    number: str,
    issued_on: dt.date,
    hosts: list[Institution],
    assignments: dict[SenRegistration, Institution],
    dry_run: bool = False,
) -> HostsAct | None:
    """A39.1: the minister's individual administrative act (a) lists the institutions hosting
    the SEN exam centres and (b) distributes the registered SEN applicants to them, within
    5 days after the registration („რეგისტრაციის დასრულებიდან 5 დღის ვადაში“, calendar days
    rolled to a working day); a later act is recorded and stamped late. The first act
    distributes every registered applicant whose status is not rejected; a later act amends it
    (its own number and date; only the applicants it reassigns or adds), the earlier kept; an
    applicant whose trial is scored is not reassigned. A39.2: the hosts are told after commit;
    each host acquaints its applicants with the act (:func:`acquaint_applicants`).
    ``dry_run`` checks everything and writes nothing (the page's confirmation step)."""
    authorize(actor, "sen.hosts", NATIONAL)
    s = _schedule(round_, stage)
    # the stage's schedule row first: two acts submitted at once serialise here, so the second
    # sees the first as the act it amends
    s = Schedule.objects.select_for_update().get(pk=s.pk)
    today = _today()
    errors: dict[str, list[str]] = {}
    number = (number or "").strip()
    if not number:
        errors["number"] = [_("Enter the act's number.")]
    elif HostsAct.objects.filter(round=round_, number=number).exists():  # numbered per year
        errors["number"] = [_("An act with this number is already recorded.")]
    if issued_on is None or issued_on > today:
        errors["issued_on"] = [_("Enter the act's date: it cannot be in the future.")]
    elif issued_on <= s.registration_closes:
        errors["issued_on"] = [
            str(
                RuleError(
                    _(
                        "The SEN applicants are distributed after the registration window "
                        "closes (A39.1)."
                    ),
                    citation="A39.1",
                ).messages[0]
            )
        ]
    host_set = {h.pk: h for h in hosts}
    if not host_set:
        errors["hosts"] = [_("List the institutions hosting the SEN exam centres (A39.1(a)).")]
    earlier = current_hosts_act(round_, stage)
    regs = {
        r.pk: r
        for r in SenRegistration.objects.select_for_update(of=("self",))
        .filter(round=round_, stage=stage)
        .select_related("host")
    }
    problems: list[str] = []
    changes: dict[SenRegistration, Institution] = {}
    for given, host in assignments.items():
        reg = regs.get(given.pk)
        if reg is None:
            problems.append(_("%(number)s: another round or stage.") % {"number": given.number})
            continue
        if host.pk not in host_set:
            problems.append(
                _("%(number)s: %(host)s is not in the act's list of hosts (A39.1(b)).")
                % {"number": reg.number, "host": host.organisation.name_ka}
            )
            continue
        if reg.status == SenStatus.REJECTED:
            problems.append(
                _("%(number)s: the SEN status was rejected (A37.11).") % {"number": reg.number}
            )
            continue
        if reg.host_id == host.pk:
            continue
        if reg.host_id and reg.trials.exists():
            problems.append(
                _("%(number)s: the trial is scored at %(host)s; the centre cannot change.")
                % {"number": reg.number, "host": reg.host.organisation.name_ka}
            )
            continue
        changes[reg] = host
    future = {r.pk: r.host_id for r in regs.values()}
    future.update({r.pk: h.pk for r, h in changes.items()})
    missing = [
        r.number for r in regs.values() if r.status != SenStatus.REJECTED and future[r.pk] is None
    ]
    if missing:
        problems.append(
            _("Distribute every registered SEN applicant (A39.1(b)); not yet: %(numbers)s")
            % {"numbers": ", ".join(missing)}
        )
    outside = sorted(
        r.number
        for r in regs.values()
        if future[r.pk] is not None
        and future[r.pk] not in host_set
        and r not in changes
        and r.status != SenStatus.REJECTED  # a rejected applicant cannot be reassigned (A37.11)
    )
    if outside and host_set:
        problems.append(
            _("%(numbers)s: their centre is not in the act's list of hosts; reassign them.")
            % {"numbers": ", ".join(outside)}
        )
    if (
        earlier is not None
        and not changes
        and set(host_set) == set(earlier.hosts.values_list("pk", flat=True))
    ):
        problems.append(_("The amending act changes nothing."))
    if problems:
        errors["assignments"] = [
            str(RuleError(str(p), citation="A39.1").messages[0]) for p in problems
        ]
    if errors:
        raise ValidationError(errors)
    if dry_run:
        return None
    due = rules.hosts_due(s.registration_closes)
    act = HostsAct.objects.create(
        round=round_,
        stage=stage,
        number=number,
        issued_on=issued_on,
        amends=earlier,
        due=due,
        late=issued_on > due,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    act.hosts.set(list(host_set.values()))
    for reg, host in changes.items():
        HostAssignment.objects.create(act=act, registration=reg, host=host)
        before = {"host": reg.host_id, "act": reg.host_act_id}
        reg.host, reg.hosted_on, reg.host_act = host, issued_on, act
        reg.save(update_fields=["host", "hosted_on", "host_act"])
        record(
            actor,
            "sen.host",
            reg,
            before=before,
            after={"host": host.pk, "act": act.pk, "late": act.late},
            organisation=actor.organisation,
        )
    record(
        actor,
        "sen.hosts_act",
        act,
        after={
            "number": number,
            "issued_on": issued_on,
            "amends": earlier.pk if earlier else None,
            "hosts": sorted(host_set),
            "assignments": len(changes),
            "due": due,
            "late": act.late,
        },
        organisation=actor.organisation,
    )
    url = site_url(reverse("sen:host"))
    for host in host_set.values():  # A39.2: the hosts learn of the act and their duty
        n = SenRegistration.objects.filter(round=round_, stage=stage, host=host).count()
        notify.notify_organisation(
            host.organisation,
            str(gettext_lazy("Kari: SEN exam centre")),
            notify.bilingual(
                HOSTS_ACT_TEXT,
                number=number,
                date=issued_on.strftime("%d.%m.%Y"),
                host=host.organisation.name_ka,
                n=n,
                url=url,
            ),
        )
    return act


@transaction.atomic
def acquaint_applicants(actor, institution: Institution, act: HostsAct) -> int:
    """A39.2: „დაწესებულება უზრუნველყოფს … აქტის გაცნობას“ — the host institution acquaints
    the applicants the act distributes to it with the act: each is sent the act's number and
    date and the centre's address (email if any, SMS), once, and the time is recorded."""
    authorize(actor, "sen.commission", institution.organisation)
    if not act.hosts.filter(pk=institution.pk).exists():
        raise PermissionDenied(_("The act does not name your institution a SEN exam centre."))
    rows = list(
        HostAssignment.objects.select_for_update(of=("self",))
        # only the applicants this act still places here: a later act may have reassigned one
        .filter(act=act, host=institution, informed_at=None, registration__host_act=act)
        .select_related("registration")
    )
    if not rows:
        raise RuleError(_("Every applicant of this act is already acquainted."), citation="A39.2")
    s = _schedule(act.round, act.stage)
    now = timezone.now()
    for row in rows:
        row.informed_at, row.informed_by = now, actor
        row.save(update_fields=["informed_at", "informed_by"])
        _tell(
            row.registration,
            gettext_lazy("Kari: SEN exam centre"),
            HOST_TEXT,
            number=row.registration.number,
            act=act.number,
            date=act.issued_on.strftime("%d.%m.%Y"),
            host=institution.organisation.name_ka,
            address=institution.organisation.address,
            starts=s.test_starts.strftime("%d.%m.%Y"),
            ends=s.test_ends.strftime("%d.%m.%Y"),
        )
    record(
        actor,
        "sen.hosts_act_acquainted",
        act,
        after={"institution": institution.pk, "applicants": len(rows)},
        organisation=institution.organisation,
    )
    return len(rows)


# ---------------------------------------------------------------- A40.3-A40.7 the trial


@transaction.atomic
def create_commission(
    actor,
    institution: Institution,
    round_: Round,
    stage: str,
    *,
    act_number: str,
    members: list[User],
) -> Commission:
    """A40.3: the host institution's head creates an exam commission by act."""
    authorize(actor, "sen.commission", institution.organisation)
    if not SenRegistration.objects.filter(round=round_, stage=stage, host=institution).exists():
        raise RuleError(
            _("The minister has not named your institution a SEN exam centre (A39.1)."),
            citation="A40.3",
        )
    if not (act_number or "").strip():
        raise ValidationError({"act_number": [_("Enter the act's number.")]})
    bad = [
        m
        for m in members
        if m.organisation_id != institution.organisation_id
        or Role.SEN_EXAM_COMMISSION not in m.roles
    ]
    if bad or not members:
        raise ValidationError(
            {"members": [_("Choose members of the institution's staff with the commission role.")]}
        )
    c = Commission.objects.create(
        institution=institution,
        round=round_,
        stage=stage,
        act_number=act_number.strip(),
        created_on=_today(),
    )
    c.members.set(members)
    record(actor, "sen.commission", c, after={"members": [m.pk for m in members]})
    return c


def current_form(programme: Programme) -> ScoringForm | None:
    """A40.4: the latest version of the minister's form for the programme."""
    return ScoringForm.objects.filter(programme=programme).order_by("-version").first()


@transaction.atomic
def set_scoring_form(
    actor,
    programme: Programme,
    *,
    act_number: str,
    issued_on: dt.date,
    activities: list[dict],
) -> ScoringForm:
    """A40.4: the minister's individual administrative act sets the form on which the exam
    commission scores each activity of the programme's practical trial: the activities, each
    with its maximum score and criteria. Every act is a new version; a version is never changed
    (a trial keeps the version it was scored on)."""
    authorize(actor, "sen.schedule", NATIONAL)
    # the programme's row first: two forms submitted at once get consecutive versions
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    errors: dict[str, list[str]] = {}
    if not (act_number or "").strip():
        errors["act_number"] = [_("Enter the act's number.")]
    if issued_on is None or issued_on > _today():
        errors["issued_on"] = [_("Enter the act's date: it cannot be in the future.")]
    rows: list[tuple[str, int, str]] = []
    for i, a in enumerate(activities or [], 1):
        name = str(a.get("name") or "").strip()
        criteria = str(a.get("criteria") or "").strip()
        try:
            top = int(a.get("max_score"))
        except (TypeError, ValueError):
            top = 0
        if not name and not criteria and not a.get("max_score"):
            continue
        if not name or not 1 <= top <= 1000:
            errors.setdefault("activities", []).append(
                _("Activity %(n)s: name it and give its maximum score (1-1000).") % {"n": i}
            )
            continue
        if any(name == r[0] for r in rows):
            errors.setdefault("activities", []).append(
                _("«%(name)s» is listed twice.") % {"name": name}
            )
            continue
        rows.append((name, top, criteria))
    if not rows and "activities" not in errors:
        errors["activities"] = [_("List at least one activity of the practical trial (A40.4).")]
    if errors:
        raise ValidationError(errors)
    last = (
        ScoringForm.objects.select_for_update()
        .filter(programme=programme)
        .order_by("-version")
        .first()
    )
    form = ScoringForm.objects.create(
        programme=programme,
        version=(last.version + 1) if last else 1,
        act_number=act_number.strip(),
        issued_on=issued_on,
        set_by=actor,
        set_at=timezone.now(),
    )
    for position, (name, top, criteria) in enumerate(rows, 1):
        ScoringActivity.objects.create(
            form=form, position=position, name=name, max_score=top, criteria=criteria
        )
    record(
        actor,
        "sen.form_set",
        form,
        after={
            "programme": programme.code,
            "version": form.version,
            "act_number": form.act_number,
            "activities": [[n, t] for n, t, _c in rows],
        },
        organisation=actor.organisation,
    )
    return form


def _form_scores(form: ScoringForm, scores: list[dict], errors: dict) -> list[dict]:
    """A40.4: one score per activity of the minister's form, between 0 and its maximum; an
    activity missing, scored outside its range, or not on the form is refused, by name."""
    given: dict[str, object] = {}
    for row in scores or []:
        name = str(row.get("activity") or "").strip()
        if name:
            given[name] = row.get("score")
    rows = []
    for a in form.activities.all():
        key = f"activity_{a.pk}"
        value = given.pop(a.name, None)
        if value is None or value == "":
            errors[key] = [
                str(
                    RuleError(
                        _("«%(name)s»: score this activity of the minister's form (A40.4).")
                        % {"name": a.name},
                        citation="A40.4",
                    ).messages[0]
                )
            ]
            continue
        try:
            score = int(value)
        except (TypeError, ValueError):
            score = -1
        if not 0 <= score <= a.max_score:
            errors[key] = [
                str(
                    RuleError(
                        _("«%(name)s»: the score is between 0 and %(max)s on the minister's form.")
                        % {"name": a.name, "max": a.max_score},
                        citation="A40.4",
                    ).messages[0]
                )
            ]
            continue
        rows.append({"activity": a.name, "activity_id": a.pk, "score": score, "max": a.max_score})
    if given:
        errors["scores"] = [
            _("Not on the minister's form: %(names)s.") % {"names": ", ".join(sorted(given))}
        ]
    return rows


@transaction.atomic
def score_trial(
    actor,
    registration: SenRegistration,
    programme: Programme,
    *,
    tested_on: dt.date,
    minutes: int,
    scores: list[dict],
    recommended: bool,
    reasons: str,
    documents_analysis: str,
) -> Trial:
    """A40.2, A40.4-A40.6: the commission scores each activity of the chosen programme on the
    minister's form and writes its recommendation, weighing the programme's requirements, the
    expert conclusion and the applicant's interests; when the programme has more SEN
    registrants than reserved places, the registration time is taken into account (A40.6).
    A40.7: the analysis of the documents the applicant submitted goes with them; required
    when given (None only for callers that do not write it yet: the demo, the simulation)."""
    reg = (
        SenRegistration.objects.select_for_update(of=("self",))
        .select_related("host__organisation")
        .get(pk=registration.pk)
    )
    if reg.host is None:
        raise RuleError(_("The applicant has no SEN exam centre yet (A39.1)."), citation="A39.1")
    authorize(actor, "sen.trial", reg.host.organisation)
    commission = (
        Commission.objects.filter(
            institution=reg.host, round=reg.round, stage=reg.stage, members=actor
        )
        .order_by("-pk")
        .first()
    )
    if commission is None:
        raise PermissionDenied(_("You are not a member of the exam commission (A40.3)."))
    if not selectors.has_conclusion(reg):
        raise RuleError(
            _(
                "%(number)s has no expert team's conclusion: the right to the SEN test comes "
                "from it."
            )
            % {"number": reg.number},
            citation="A33",
        )
    if not reg.choices.filter(programme=programme).exists():
        raise ValidationError({"programme": [_("The applicant did not choose this programme.")]})
    s = _schedule(reg.round, reg.stage)
    errors: dict[str, list[str]] = {}
    if tested_on is None or not (s.test_starts <= tested_on <= s.test_ends) or tested_on > _today():
        errors["tested_on"] = [
            _("The trial takes place on the minister's schedule, %(a)s-%(b)s (A40.1).")
            % {"a": s.test_starts.strftime("%d.%m.%Y"), "b": s.test_ends.strftime("%d.%m.%Y")}
        ]
    if not minutes or minutes < 1 or minutes > s.max_minutes:
        errors["minutes"] = [
            str(
                RuleError(
                    _("The trial lasts at most %(n)s minutes (A40.1).") % {"n": s.max_minutes},
                    citation="A40.1",
                ).messages[0]
            )
        ]
    form = current_form(programme)
    if form is None:
        raise RuleError(
            _("The minister has not set the scoring form for %(code)s yet (A40.4).")
            % {"code": programme.code},
            citation="A40.4",
        )
    rows = _form_scores(form, scores, errors)
    if not (reasons or "").strip():
        errors["reasons"] = [
            _(
                "Give the reasons: the programme's requirements, the expert conclusion and the "
                "applicant's interests (A40.5)."
            )
        ]
    if not (documents_analysis or "").strip():
        errors["documents_analysis"] = [
            _("Write the analysis of the documents the applicant submitted (A40.7).")
        ]
    if errors:
        raise ValidationError(errors)
    crowded = selectors.oversubscription(reg.round, reg.stage).get(programme.pk)
    trial, created = Trial.objects.update_or_create(
        registration=reg,
        programme=programme,
        defaults={
            "commission": commission,
            "tested_on": tested_on,
            "minutes": minutes,
            "scores": rows,
            "form": form,
            "recommended": recommended,
            "reasons": reasons.strip(),
            "documents_analysis": (documents_analysis or "").strip(),
            "registration_time_considered": bool(crowded and crowded.oversubscribed),
            "scored_by": actor,
            "scored_at": timezone.now(),
            "sent_on": None,
        },
    )
    record(
        actor,
        "sen.trial_scored",
        trial,
        after={
            "programme": programme.code,
            "form": form.pk,
            "total": trial.total,
            "recommended": recommended,
            "registration_time_considered": trial.registration_time_considered,
        },
    )
    return trial


@transaction.atomic
def send_package(actor, institution: Institution, round_: Round, stage: str) -> int:
    """A40.7: the scores, the analysis of the documents and the recommendations go to the
    ministry within 3 days of the end of the testing (a late package is flagged)."""
    authorize(actor, "sen.trial", institution.organisation)
    s = _schedule(round_, stage)
    trials = Trial.objects.select_for_update().filter(
        commission__institution=institution,
        registration__round=round_,
        registration__stage=stage,
        sent_on__isnull=True,
    )
    today = _today()
    ids = list(trials.values_list("pk", flat=True))
    if not ids:
        raise RuleError(_("There is no scored trial to send."), citation="A40.7")
    Trial.objects.filter(pk__in=ids).update(sent_on=today)
    due = rules.package_due(s.test_ends)
    record(
        actor,
        "sen.package_sent",
        institution,
        after={"trials": len(ids), "due": due, "late": today > due},
    )
    notify.notify_organisation(
        Organisation.objects.filter(kind=OrgKind.MINISTRY).order_by("pk").first()
        or institution.organisation,
        str(gettext_lazy("Kari: SEN trial results")),
        notify.bilingual(
            gettext_lazy("%(institution)s sent the results of %(n)s SEN trials."),
            institution=institution.organisation.name_ka,
            n=len(ids),
        ),
    )
    return len(ids)


# ---------------------------------------------------------------- A40.8-A40.10 the act


@transaction.atomic
def distribute(
    actor,
    round_: Round,
    stage: str,
    *,
    number: str,
    placements: dict[SenRegistration, Programme],
) -> Act:
    """A40.8: within 7 days of receiving the packages the ministerial commission distributes
    the SEN applicants to programmes within the reserved places (A13.2)."""
    authorize(actor, "sen.distribute", NATIONAL)
    if not (number or "").strip():
        raise ValidationError({"number": [_("Enter the act's number.")]})
    if Act.objects.filter(round=round_, stage=stage, published_at__isnull=False).exists():
        raise RuleError(_("The minister's act for this stage is already issued."), citation="A40.9")
    received = (
        Trial.objects.filter(registration__round=round_, registration__stage=stage)
        .exclude(sent_on=None)
        .order_by("-sent_on")
        .values_list("sent_on", flat=True)
        .first()
    )
    if received is None:
        raise RuleError(
            _("No trial results have reached the ministry yet (A40.7)."), citation="A40.7"
        )
    reserved = selectors.reserved_places(round_, stage)
    taken: dict[int, int] = {}
    errors = []
    for reg, programme in placements.items():
        if reg.round_id != round_.pk or reg.stage != stage:
            errors.append(_("%(number)s: another round or stage.") % {"number": reg.number})
            continue
        if reg.status == SenStatus.REJECTED:
            errors.append(
                _("%(number)s: the SEN status was rejected (A37.11).") % {"number": reg.number}
            )
        trial = Trial.objects.filter(registration=reg, programme=programme).exclude(sent_on=None)
        if not trial.exists():
            errors.append(
                _("%(number)s: no trial result for %(code)s reached the ministry (A40.7).")
                % {"number": reg.number, "code": programme.code}
            )
        taken[programme.pk] = taken.get(programme.pk, 0) + 1
        if taken[programme.pk] > reserved.get(programme.pk, 0):
            errors.append(
                _("%(code)s: more placements than its %(n)s reserved places (A40.8).")
                % {"code": programme.code, "n": reserved.get(programme.pk, 0)}
            )
    if errors:
        raise RuleError(list(dict.fromkeys(str(e) for e in errors))[0], citation="A40.8")
    act = Act.objects.filter(round=round_, stage=stage, published_at__isnull=True).first()
    today = _today()
    due = rules.distribution_due(received)
    if act is None:
        act = Act(round=round_, stage=stage)
    act.number, act.received_on, act.due, act.distributed_on = number.strip(), received, due, today
    act.save()
    act.placements.all().delete()
    for reg, programme in placements.items():
        Placement.objects.create(act=act, registration=reg, programme=programme)
    record(
        actor,
        "sen.distributed",
        act,
        after={"placements": len(placements), "due": due, "late": today > due},
        organisation=actor.organisation,
    )
    return act


def _verify_url(act: Act) -> str:
    return site_url(reverse("sen:act_public", args=[act.token]))


@transaction.atomic
def issue_act(actor, act: Act) -> Act:
    """A40.9-A40.10: the minister issues the act, signed with the ministry's key; it is
    published with the least personal data it needs and sent to the institutions."""
    from . import documents

    authorize(actor, "sen.act", NATIONAL)
    act = Act.objects.select_for_update().get(pk=act.pk)
    if act.published_at:
        raise RuleError(_("The act is already issued."), citation="A40.9")
    if not act.placements.exists():
        raise RuleError(_("The act places nobody yet (A40.8)."), citation="A40.8")
    act.issued_on = _today()
    ministry = actor.organisation
    pdf = documents.act_pdf(act, _verify_url(act), ministry)
    act.pdf = sign_document(ministry, pdf, reason="A40.9 SEN placement act")
    act.published_at = timezone.now()
    act.save()
    record(
        actor,
        "sen.act_issued",
        act,
        after={"number": act.number, "placements": act.placements.count()},
        organisation=ministry,
    )
    institutions = Institution.objects.filter(
        pk__in=act.placements.values_list("programme__institution", flat=True)
    ).select_related("organisation")
    text = notify.bilingual(ACT_TEXT, number=act.number, url=_verify_url(act))
    for inst in institutions:  # A40.10: a copy to each institution
        notify.notify_organisation(inst.organisation, str(gettext_lazy("Kari: SEN act")), text)
    for p in act.placements.select_related("registration"):
        _tell(
            p.registration,
            gettext_lazy("Kari: SEN act"),
            ACT_TEXT,
            number=act.number,
            url=_verify_url(act),
        )
    return act


# ---------------------------------------------------------------- retention of health data


@transaction.atomic
def purge_health_data(now=None) -> int:
    """Erase the health data of rounds whose enrolment ended more than
    ``KARI_SEN_RETENTION_DAYS`` ago: the conclusions' findings, flags and environment, and the
    records of the medical documents received. The act and the placements stay."""
    now = now or timezone.now()
    limit = timezone.localdate(now) - dt.timedelta(days=settings.KARI_SEN_RETENTION_DAYS)
    old_rounds = Round.objects.filter(enrolment_ends__lt=limit)
    applicants = SenRegistration.objects.filter(round__in=old_rounds).values("applicant")
    stale = Assessment.objects.filter(purged_at=None).filter(
        Q(applicant__in=applicants) | Q(requested_on__lt=limit - dt.timedelta(days=365))
    )
    n = 0
    for a in stale.select_for_update():
        a.findings, a.hearing, a.sight, a.behavioural, a.environment = "", False, False, False, []
        a.purged_at = now
        a.save()
        n += 1
    docs = Document.objects.filter(registration__round__in=old_rounds)
    removed = docs.count()
    docs.delete()
    if n or removed:
        marker = old_rounds.order_by("-enrolment_ends").first()
        if marker is not None:
            record(
                None,
                "sen.health_purged",
                marker,
                after={"conclusions": n, "documents": removed},
                reason="retention period over",
            )
    return n + removed
