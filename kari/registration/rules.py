"""Validation of registration data: the one place the registration rules live.

Raises ValidationError({field: [message]}) so forms keep what the applicant typed.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kari.catalogue.models import AnnouncementStatus, Municipality, Programme, Stage
from kari.identity.registry import get_registry
from kari.identity.validators import clean_contacts, clean_personal_number

from .models import TestLanguage

FOREIGN = ("en", "de", "ru", "fr")  # A7.3


def offered_programmes(round_, stage=Stage.PRIMARY):
    """Programmes of confirmed announcements in this round (A13.5, A13.9)."""
    return Programme.objects.filter(
        stage=stage,
        announced__announcement__round=round_,
        announced__announcement__status=AnnouncementStatus.CONFIRMED,
    ).select_related("skills_test", "subject_group", "institution__organisation", "field")


def chosen_programmes(round_, codes, stage=Stage.PRIMARY):
    """The offered programmes among `codes`: the same filter as `offered_programmes`, with only
    the relations the rules and the registration need (a 3-way join plans ~5x faster)."""
    related = ("skills_test", "subject_group") if stage == Stage.PRIMARY else ("field",)
    return (
        Programme.objects.filter(
            stage=stage,
            code__in=codes,
            announced__announcement__round=round_,
            announced__announcement__status=AnnouncementStatus.CONFIRMED,
        )
        .select_related(*related)
        .order_by()
    )  # no ordering: the caller maps them by code


def clean_person(data: dict, errors: dict) -> dict:
    out = {}
    try:
        out["personal_number"] = clean_personal_number(data.get("personal_number"))
        person = get_registry().lookup(out["personal_number"])
        if person is None:
            errors["personal_number"] = [
                _("The civil registry has no person with this personal number (A17.5).")
            ]
        out["person"] = person
    except ValidationError as exc:
        errors["personal_number"] = exc.messages
    clean_contacts(data, errors, out)
    return out


def clean_programmes(codes, round_, errors: dict, stage=Stage.PRIMARY) -> list[Programme]:
    codes = [str(c).strip() for c in (codes or []) if str(c).strip()]
    if not codes:
        errors["programmes"] = [_("Choose at least one programme.")]
        return []
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        errors["programmes"] = [
            _("Each programme can be listed once: %(codes)s.") % {"codes": ", ".join(dupes)}
        ]
        return []
    found = {p.code: p for p in chosen_programmes(round_, codes, stage)}
    missing = [c for c in codes if c not in found]
    if missing:
        errors["programmes"] = [
            _("Not offered in this round: %(codes)s (A13.5).") % {"codes": ", ".join(missing)}
        ]
        return []
    return [found[c] for c in codes]


def check_primary_combination(programmes, test_language, foreign_language, errors: dict) -> None:
    """A15.3(d) one skills test and subject group; A4.2 test language; A7.5, A4.3 foreign
    language."""
    if not programmes:
        return
    tests = {(p.skills_test_id, p.subject_group_id) for p in programmes}
    if len(tests) > 1:
        errors["programmes"] = [
            _("All programmes must share one skills test and one subject group (A15.3(d)).")
        ]
    if test_language not in TestLanguage.values:
        errors["test_language"] = [_("Choose one test language.")]
    elif test_language != TestLanguage.KA and not all(p.framework_based for p in programmes):
        not_fw = ", ".join(p.code for p in programmes if not p.framework_based)
        errors["test_language"] = [
            _(
                "Russian, Azerbaijani or Armenian is allowed only if every programme is built "
                "on a framework document; these are not: %(codes)s (A4.2)."
            )
            % {"codes": not_fw}
        ]
    if foreign_language not in FOREIGN:
        errors["foreign_language"] = [
            _("Choose one foreign language: English, German, Russian or French (A7.3).")
        ]
    else:
        wrong = [p.code for p in programmes if p.foreign_language not in ("any", foreign_language)]
        if wrong:
            errors["foreign_language"] = [
                _("These programmes require another foreign language: %(codes)s (A7.5).")
                % {"codes": ", ".join(wrong)}
            ]
        elif test_language == TestLanguage.RU and foreign_language == "ru":
            errors["foreign_language"] = [
                _(
                    "With Russian as the test language "
                    "the foreign language cannot be Russian (A4.3)."
                )
            ]


def clean_primary(data: dict, round_) -> dict:
    """All of A15.3's data, checked. Returns the cleaned values (programmes as objects)."""
    errors: dict[str, list[str]] = {}
    out = clean_person(data, errors)
    muni = str(data.get("exam_municipality") or "").strip()
    out["exam_municipality"] = Municipality.objects.filter(code=muni).first() if muni else None
    if out["exam_municipality"] is None:
        errors["exam_municipality"] = [
            _("Choose the municipality where you want to sit the test (A15.3(c)).")
        ]
    out["test_language"] = str(data.get("test_language") or "ka")
    out["foreign_language"] = str(data.get("foreign_language") or "")
    out["adapted_environment"] = str(data.get("adapted_environment") or "").strip()[:2000]
    out["programmes"] = clean_programmes(data.get("programmes"), round_, errors)
    check_primary_combination(
        out["programmes"], out["test_language"], out["foreign_language"], errors
    )
    out["carried_over"] = bool(data.get("carried_over"))
    if errors:
        raise ValidationError(errors)
    return out


def clean_subsequent(data: dict, round_) -> dict:
    """A16.3 data; A14.2: programmes within one institution and one direction or field."""
    errors: dict[str, list[str]] = {}
    out = clean_person(data, errors)
    for f in ("education_level", "qualification"):
        out[f] = str(data.get(f) or "").strip()[:200]
    if not out["education_level"]:
        errors["education_level"] = [_("Enter the completed general-education level (A16.3).")]
    out["programmes"] = clean_programmes(data.get("programmes"), round_, errors, Stage.SUBSEQUENT)
    progs = out["programmes"]
    if progs and len({p.institution_id for p in progs}) > 1:
        errors["programmes"] = [
            _("Subsequent-stage programmes must be within one institution (A14).")
        ]
    elif progs and len({p.field.direction_id for p in progs}) > 1:
        errors["programmes"] = [
            _("Subsequent-stage programmes must be within one direction or field (A14).")
        ]
    if errors:
        raise ValidationError(errors)
    return out
