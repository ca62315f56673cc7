"""Who may see a registration (issue 11, point 1), and the counter's one-time code.

A registration holds a person's data; staff reach it only by one of these ways:
- EMIS, which runs registration nationally (A12.3), sees every registration;
- a registration clerk sees the registrations their own centre made (A15.1, A16);
- a clerk sees an applicant's registrations while the applicant is at the counter: the clerk
  asks Kari to send the applicant a one-time code (to the contacts on record, never shown to
  the clerk), the applicant reads it out, and the clerk's session may open that applicant's
  registrations for `COUNTER_MINUTES`;
- an institution sees a registration only through its own programmes, i.e. when one of its
  programmes is on the applicant's list.
Anything else is refused, so an online registration (which has no centre) is never open to
an arbitrary clerk.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari import notify, sms
from kari.accounts.permissions import NATIONAL, authorize, can
from kari.audit.log import record
from kari.codes import services as codes
from kari.identity.validators import clean_personal_number

from .models import Applicant, Registration

COUNTER_MINUTES = 30
COUNTER_PURPOSE = "counter"
COUNTER_TEXT = gettext_lazy(
    "Kari: a registration centre asks to open your registration. Code: %(code)s. "
    "Give it to the clerk only if you are at the counter yourself."
)
COUNTER_SUBJECT = gettext_lazy("Kari: a registration centre asks to open your registration")


SESSION_KEY = "kari_counter_access"


def counter_grants(session) -> set[int]:
    """Applicant ids this staff session may open now (granted by a counter code)."""
    now = timezone.now().timestamp()
    return {int(pk) for pk, until in (session.get(SESSION_KEY) or {}).items() if until > now}


def grant_in_session(session, applicant_id: int) -> None:
    grants = {
        pk: until
        for pk, until in (session.get(SESSION_KEY) or {}).items()
        if until > timezone.now().timestamp()
    }
    grants[str(applicant_id)] = (timezone.now() + dt.timedelta(minutes=COUNTER_MINUTES)).timestamp()
    session[SESSION_KEY] = grants


def _institution_programmes(actor, reg: Registration) -> bool:
    own = actor.organisation
    return (
        own is not None
        and can(actor, "registration.view", own)
        and reg.choices.filter(programme__institution__organisation=own).exists()
    )


def authorize_view(actor, reg: Registration, *, counter: set[int] = frozenset()) -> None:
    """Raise PermissionDenied unless `actor` may see `reg` (see the module's docstring)."""
    if can(actor, "registration.view_all", NATIONAL):
        return
    if reg.centre_id is not None and can(actor, "registration.register", reg.centre):
        return
    if reg.applicant_id in counter and can(actor, "registration.register", actor.organisation):
        return
    if getattr(actor, "is_authenticated", False) and _institution_programmes(actor, reg):
        return
    raise PermissionDenied(_("You can only see registrations your organisation may see."))


def authorize_printout(actor, reg: Registration, *, counter: set[int] = frozenset()) -> None:
    """The printout is handed over at the counter: EMIS, the centre, or a clerk with the code."""
    if can(actor, "registration.view_all", NATIONAL):
        return
    if reg.centre_id is not None and can(actor, "registration.register", reg.centre):
        return
    if reg.applicant_id in counter and can(actor, "registration.register", actor.organisation):
        return
    raise PermissionDenied(_("Only the registration centre prints a registration."))


def request_counter_code(clerk, personal_number: str, *, ip=None) -> int:
    """Send the applicant a code for the clerk's counter; the same answer for any number.

    Returns the code's id (a row exists for unknown numbers too, never delivered)."""
    authorize(clerk, "registration.register", clerk.organisation)
    try:
        personal_number = clean_personal_number(personal_number)
    except ValidationError as exc:
        raise ValidationError({"personal_number": exc.messages}) from exc
    applicant = Applicant.objects.filter(personal_number=personal_number).first()
    with transaction.atomic():
        code, plain = codes.issue(
            COUNTER_PURPOSE,
            personal_number,
            ip=ip,
            payload={"applicant": applicant.pk if applicant else None, "clerk": clerk.pk},
        )
        if applicant is not None:  # a code: wiped from the outbox once sent, never shown
            text = notify.bilingual(COUNTER_TEXT, code=plain)
            subject = notify.bilingual(COUNTER_SUBJECT, sep=" / ")
            until = code.expires_at
            notify.email_on_commit([applicant.email], subject, text, secret=True, expires_at=until)
            sms.sms_on_commit(applicant.phone, text, secret=True, expires_at=until)
        record(
            clerk,
            "registration.counter_code",
            code,
            after={"purpose": COUNTER_PURPOSE},
            organisation=clerk.organisation,
        )
    return code.pk


def open_at_counter(clerk, code_id: int, plain: str, *, ip=None) -> Applicant:
    """Check the code the applicant read out; the applicant the clerk may now open."""
    authorize(clerk, "registration.register", clerk.organisation)
    with transaction.atomic():
        code, refused = codes.verify(COUNTER_PURPOSE, plain, code_id=code_id, ip=ip)
        if refused is None:
            applicant = Applicant.objects.filter(pk=code.payload.get("applicant") or 0).first()
            if applicant is not None and code.payload.get("clerk") == clerk.pk:
                record(
                    clerk,
                    "registration.counter_access",
                    applicant,
                    after={"minutes": COUNTER_MINUTES},
                    organisation=clerk.organisation,
                )
                return applicant
            refused = _("The code is wrong or has expired. Ask for a new one.")
    codes.refuse(COUNTER_PURPOSE, refused, ip, code)
