"""Registration (A15 primary stage, A16 subsequent stage, A26.2 re-ranking, A28 carried scores).

A registration or a change is *started* (validated, a one-time code sent to the applicant's
email and phone) and *confirmed* with that code (A15.4-A15.6). Confirmation re-validates and
writes the registration, its ranked list, a new version in its history and the audit log in
one transaction; notices go out after commit.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari import notify, sms
from kari.accounts.models import User
from kari.accounts.permissions import authorize
from kari.audit.log import record
from kari.codes import services as codes
from kari.codes.models import OneTimeCode
from kari.errors import RuleError
from kari.identity.validators import clean_personal_number
from kari.rounds.models import Round

from . import rules
from .models import Applicant, Channel, Choice, Registration, Version

PRIMARY, SUBSEQUENT = "primary", "subsequent"
CODE_TEXT = gettext_lazy(
    "Kari one-time code: %(code)s. It is valid for 10 minutes. Do not share it."
)
CODE_SUBJECT = gettext_lazy("Kari one-time code")
CONFIRMED_TEXT = gettext_lazy("Kari: registration %(number)s is confirmed (version %(version)s).")


@dataclass
class Pending:
    """A started registration or change, waiting for the applicant's one-time code."""

    code_id: int
    personal_number: str
    sent_to: list[str]


def window(round_, today=None) -> str | None:
    """'registration' (A15.5), 'reranking' (A26.2) or None (locked, A15.7)."""
    today = today or timezone.localdate()
    if round_.registration_opens <= today <= round_.registration_closes:
        return "registration"
    if round_.reranking_opens <= today <= round_.reranking_closes:
        return "reranking"
    return None


def snapshot(reg: Registration, programmes: list[str] | None = None) -> dict:
    if programmes is None:
        programmes = [c.programme.code for c in reg.choices.select_related("programme")]
    return {
        "stage": reg.stage,
        "exam_municipality": getattr(reg.exam_municipality, "code", None),
        "test_language": reg.test_language,
        "foreign_language": reg.foreign_language,
        "adapted_environment": reg.adapted_environment,
        "skills_test": getattr(reg.skills_test, "code", None),
        "subject_group": getattr(reg.subject_group, "code", None),
        "programmes": programmes,
        "carried_over": reg.carried_over,
        "education_level": reg.education_level,
        "qualification": reg.qualification,
    }


def _contacts(applicant: Applicant | None, clean: dict) -> tuple[str, str]:
    if applicant is not None:  # a change: the code goes to the contacts on record
        return applicant.email, applicant.phone
    return clean["email"], clean["phone"]


def _deliver_code(email: str, phone: str, plain: str) -> list[str]:
    """Sent right after the commit (the applicant is waiting); a failed send is retried by the
    worker until the code expires. The outbox wipes the text once it is sent."""
    text = notify.bilingual(CODE_TEXT, code=plain)
    until = timezone.now() + dt.timedelta(seconds=settings.KARI_OTP["TTL_SECONDS"])
    subject = notify.bilingual(CODE_SUBJECT, sep=" / ")
    notify.email_on_commit([email], subject, text, secret=True, expires_at=until)
    sms.sms_on_commit(phone, text, secret=True, expires_at=until)
    return [notify.mask_email(email), notify.mask_phone(phone)]


def _check_actor(actor, channel: str, stage: str, personal_number: str) -> None:
    if channel == Channel.CENTRE:
        authorize(actor, "registration.register", actor.organisation if actor else None)
    elif stage == SUBSEQUENT:
        raise RuleError(
            _("Subsequent-stage registration is at a registration centre only (A16.1)."),
            field="channel",
            citation="A16.1",
        )
    elif isinstance(actor, Applicant) and actor.personal_number != personal_number:
        raise PermissionDenied(_("You can only change your own registration."))


def _validate(data: dict, round_, stage: str, existing: Registration | None) -> dict:
    state = window(round_)
    if stage == SUBSEQUENT:
        if state != "registration":
            raise RuleError(
                _(
                    "Subsequent-stage registration is closed; "
                    "nothing can change after the deadline (A16.5)."
                ),
                citation="A16.5",
            )
        return rules.clean_subsequent(data, round_)
    if state is None or (state == "reranking" and existing is None):
        raise RuleError(
            _("Registration is closed; after the window no change is possible (A15.7)."),
            citation="A15.7",
        )
    if state == "reranking":
        return _clean_reranking(data, round_, existing)
    clean = rules.clean_primary(data, round_)
    if clean["carried_over"]:
        _check_carried_over(clean["personal_number"], round_)
    return clean


def _clean_reranking(data: dict, round_, existing: Registration) -> dict:
    """A26.2: only reorder or replace programmes within the skills test and subject group taken."""
    errors: dict = {}
    programmes = rules.clean_programmes(data.get("programmes"), round_, errors)
    wrong = [
        p.code
        for p in programmes
        if (p.skills_test_id, p.subject_group_id)
        != (existing.skills_test_id, existing.subject_group_id)
    ]
    if wrong:
        errors["programmes"] = [
            _(
                "In the re-ranking window only programmes of the skills test and subject group "
                "you sat can be chosen: %(codes)s (A26.2)."
            )
            % {"codes": ", ".join(wrong)}
        ]
    if errors:
        raise ValidationError(errors)
    a = existing.applicant
    return {
        "personal_number": a.personal_number,
        "person": None,
        "phone": a.phone,
        "email": a.email,
        "exam_municipality": existing.exam_municipality,
        "test_language": existing.test_language,
        "foreign_language": existing.foreign_language,
        "adapted_environment": existing.adapted_environment,
        "programmes": programmes,
        "carried_over": existing.carried_over,
        "reranking": True,
    }


def _check_carried_over(personal_number: str, round_) -> None:
    """A28.1: scores carry over once, to the next round, from a round with a registration."""
    previous = (
        Registration.objects.filter(
            applicant__personal_number=personal_number, round__test_starts__lt=round_.test_starts
        )
        .select_related("round")
        .order_by("-round__test_starts")
        .first()
    )
    if previous is None:
        raise RuleError(
            _("There are no scores from an earlier round to carry over (A28.1)."),
            field="carried_over",
            citation="A28.1",
        )
    if previous.carried_over:
        raise RuleError(
            _("Carried-over scores can be used only once (A28.1)."),
            field="carried_over",
            citation="A28.1",
        )


def start(actor, data: dict, round_, *, channel: str, stage: str = PRIMARY, ip=None) -> Pending:
    """Validate a registration or change and send the applicant a one-time code (A15.4-A15.6)."""
    try:
        personal_number = clean_personal_number(data.get("personal_number"))
    except ValidationError as exc:
        raise ValidationError({"personal_number": exc.messages}) from exc
    _check_actor(actor, channel, stage, personal_number)
    existing = (
        Registration.objects.filter(
            applicant__personal_number=personal_number, round=round_, stage=stage
        )
        .select_related("applicant")
        .first()
    )
    clean = _validate(data, round_, stage, existing)
    payload = {
        "data": _payload(data, clean),
        "round": round_.pk,
        "stage": stage,
        "channel": channel,
        "clerk": getattr(actor, "pk", None) if channel == Channel.CENTRE else None,
    }
    code, plain = codes.issue("register", personal_number, ip=ip, payload=payload)
    email, phone = _contacts(existing.applicant if existing else None, clean)
    sent_to = _deliver_code(email, phone, plain)  # the code row is committed: sent now (on commit)
    return Pending(code.pk, personal_number, sent_to)


def _payload(data: dict, clean: dict) -> dict:
    """The raw input, to be re-validated at confirmation (the catalogue may change meanwhile)."""
    keep = (
        "personal_number",
        "phone",
        "email",
        "exam_municipality",
        "test_language",
        "foreign_language",
        "adapted_environment",
        "carried_over",
        "education_level",
        "qualification",
    )
    out = {k: data.get(k) for k in keep if k in data}
    out["programmes"] = [p.code for p in clean["programmes"]]
    return out


def confirm(personal_number: str, plain_code: str, *, ip=None) -> Registration:
    """Apply a started registration or change after checking the applicant's code."""
    personal_number = clean_personal_number(personal_number)
    code = codes.check("register", personal_number, plain_code, ip=ip)
    return _apply(code)


def confirm_pending(code_id: int, plain_code: str, *, ip=None) -> Registration:
    """`confirm()` for the code sent by `start()` (Pending.code_id): what a session keeps.

    The code check and the writes are one transaction: if the writes are refused (say the
    window closed meanwhile), the code is not spent. A wrong code commits its counted attempt
    and is audited in a transaction of its own.
    """
    with transaction.atomic():
        code, refused = codes.verify("register", plain_code, code_id=code_id)
        if refused is None:
            return _write(code)
    codes.refuse("register", refused, ip, code)


@transaction.atomic
def _apply(code: OneTimeCode) -> Registration:
    return _write(code)


def _write(code: OneTimeCode) -> Registration:
    """Inside the caller's transaction: the registration, its list, a version, the audit entry."""
    p = code.payload
    round_ = Round.objects.get(pk=p["round"])
    clerk = (
        User.objects.filter(pk=p["clerk"]).select_related("organisation").first()
        if p["clerk"]
        else None
    )
    existing = (
        Registration.objects.select_for_update()
        .filter(
            applicant__personal_number=p["data"]["personal_number"], round=round_, stage=p["stage"]
        )
        .first()
    )
    clean = _validate(p["data"], round_, p["stage"], existing)
    now = timezone.now().replace(microsecond=0)
    applicant = _save_applicant(clean, existing)
    reg = existing or Registration(
        applicant=applicant, round=round_, stage=p["stage"], registered_at=now, version=0
    )
    before = snapshot(reg) if existing else None
    reg.channel = p["channel"]
    reg.updated_at = now
    reg.version += 1
    reg.centre = clerk.organisation if clerk else None
    reg.clerk = clerk
    for f in (
        "exam_municipality",
        "test_language",
        "foreign_language",
        "adapted_environment",
        "carried_over",
        "education_level",
        "qualification",
    ):
        if f in clean:
            setattr(reg, f, clean[f])
    progs = clean["programmes"]
    reg.skills_test = progs[0].skills_test if progs else None
    reg.subject_group = progs[0].subject_group if progs else None
    reg.retakes_test = True
    reg.save()
    if existing:
        reg.choices.all().delete()
    Choice.objects.bulk_create(
        [Choice(registration=reg, rank=i, programme=prog) for i, prog in enumerate(progs, start=1)]
    )
    after = snapshot(reg, [p.code for p in progs])
    changes = {k: [before.get(k), v] for k, v in after.items() if before and before.get(k) != v}
    actor_label = clerk.display_name if clerk else applicant.audit_label
    Version.objects.create(
        registration=reg,
        number=reg.version,
        at=now,
        actor_label=actor_label,
        channel=reg.channel,
        data=after | {"phone": applicant.phone, "email": applicant.email},
        changes=changes,
    )
    record(
        clerk or applicant,
        "registration.change" if existing else "registration.create",
        reg,
        before=before,
        after=after,
        organisation=reg.centre,
        reason=_("re-ranking window (A26.2)") if clean.get("reranking") else "",
    )
    text = notify.bilingual(CONFIRMED_TEXT, number=reg.number, version=reg.version)
    subject = notify.bilingual(CONFIRMED_TEXT, sep=" / ", number=reg.number, version=reg.version)
    notify.email_on_commit([applicant.email], subject, text)
    sms.sms_on_commit(applicant.phone, text)
    return reg


def _save_applicant(clean: dict, existing: Registration | None) -> Applicant:
    person = clean.get("person")
    applicant = Applicant.objects.filter(personal_number=clean["personal_number"]).first()
    if applicant is None:
        applicant = Applicant(personal_number=clean["personal_number"])
    if person is not None:
        applicant.first_name_ka, applicant.last_name_ka = person.first_name_ka, person.last_name_ka
        applicant.first_name_en, applicant.last_name_en = person.first_name_en, person.last_name_en
        applicant.birth_date = person.birth_date
    applicant.phone, applicant.email = clean["phone"], clean["email"]
    applicant.save()
    return applicant


# ---------------------------------------------------------------- applicant sign-in (A15.1)


def request_sign_in(personal_number: str, *, ip=None) -> int:
    """Send a sign-in code to a registered applicant; the same answer for anyone else.

    Returns the code's id (a code row exists for unknown numbers too, never delivered)."""
    try:
        personal_number = clean_personal_number(personal_number)
    except ValidationError as exc:
        raise ValidationError({"personal_number": exc.messages}) from exc
    applicant = Applicant.objects.filter(personal_number=personal_number).first()
    code, plain = codes.issue(
        "sign_in",
        personal_number,
        ip=ip,
        payload={"applicant": applicant.pk} if applicant else None,
    )
    if applicant is not None:
        with transaction.atomic():
            _deliver_code(applicant.email, applicant.phone, plain)
    return code.pk


def sign_in(personal_number: str, plain_code: str, *, ip=None) -> Applicant:
    personal_number = clean_personal_number(personal_number)
    codes.check("sign_in", personal_number, plain_code, ip=ip)
    applicant = Applicant.objects.filter(personal_number=personal_number).first()
    if applicant is None:  # a code is never delivered to an unknown number
        raise codes.CodeRefused(
            _("The code is wrong or has expired. Ask for a new one."),
            field="code",
            citation="A15.4",
        )
    return applicant


def sign_in_pending(code_id: int, plain_code: str, *, ip=None) -> Applicant:
    """`sign_in()` for the code sent by `request_sign_in()` (its returned id)."""
    with transaction.atomic():
        code, refused = codes.verify("sign_in", plain_code, code_id=code_id)
    if refused is None:
        applicant = Applicant.objects.filter(pk=code.payload.get("applicant") or 0).first()
        if applicant is not None:
            return applicant
        refused = _("The code is wrong or has expired. Ask for a new one.")  # never delivered
    codes.refuse("sign_in", refused, ip, code)
