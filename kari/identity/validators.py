"""Validation of Georgian personal numbers and phone numbers (docs/facts.md)."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

PERSONAL_NUMBER = re.compile(r"^\d{11}$")


def clean_personal_number(value) -> str:
    """A personal number is exactly 11 digits and may start with 0 (no check digit)."""
    text = str(value or "").strip().replace(" ", "")
    if not PERSONAL_NUMBER.match(text):
        if re.fullmatch(r"\d{9}", text):
            raise ValidationError(
                _("This is a 9-digit document or tax number; a personal number has 11 digits."),
                code="personal_number",
            )
        raise ValidationError(
            _("Enter the personal number from the ID card: exactly 11 digits."),
            code="personal_number",
        )
    return text


def clean_phone(value) -> str:
    """A Georgian phone number (+995 and 9 digits), returned in E.164 form (+9955XXXXXXXX)."""
    text = str(value or "").strip()
    try:
        number = phonenumbers.parse(text, "GE")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("Enter a Georgian phone number, e.g. +995 555 12 34 56."), code="phone"
        ) from exc
    if number.country_code != 995 or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Enter a Georgian phone number, e.g. +995 555 12 34 56."), code="phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    number = phonenumbers.parse(e164, "GE")
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def format_phone(e164: str) -> str:
    return phonenumbers.format_number(
        phonenumbers.parse(e164, "GE"), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


def mask_personal_number(value: str) -> str:
    """For logs and screens that need no more: only the last three digits."""
    return "•" * 8 + value[-3:] if value else ""


def clean_contacts(data: dict, errors: dict, out: dict) -> None:
    """Phone (Georgian) and email from raw input into `out`; problems into `errors` by field."""
    try:
        out["phone"] = clean_phone(data.get("phone"))
    except ValidationError as exc:
        errors["phone"] = exc.messages
    out["email"] = str(data.get("email") or "").strip()
    try:
        validate_email(out["email"])
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
