"""Validation of registration data: the one place the registration rules live.

Raises ValidationError({field: [message]}) so forms keep what the applicant typed.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kari.catalogue.models import (
    AnnouncementStatus,
    ForeignLanguage,
    Municipality,
    Programme,
    Stage,
    Subject,
)
from kari.identity.registry import get_registry
from kari.identity.validators import clean_contacts, clean_personal_number

from .models import TestLanguage

FOREIGN = ("en", "de", "ru", "fr")  # A7.3
FOREIGN_SUBJECT = "foreign_language"  # the A7.3(c) subject in a subject group


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
    related = ("skills_test", "subject_group", "field") if stage == Stage.PRIMARY else ("field",)
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


def clean_person(data: dict, errors: dict, *, blind: bool = False) -> dict:
    """The personal number and the contacts. ``blind``: the civil registry is not asked (an
    anonymous online request whose ID card number is not proven yet learns nothing of the
    person; ``person`` is None)."""
    out = {}
    try:
        out["personal_number"] = clean_personal_number(data.get("personal_number"))
        person = None if blind else get_registry().lookup(out["personal_number"])
        if person is None and not blind:
            errors["personal_number"] = [
                _(
                    "The civil registry has no person with this personal number: check the "
                    "number on the ID card (A17.5)."
                )
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


def needs_foreign_language(programmes) -> bool:
    """A15.3(f), A7.3(c): a foreign language is asked for only when the subject group has one."""
    groups = {p.subject_group_id for p in programmes if p.subject_group_id}
    return Subject.objects.filter(groups__in=groups, code=FOREIGN_SUBJECT).exists()


def check_primary_combination(
    programmes, test_language, foreign_language, errors: dict, *, needs_language=None
) -> None:
    """A15.3(d) one skills test and subject group; A4.2 test language; A7.5, A4.3 foreign
    language. ``needs_language``: :func:`needs_foreign_language` of ``programmes`` if the
    caller has it already (one query saved)."""
    if not programmes:
        return
    tests = {(p.skills_test_id, p.subject_group_id) for p in programmes}
    if len(tests) > 1:
        errors["programmes"] = [
            _(
                "All programmes must share one skills test and one subject group: remove the "
                "ones that differ from your first choice (A15.3(d))."
            )
        ]
    elif len({p.field.direction_id for p in programmes}) > 1:
        errors["programmes"] = [
            _(
                "A ranked list stays within one direction of the qualifications framework: "
                "remove the programmes of another direction (A2(e), A14.1)."
            )
        ]
    if test_language not in TestLanguage.values:
        errors["test_language"] = [_("Choose one test language.")]
    elif test_language != TestLanguage.KA and not all(p.framework_based for p in programmes):
        not_fw = ", ".join(f"{p.name} ({p.code})" for p in programmes if not p.framework_based)
        errors["test_language"] = [
            _(
                "Russian, Azerbaijani or Armenian is allowed only if every programme is built "
                "on a framework document; these are not: %(codes)s. Choose Georgian as the "
                "test language, or remove these programmes from the list (A4.2)."
            )
            % {"codes": not_fw}
        ]
    if needs_language is None:
        needs_language = needs_foreign_language(programmes)
    if not needs_language:
        return  # A15.3(f): not asked for (clean_primary drops one given anyway)
    if foreign_language not in FOREIGN:
        errors["foreign_language"] = [
            _("Choose one foreign language: English, German, Russian or French (A7.3).")
        ]
    else:
        wrong = [p for p in programmes if p.foreign_language not in ("any", foreign_language)]
        if wrong:
            errors["foreign_language"] = [
                _(
                    "%(programme)s needs %(language)s as the foreign language. Choose "
                    "%(language)s, or remove this programme from the list (A7.5)."
                )
                % {
                    "programme": f"{p.name} ({p.code})",
                    "language": ForeignLanguage(p.foreign_language).label,
                }
                for p in wrong
            ]
        elif test_language == TestLanguage.RU and foreign_language == "ru":
            errors["foreign_language"] = [
                _(
                    "With Russian as the test language the foreign language cannot be Russian: "
                    "choose English, German or French (A4.3)."
                )
            ]


def clean_primary(data: dict, round_, *, blind: bool = False) -> dict:
    """All of A15.3's data, checked. Returns the cleaned values (programmes as objects).

    ``blind``: only what does not depend on the person (their format, the catalogue): the
    civil registry is not asked, so nothing is said of the person's age (A13.4(f))."""
    errors: dict[str, list[str]] = {}
    out = clean_person(data, errors, blind=blind)
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
    needs_language = bool(out["programmes"]) and needs_foreign_language(out["programmes"])
    if out["programmes"] and not needs_language:
        out["foreign_language"] = ""  # A15.3(f): only with a foreign language in the group
    check_primary_combination(
        out["programmes"],
        out["test_language"],
        out["foreign_language"],
        errors,
        needs_language=needs_language,
    )
    out["carried_over"] = bool(data.get("carried_over"))
    out["warnings"] = check_requirements(out["programmes"], out.get("person"), round_, errors)
    if errors:
        raise ValidationError(errors)
    return out


def _age_on(birth, day) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_requirements(programmes, person, round_, errors: dict) -> list[str]:
    """A13.4(f), article 2(a): the programmes' checkable requirements.

    A minimum age on a date is unconditional and the civil registry gives the birth date, so
    a programme the applicant is too young for is refused. The education level is not refused:
    article 2(a) joins it with „ან/და“ (a 9th-grader registering in spring may complete basic
    education by enrolment), so the applicant is warned and the institution sees the warning.
    """
    warnings, too_young = [], []
    for p in programmes:
        if p.min_age and person is not None:
            day = p.min_age_on or round_.test_starts
            if _age_on(person.birth_date, day) < p.min_age:
                too_young.append(
                    _("%(code)s: at least %(age)s years old on %(date)s")
                    % {"code": p.code, "age": p.min_age, "date": f"{day:%d.%m.%Y}"}
                )
        if p.min_education:
            warnings.append(
                _(
                    "%(code)s asks for completed %(level)s; you may register if you will have "
                    "it by enrolment, and the institution is told (A2(a), A13.4(f))."
                )
                % {"code": p.code, "level": p.get_min_education_display()}
            )
        if p.other_documents:
            warnings.append(
                _("%(code)s: bring these documents to the institution: %(documents)s")
                % {"code": p.code, "documents": p.other_documents}
            )
    if too_young:
        errors.setdefault("programmes", []).append(
            _("These programmes' minimum age is not met: %(list)s (A13.4(f)).")
            % {"list": "; ".join(too_young)}
        )
    return warnings


def clean_subsequent(data: dict, round_) -> dict:
    """A16.3 data; A14.2: programmes within one institution and one direction or field."""
    errors: dict[str, list[str]] = {}
    out = clean_person(data, errors)
    for f in ("education_level", "qualification"):
        out[f] = str(data.get(f) or "").strip()[:200]
    if not out["education_level"]:
        errors["education_level"] = [_("Enter the completed general-education level (A16.3).")]
    out["basic_education_document"] = str(data.get("basic_education_document") or "").strip()[:100]
    if not out["basic_education_document"]:
        errors["basic_education_document"] = [
            _(
                "Enter the number of the basic-education document: the subsequent-stage test "
                "needs it (A6.2)."
            )
        ]
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
