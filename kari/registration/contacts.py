"""A clerk resets an applicant's contacts (issue 11, point 2).

When the applicant no longer has the phone or email on record, a code cannot reach them. A
registration clerk who has seen the applicant's ID card enters its document number (checked
against the civil registry), the new contacts and the reason; the change is audited and the
old contacts are told, so a reset by someone else does not go unnoticed.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kari import notify
from kari.accounts.permissions import authorize
from kari.audit.log import record
from kari.identity.registry import get_registry, proves_identity
from kari.identity.validators import clean_contacts, clean_personal_number

from .models import Applicant
from .services import IDENTITY_REFUSED, tell_old_contacts


def reset_contacts(
    clerk, *, personal_number, document_number, phone, email, reason: str
) -> Applicant:
    authorize(clerk, "registration.register", clerk.organisation)
    errors: dict = {}
    try:
        personal_number = clean_personal_number(personal_number)
    except ValidationError as exc:
        errors["personal_number"] = exc.messages
    out: dict = {}
    clean_contacts({"phone": phone, "email": email}, errors, out)
    if not str(reason or "").strip():
        errors["reason"] = [_("Say why the contacts are reset.")]
    if errors:
        raise ValidationError(errors)
    applicant = Applicant.objects.filter(personal_number=personal_number).first()
    person = get_registry().lookup(personal_number) if applicant else None
    if applicant is None or not proves_identity(person, document_number):
        msg = str(IDENTITY_REFUSED)
        raise ValidationError({"personal_number": [msg], "document_number": [msg]})
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant.pk)
        old = (applicant.phone, applicant.email)
        applicant.phone, applicant.email = out["phone"], out["email"]
        applicant.save(update_fields=["phone", "email"])
        record(
            clerk,
            "applicant.contacts_reset",
            applicant,
            before={"phone": notify.mask_phone(old[0]), "email": notify.mask_email(old[1])},
            after={
                "phone": notify.mask_phone(applicant.phone),
                "email": notify.mask_email(applicant.email),
            },
            reason=str(reason).strip()[:500],
            organisation=clerk.organisation,
        )
        if old != (applicant.phone, applicant.email):
            tell_old_contacts(*old)
    return applicant
