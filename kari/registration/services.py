"""Registration (A15 primary stage, A16 subsequent stage, A26.2 re-ranking, A28 carried scores).

A registration or a change is *started* (validated, a one-time code sent to the applicant's
email and phone) and *confirmed* with that code (A15.4-A15.6). Confirmation re-validates and
writes the registration, its ranked list, a new version in its history and the audit log in
one transaction; notices go out after commit.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari import notify, sms
from kari.accounts import throttle
from kari.accounts.models import Throttle, User
from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.catalogue.models import Institution, SkillsTest, SubjectGroup
from kari.codes import services as codes
from kari.codes.models import OneTimeCode
from kari.errors import RuleError
from kari.identity.registry import get_registry, proves_identity
from kari.identity.validators import clean_personal_number, clean_phone
from kari.rounds.models import Round, Season
from kari.tabular import ImportRejected, RowError, TableError, read_table

from . import carried, rules
from .models import (
    Applicant,
    Channel,
    Choice,
    Registration,
    ScoreRecord,
    ScoreSource,
    TestLanguage,
    Version,
)

PRIMARY, SUBSEQUENT = "primary", "subsequent"
CODE_TEXT = gettext_lazy(
    "Kari one-time code: %(code)s. It is valid for 10 minutes. Do not share it."
)
CODE_SUBJECT = gettext_lazy("Kari one-time code")
CONFIRMED_TEXT = gettext_lazy("Kari: registration %(number)s is confirmed (version %(version)s).")
EMAIL_LIST = gettext_lazy("Your ranked list of programmes, the first the one you want most:")
EMAIL_MUNICIPALITY = gettext_lazy("Where you sit the test: %(name)s")
EMAIL_LANGUAGE = gettext_lazy("Test language: %(name)s")
EMAIL_CHANGE = gettext_lazy(
    "To change the programmes, their order or the municipality by %(date)s, sign in with your "
    "personal number and a one-time code: %(url)s"
)
EMAIL_RERANK = gettext_lazy(
    "Until %(date)s you may reorder or replace programmes within the test you sat. Sign in with "
    "your personal number and a one-time code: %(url)s"
)
EMAIL_SEE = gettext_lazy("Your registration, and what comes next: %(url)s")
CONTACTS_CHANGED_TEXT = gettext_lazy(
    "Kari: the phone or email of your registration was changed. If it was not you, go to a "
    "registration centre with your ID card."
)
DOCUMENT_HOWTO = gettext_lazy("Enter the document number printed on the ID card.")
IDENTITY_REFUSED = gettext_lazy(
    "The personal number and the ID card number do not match the civil registry. Check both."
)


@dataclass
class Pending:
    """A started registration or change, waiting for the applicant's one-time code."""

    code_id: int
    personal_number: str
    sent_to: list[str]
    warnings: list[str] = field(default_factory=list)  # A13.4(f): requirements to know about


def window(round_, today=None, stage: str = "primary") -> str | None:
    """'registration' (A15.5), 'reranking' (A26.2) or None (locked, A15.7).

    The subsequent stage has its own window set by the ministry (A16.2) and no re-ranking.
    """
    today = today or timezone.localdate()
    if stage == SUBSEQUENT:
        opens, closes = round_.subsequent_registration_opens, round_.subsequent_registration_closes
        return "registration" if opens and closes and opens <= today <= closes else None
    if round_.registration_opens <= today <= round_.registration_closes:
        return "registration"
    if round_.reranking_opens <= today <= round_.reranking_closes:
        return "reranking"
    return None


def snapshot(reg: Registration, programmes: list[str] | None = None) -> dict:
    if programmes is None:
        programmes = list(reg.choices.values_list("programme__code", flat=True))
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
        "retakes_test": reg.retakes_test,
        "education_level": reg.education_level,
        "qualification": reg.qualification,
    }


def _with_contacts(applicant: Applicant | None) -> Applicant | None:
    """The record whose contacts a code goes to. A record with neither phone nor email (made
    from the civil registry when an SEN expert team assessed the person before they registered,
    A36) has none: the first registration's code goes to the contacts typed, as for a
    newcomer, and its confirmation records them."""
    if applicant is not None and not (applicant.phone or applicant.email):
        return None
    return applicant


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


def _validate(
    data: dict, round_, stage: str, existing: Registration | None, *, blind: bool = False
) -> dict:
    """The registration's data, checked. ``blind``: an anonymous online request whose ID card
    number is not proven yet: only what does not depend on the person is judged (see
    `_clean_blind`), so every such request gets the answer a person without records gets."""
    state = window(round_, stage=stage)
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
    if state is None or (state == "reranking" and existing is None and not blind):
        raise RuleError(
            _("Registration is closed; after the window no change is possible (A15.7)."),
            citation="A15.7",
        )
    if blind:
        return _clean_blind(data, round_, state)
    if state == "reranking":
        return _clean_reranking(data, round_, existing)
    clean = rules.clean_primary(data, round_)
    clean["carried_from"] = None
    clean["retakes_test"] = clean["carried_over"] and bool(data.get("retakes_test"))
    if clean["carried_over"]:
        clean["carried_from"] = carried.find_carryable(
            clean["personal_number"], round_, exclude_registration=existing
        )
        _check_carried_test(clean, clean["carried_from"])
    return clean


def _clean_blind(data: dict, round_, state: str) -> dict:
    """Before the second identity fact is proven (issue 11, point 2): the checks that do not
    depend on the person's records, so a refused form still lists every problem it can.

    Not asked: the civil registry (whether the number exists, the age a programme needs), the
    registration (in the re-ranking window: registered, results published, absent) and the
    carried-over scores (the previous round's test, languages and outcome)."""
    if state == "reranking":  # only the programmes are taken; the rest is the registration's
        errors: dict[str, list[str]] = {}
        programmes = rules.clean_programmes(data.get("programmes"), round_, errors)
        if errors:
            raise ValidationError(errors)
        return {"programmes": programmes}
    clean = rules.clean_primary(data, round_, blind=True)
    clean["carried_from"] = None
    clean["retakes_test"] = clean["carried_over"] and bool(data.get("retakes_test"))
    return clean


def _check_carried_test(clean: dict, record) -> None:
    """A28.1 with A26.2: carried scores count only for programmes of the skills test and subject
    group they were earned in, and in the test and foreign language they were earned in."""
    errors: dict[str, list[str]] = {}
    wrong = [
        p.code
        for p in clean["programmes"]
        if (p.skills_test_id, p.subject_group_id)
        != (record.skills_test_id, record.subject_group_id)
    ]
    if wrong:
        errors["programmes"] = [
            _(
                "Carried-over scores are for another skills test or subject group; "
                "choose programmes of the test they were earned in: %(codes)s (A28.1)."
            )
            % {"codes": ", ".join(wrong)}
        ]
    if clean["test_language"] != record.test_language:
        errors["test_language"] = [
            _("Carried-over scores were earned in another test language (A28.1).")
        ]
    if record.foreign_language and clean["foreign_language"] != record.foreign_language:
        errors["foreign_language"] = [
            _("Carried-over scores were earned in another foreign language (A28.1).")
        ]
    if errors:
        raise ValidationError(errors)


def _check_results_published(existing: Registration) -> None:
    """A26.1-A26.2: the list can be changed only once the applicant's results are published,
    and only by an applicant who has scores to be ranked by (their own, or carried, A28)."""
    record = ScoreRecord.objects.filter(registration=existing).first()
    carried_count = existing.carried_from_id is not None and (
        not existing.retakes_test or (record is not None and not record.scores)
    )
    if carried_count:
        return
    if record is None:
        raise RuleError(
            _(
                "Your results are not published yet; the ranked list can be changed only "
                "after they are (A26.2)."
            ),
            field="programmes",
            citation="A26.2",
        )
    if not record.scores:
        raise RuleError(
            _(
                "You have no scores in this round (absent, not finished or removed), so there "
                "is no ranked list to change (A26.1, A26.2)."
            ),
            field="programmes",
            citation="A26.2",
        )


def _clean_reranking(data: dict, round_, existing: Registration) -> dict:
    """A26.2: only reorder or replace programmes within the skills test and subject group taken,
    after the applicant's results are published, and by every rule of a primary registration
    (A4.2 test language, A4.3 and A7.5 foreign language, A14 one direction)."""
    if existing.stage != PRIMARY:
        raise RuleError(
            _("Registration is closed; after the window no change is possible (A15.7)."),
            citation="A15.7",
        )
    _check_results_published(existing)
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
    else:
        combination: dict[str, list[str]] = {}
        rules.check_primary_combination(
            programmes, existing.test_language, existing.foreign_language, combination
        )
        # The languages were fixed at registration: a clash is about the programmes chosen.
        messages = [m for msgs in combination.values() for m in msgs]
        if messages:
            errors["programmes"] = messages
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
        "carried_from": existing.carried_from,
        "retakes_test": existing.retakes_test,
        "reranking": True,
    }


def start(actor, data: dict, round_, *, channel: str, stage: str = PRIMARY, ip=None) -> Pending:
    """Validate a registration or change and send the applicant a one-time code (A15.4-A15.6).

    One pass (issue 19, point 3): every field's problem is reported at once, so the applicant
    fixes them all before asking again."""
    return _start(actor, data, round_, channel=channel, stage=stage, ip=ip)[0]


def _start(
    actor, data: dict, round_, *, channel: str, stage: str = PRIMARY, ip=None
) -> tuple[Pending, str]:
    """`start()`, also returning the plain code (the demo confirms at once, as the SEN
    registration's ``_start_registration`` does)."""
    errors: dict[str, list[str]] = {}
    try:
        personal_number = clean_personal_number(data.get("personal_number"))
    except ValidationError as exc:
        personal_number = ""
        errors["personal_number"] = list(exc.messages)
    _check_actor(actor, channel, stage, personal_number)
    anonymous = channel == Channel.ONLINE and not isinstance(actor, Applicant)
    document = str(data.get("document_number") or "").strip()
    if anonymous and not document:
        errors["document_number"] = [str(DOCUMENT_HOWTO)]
    # Anonymous online, the ID card's number is proven first (issue 11, point 2): until it is,
    # nothing that depends on the person's records is judged or said (`_clean_blind`).
    proven = not anonymous
    if anonymous and personal_number and document and "personal_number" not in errors:
        try:
            check_second_fact(personal_number, document, ip=ip)
            proven = True
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    # The applicant's record first: without one there is no registration to look for.
    applicant = (
        Applicant.objects.filter(personal_number=personal_number).first()
        if personal_number
        else None
    )
    existing = (
        Registration.objects.filter(applicant=applicant, round=round_, stage=stage).first()
        if applicant is not None and proven
        else None
    )
    if existing is not None:
        existing.applicant = applicant
    clean: dict = {}
    try:
        clean = _validate(data, round_, stage, existing, blind=not proven)
    except ValidationError as exc:
        found = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        if anonymous:  # whether the registry knows the number is the second fact's answer
            found.pop("personal_number", None)
        for key, messages in found.items():
            errors.setdefault(key, []).extend(m for m in messages if m not in errors.get(key, []))
    if errors:
        raise ValidationError(errors)
    on_record = _with_contacts(applicant)
    payload = {
        "data": _payload(data, clean),
        "round": round_.pk,
        "stage": stage,
        "channel": channel,
        "clerk": getattr(actor, "pk", None) if channel == Channel.CENTRE else None,
        # The code goes to the contacts on record when there are any: only then may the
        # confirmation change them (issue 11, point 2).
        "contacts_on_record": on_record is not None,
    }
    code, plain = codes.issue("register", personal_number, ip=ip, payload=payload)
    email, phone = _contacts(on_record, clean)
    # The code row is committed; its email and SMS are written together and sent right after
    # their commit, claimed together (one claim transaction, not one each).
    with transaction.atomic():
        sent_to = _deliver_code(email, phone, plain)
    warnings = [str(w) for w in clean.get("warnings", [])]
    return Pending(code.pk, personal_number, sent_to, warnings), plain


# Wrong ID card numbers (issue 11, points 2 and 4). Each limit slows down, none refuses for
# long, and none lets one network hold up another's applicant: see `identity_wait`.
# settings.KARI_IDENTITY_THROTTLE may override any of these.
IDENTITY_THROTTLE = {
    "WINDOW_SECONDS": 3600,
    # one person's number from one address: the applicant's own typing mistakes
    "PER_PERSON_AND_ADDRESS": 5,
    # one address, whoever's numbers: one network guessing many people's ID cards (generous:
    # a carrier's NAT or a registration centre is one address for many honest applicants)
    "PER_ADDRESS": 100,
    # one person's number from all addresses together: past it, each address has fewer free
    # tries for that person (guessing one person's card needs many addresses)
    "PER_PERSON": 30,
    "PER_PERSON_AND_ADDRESS_PAST_CEILING": 1,
    "BACKOFF_SECONDS": 30,
    "BACKOFF_MAX_SECONDS": 900,
}


def _identity_conf() -> dict:
    return IDENTITY_THROTTLE | getattr(settings, "KARI_IDENTITY_THROTTLE", {})


def _identity_keys(personal_number: str, ip) -> tuple[str, str, str | None]:
    """(this person from this address, this person from anywhere, this address for anyone)."""
    person = codes.keyed_hash(personal_number)
    return (
        f"identity:{person}:{ip or '-'}",
        f"identity:{person}",
        f"identity:ip:{ip}" if ip else None,
    )


def _identity_counts(keys) -> dict[str, Throttle]:
    """The keys' rows still in their window, read in one query."""
    window = dt.timedelta(seconds=_identity_conf()["WINDOW_SECONDS"])
    now = timezone.now()
    rows = Throttle.objects.filter(key__in=[k for k in keys if k])
    return {t.key: t for t in rows if now - t.first_at <= window}


def _backoff(t: Throttle | None, free: int, c: dict) -> int:
    return throttle.wait_for(
        t,
        window=c["WINDOW_SECONDS"],
        free=free,
        base=c["BACKOFF_SECONDS"],
        cap=c["BACKOFF_MAX_SECONDS"],
    )


def identity_wait(personal_number: str, ip=None) -> int:
    """Seconds this address must still wait before its next ID card number for this person.

    Counted only from this address's own wrong answers: for this person, and for anyone.
    Another address's wrong answers never make an address wait; past the person's ceiling they
    only leave it fewer free ones. So nobody can block an applicant who types their own card's
    number from their own network, and guessing one person's card needs many addresses."""
    return _identity_wait(_identity_keys(personal_number, ip))[0]


def _identity_wait(keys) -> tuple[int, dict[str, Throttle]]:
    c = _identity_conf()
    pair, person, address = keys
    rows = _identity_counts(keys)
    free = c["PER_PERSON_AND_ADDRESS"]
    if person in rows and rows[person].count >= c["PER_PERSON"]:
        free = min(free, c["PER_PERSON_AND_ADDRESS_PAST_CEILING"])
    seconds = _backoff(rows.get(pair), free, c)
    if address:
        seconds = max(seconds, _backoff(rows.get(address), c["PER_ADDRESS"], c))
    return seconds, rows


def check_second_fact(personal_number: str, document_number, *, ip=None) -> None:
    """Issue 11, point 2: online, the personal number alone proves nothing; the ID card's
    document number must match the civil registry's record. One answer whichever is wrong.

    Wrong answers slow further tries down (`identity_wait`), keyed by the person's hash with
    the client's address `ip`, never by the person alone: an attacker's wrong numbers from
    another network do not hold up the applicant's own registration."""
    keys = _identity_keys(personal_number, ip)
    seconds, rows = _identity_wait(keys)
    if seconds:
        raise RuleError(
            _("Too many wrong attempts. Try again in %(seconds)s seconds.") % {"seconds": seconds},
            field="document_number",
        )
    if not proves_identity(get_registry().lookup(personal_number), document_number):
        window = _identity_conf()["WINDOW_SECONDS"]
        for key in keys:
            if key:
                throttle.hit(key, window=window)
        msg = str(IDENTITY_REFUSED)
        raise ValidationError({"personal_number": [msg], "document_number": [msg]})
    if keys[0] in rows:  # this network's own mistakes for this person are behind it
        throttle.clear(keys[0])


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
        "retakes_test",
        "education_level",
        "qualification",
        "basic_education_document",
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
        code, refused = codes.verify("register", plain_code, code_id=code_id, ip=ip)
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
    number = p["data"]["personal_number"]
    on_record = Applicant.objects.filter(personal_number=number).first()
    # Without a record there is no registration. With one, the registration's and the
    # applicant's rows are locked (as a FOR UPDATE of their join does), and the relations the
    # snapshot names come with them.
    existing = (
        Registration.objects.select_for_update(of=("self", "applicant"))
        .select_related("applicant", "exam_municipality", "skills_test", "subject_group")
        .filter(applicant__personal_number=number, round=round_, stage=p["stage"])
        .first()
        if on_record is not None
        else None
    )
    if existing is not None:
        on_record = existing.applicant  # read again under the lock
    clean = _validate(p["data"], round_, p["stage"], existing)
    now = timezone.now().replace(microsecond=0)
    applicant = _save_applicant(
        clean,
        contacts_confirmed=p.get("contacts_on_record", False),
        # the record read above, when it is the cleaned number's (the raw number was looked up)
        on_record=on_record if number == clean["personal_number"] else _UNKNOWN,
    )
    reg = existing or Registration(
        applicant=applicant, round=round_, stage=p["stage"], registered_at=now, version=0
    )
    reg.round = round_  # the same row, read once (the confirmation email reads its dates)
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
        "carried_from",
        "retakes_test",
        "education_level",
        "qualification",
        "basic_education_document",
    ):
        if f in clean:
            setattr(reg, f, clean[f])
    if "warnings" in clean:
        reg.requirement_warnings = [str(w) for w in clean["warnings"]]
    progs = clean["programmes"]
    reg.skills_test = progs[0].skills_test if progs else None
    reg.subject_group = progs[0].subject_group if progs else None
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
    # the email names them: their institutions with their organisations, in one query
    prefetch_related_objects(
        progs, Prefetch("institution", queryset=Institution.objects.select_related("organisation"))
    )
    body = "\n\n".join(confirmation_email(reg, progs, lang) for lang in ("ka", "en"))
    notify.email_on_commit([applicant.email], subject, body)
    sms.sms_on_commit(applicant.phone, text)
    return reg


def public_url(path: str) -> str:
    return settings.KARI_PUBLIC_URL.rstrip("/") + path


def confirmation_email(reg: Registration, programmes, language: str) -> str:
    """The registration email (issue 19, point 4): the ranked programmes, the exam
    municipality and the languages, and how to change them, with a link to the cabinet."""
    with translation.override(language):
        lines = [str(CONFIRMED_TEXT) % {"number": reg.number, "version": reg.version}, ""]
        if programmes:
            lines.append(str(EMAIL_LIST))
            lines += [
                f"{i}. {p.name} ({p.code}), {p.institution.organisation.name}"
                for i, p in enumerate(programmes, start=1)
            ]
        if reg.exam_municipality_id:
            lines.append(str(EMAIL_MUNICIPALITY) % {"name": reg.exam_municipality.name})
        if reg.stage == PRIMARY:
            lines.append(str(EMAIL_LANGUAGE) % {"name": reg.get_test_language_display()})
        state = window(reg.round, stage=reg.stage)
        cabinet = public_url(reverse("registration:cabinet"))
        if state == "registration" and reg.stage == PRIMARY:
            closes = reg.round.registration_closes
            lines += ["", str(EMAIL_CHANGE) % {"date": f"{closes:%d.%m.%Y}", "url": cabinet}]
        elif state == "reranking":
            closes = reg.round.reranking_closes
            lines += ["", str(EMAIL_RERANK) % {"date": f"{closes:%d.%m.%Y}", "url": cabinet}]
        else:
            lines += ["", str(EMAIL_SEE) % {"url": cabinet}]
        return "\n".join(lines)


_UNKNOWN = object()  # `_save_applicant(on_record=...)`: not read yet
_APPLICANT_FIELDS = (
    "first_name_ka",
    "last_name_ka",
    "first_name_en",
    "last_name_en",
    "birth_date",
    "phone",
    "email",
)


def _save_applicant(clean: dict, *, contacts_confirmed: bool, on_record=_UNKNOWN) -> Applicant:
    """The applicant's record. Contacts on record change only when the code went to them
    (`contacts_confirmed`) or by a clerk's reset (kari.registration.contacts); the old
    contacts are told. `on_record`: the record of ``clean["personal_number"]`` (or None)
    if the caller has read it in this transaction."""
    person = clean.get("person")
    applicant = (
        Applicant.objects.filter(personal_number=clean["personal_number"]).first()
        if on_record is _UNKNOWN
        else on_record
    )
    old = (applicant.phone, applicant.email) if applicant else None
    stored = [getattr(applicant, f) for f in _APPLICANT_FIELDS] if applicant else None
    if applicant is None:
        applicant = Applicant(personal_number=clean["personal_number"])
    if person is not None:
        applicant.first_name_ka, applicant.last_name_ka = person.first_name_ka, person.last_name_ka
        applicant.first_name_en, applicant.last_name_en = person.first_name_en, person.last_name_en
        applicant.birth_date = person.birth_date
    if old is None or contacts_confirmed or not any(old):
        applicant.phone, applicant.email = clean["phone"], clean["email"]
    if stored is None or stored != [getattr(applicant, f) for f in _APPLICANT_FIELDS]:
        applicant.save()  # a change that changes nothing of the record writes nothing
    if old is not None and any(old) and old != (applicant.phone, applicant.email):
        tell_old_contacts(*old)
    return applicant


def tell_old_contacts(phone: str, email: str) -> None:
    text = notify.bilingual(CONTACTS_CHANGED_TEXT)
    notify.email_on_commit([email], notify.bilingual(CONTACTS_CHANGED_TEXT, sep=" / "), text)
    sms.sms_on_commit(phone, text)


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
        code, refused = codes.verify("sign_in", plain_code, code_id=code_id, ip=ip)
    if refused is None:
        applicant = Applicant.objects.filter(pk=code.payload.get("applicant") or 0).first()
        if applicant is not None:
            return applicant
        refused = _("The code is wrong or has expired. Ask for a new one.")  # never delivered
    codes.refuse("sign_in", refused, ip, code)


def resend_code(purpose: str, code_id, *, ip=None) -> int:
    """ "Send a new code" on the code page (issue 19, point 3): a new code for the same pending
    registration, change or sign-in, to the same contacts; the earlier code stops working.
    Returns the new code's id (for an unknown personal number, a row that is never delivered)."""
    with transaction.atomic():
        code, plain = codes.reissue(purpose, code_id, ip=ip)
        payload = code.payload or {}
        if purpose == "register":
            data = payload.get("data") or {}
            if not data.get("personal_number"):  # the pending data was wiped: start again
                raise codes.CodeRefused(
                    _("This code can no longer be renewed. Start again."), field="code"
                )
            on_record = _with_contacts(
                Applicant.objects.filter(personal_number=data["personal_number"]).first()
            )
            if on_record is not None and payload.get("contacts_on_record"):
                email, phone = on_record.email, on_record.phone
            else:
                email, phone = str(data.get("email") or ""), clean_phone(data.get("phone"))
            _deliver_code(email, phone, plain)
        elif purpose == "sign_in":
            applicant = Applicant.objects.filter(pk=payload.get("applicant") or 0).first()
            if applicant is not None:
                _deliver_code(applicant.email, applicant.phone, plain)
    return code.pk


# ---------------------------------------------------------------- scores of a round (A26, A28)


def _score_text(value) -> str:
    return str(Decimal(str(value)))


@transaction.atomic
def publish_scores(actor, round_, results: dict[int, dict[str, Decimal] | None]) -> int:
    """A26.1-A26.2: record the applicants' published scores of `round_` (replacing earlier ones).

    `results` maps a registration id to its scores (``"skills_score"`` and subject codes), or
    to None/{} for an applicant with no scores (absent, not finished, removed: A26.1). The
    records say the results are published (the re-ranking window opens for them, A26.2) and are
    what the next round carries over (A28.1). The ranking outcome is recorded separately.
    """
    authorize(actor, "scores.record", NATIONAL)
    regs = Registration.objects.filter(
        round=round_, stage=PRIMARY, pk__in=list(results)
    ).select_related("applicant")
    now = timezone.now()
    existing = {r.registration_id: r for r in ScoreRecord.objects.filter(registration__in=regs)}
    new, changed = [], []
    for reg in regs:
        scores = {k: _score_text(v) for k, v in (results[reg.pk] or {}).items() if v is not None}
        rec = existing.get(reg.pk) or ScoreRecord(
            registration=reg,
            personal_number=reg.applicant.personal_number,
            year=round_.year,
            season=round_.season,
            source=ScoreSource.RESULTS,
        )
        rec.skills_test_id = reg.skills_test_id
        rec.subject_group_id = reg.subject_group_id
        rec.test_language, rec.foreign_language = reg.test_language, reg.foreign_language
        rec.scores, rec.recorded_at = scores, now
        (changed if rec.pk else new).append(rec)
    ScoreRecord.objects.bulk_create(new, batch_size=2000)
    ScoreRecord.objects.bulk_update(
        changed,
        [
            "skills_test",
            "subject_group",
            "test_language",
            "foreign_language",
            "scores",
            "recorded_at",
        ],
        batch_size=2000,
    )
    n = len(new) + len(changed)
    record(
        actor,
        "scores.publish",
        round_,
        after={"registrations": n, "with_scores": sum(1 for v in results.values() if v)},
        reason=_("Results published (A26.2)"),
    )
    return n


@transaction.atomic
def record_outcomes(actor, round_, admitted: dict[int, bool]) -> int:
    """A28.1: the ranking of `round_` records, per registration id, whether it gave a place.

    An applicant left without a place (False) may carry the scores into the next round once.
    Registrations without published scores are refused: they have nothing to carry.
    """
    authorize(actor, "scores.record", NATIONAL)
    records = {
        r.registration_id: r
        for r in ScoreRecord.objects.select_for_update().filter(
            registration__round=round_, registration_id__in=list(admitted)
        )
    }
    missing = sorted(set(admitted) - set(records))
    if missing:
        raise RuleError(
            _("These registrations have no published scores: %(ids)s.")
            % {"ids": ", ".join(str(Registration(pk=i)) for i in missing[:20])},
            citation="A28.1",
        )
    for reg_id, value in admitted.items():
        records[reg_id].admitted = bool(value)
    ScoreRecord.objects.bulk_update(list(records.values()), ["admitted"], batch_size=2000)
    record(
        actor,
        "scores.outcome",
        round_,
        after={
            "admitted": sum(1 for v in admitted.values() if v),
            "without_place": sum(1 for v in admitted.values() if not v),
        },
        reason=_("Ranking outcome recorded for carried-over scores (A28.1)"),
    )
    return len(records)


EARLIER_REQUIRED = ["personal_number", "skills_test", "skills_score", "admitted"]
YES, NO = ("1", "yes", "true", "კი"), ("0", "no", "false", "არა")


def _earlier_row(line: int, row: dict, refs: dict, errors: list) -> ScoreRecord | None:
    n = len(errors)
    pn = row.get("personal_number", "").strip()
    pn = pn.zfill(11) if pn.isdigit() and len(pn) < 11 else pn
    try:
        pn = clean_personal_number(pn)
    except ValidationError as exc:
        errors.append(RowError(line, "personal_number", " ".join(exc.messages)))
    test = refs["tests"].get(row.get("skills_test", "").strip())
    if test is None:
        errors.append(RowError(line, "skills_test", _("Unknown skills test.")))
    group_code = row.get("subject_group", "").strip()
    group = refs["groups"].get(group_code)
    if group_code and group is None:
        errors.append(RowError(line, "subject_group", _("Unknown subject group.")))
    language = row.get("test_language", "").strip() or "ka"
    if language not in refs["languages"]:
        errors.append(RowError(line, "test_language", _("Use ka, ru, az or hy.")))
    foreign = row.get("foreign_language_code", "").strip()
    if foreign and foreign not in rules.FOREIGN:
        errors.append(RowError(line, "foreign_language_code", _("Use en, de, ru or fr.")))
    admitted = row.get("admitted", "").strip().lower()
    if admitted not in YES + NO:
        errors.append(RowError(line, "admitted", _("Use yes or no.")))
    scores = {}
    keys = ["skills_score"] + sorted(s.code for s in group.subjects.all()) if group else []
    for key in keys or ["skills_score"]:
        value = str(row.get(key, "")).strip().replace(",", ".")
        try:
            d = Decimal(value)
            if not Decimal(0) <= d <= Decimal(30):
                raise ValueError
            scores[key] = str(d)
        except (ArithmeticError, ValueError):
            errors.append(RowError(line, key, _("A score between 0 and 30.")))
    if len(errors) > n:
        return None
    return ScoreRecord(
        personal_number=pn,
        skills_test=test,
        subject_group=group,
        test_language=language,
        foreign_language=foreign,
        scores=scores,
        admitted=admitted in YES,
        source=ScoreSource.IMPORT,
    )


@transaction.atomic
def import_earlier_scores(
    actor, data: bytes, fmt: str, *, year: int, season: str, filename: str = ""
) -> int:
    """A28.1 in Kari's first year: take in the scores of a round held before Kari.

    Columns: ``personal_number``, ``skills_test``, ``subject_group``, ``test_language``,
    ``foreign_language_code`` (en, de, ru, fr: the language taken, if the group has one),
    ``skills_score``, one column per subject code of the group (the scores), and
    ``admitted`` (yes/no: did that round give the applicant a place). All or nothing; a
    re-import of the same round replaces the earlier import.
    """
    authorize(actor, "scores.record", NATIONAL)
    if season not in Season.values:
        raise RuleError(_("Choose spring or autumn."), field="season", citation="A18.1")
    if Round.objects.filter(year=year, season=season).exists():
        raise RuleError(
            _("This round was run in Kari: its scores come from its own results (A26.1)."),
            field="season",
            citation="A28.1",
        )
    try:
        headers, rows = read_table(data, fmt)
    except TableError as exc:
        raise ImportRejected([RowError(1, "file", str(exc))]) from exc
    missing = [c for c in EARLIER_REQUIRED if c not in headers]
    if missing:
        raise ImportRejected([RowError(1, c, _("column is missing")) for c in missing])
    refs = {
        "tests": {t.code: t for t in SkillsTest.objects.all()},
        "groups": {g.code: g for g in SubjectGroup.objects.prefetch_related("subjects")},
        "languages": set(TestLanguage.values),
    }
    errors: list[RowError] = []
    records, seen = [], {}
    for line, row in rows:
        rec = _earlier_row(line, row, refs, errors)
        if rec is None:
            continue
        if rec.personal_number in seen:
            errors.append(
                RowError(
                    line,
                    "personal_number",
                    _("Already given on line %(n)s.") % {"n": seen[rec.personal_number]},
                )
            )
            continue
        seen[rec.personal_number] = line
        records.append(rec)
    if not rows:
        errors.append(RowError(1, "file", _("The file is empty.")))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.line, e.field)))
    old = ScoreRecord.objects.filter(year=year, season=season, source=ScoreSource.IMPORT)
    if Registration.objects.filter(carried_from__in=old).exists():
        raise RuleError(
            _("Scores of this round are already carried by registrations; they stay as they are."),
            citation="A28.1",
        )
    replaced = old.count()
    old.delete()
    now = timezone.now()
    for rec in records:
        rec.year, rec.season, rec.recorded_at = year, season, now
    ScoreRecord.objects.bulk_create(records, batch_size=2000)
    record(
        actor,
        "scores.import",
        actor.organisation,
        after={
            "year": year,
            "season": season,
            "rows": len(records),
            "replaced": replaced,
            "sha256": hashlib.sha256(data).hexdigest(),
            "filename": filename[:200],
        },
        reason=_("Scores of a round before Kari (A28.1)"),
    )
    return len(records)
