"""Validation of catalogue data: the one place these rules live.

Each function raises ValidationError with a dict {field: [message]} so that forms keep
what the user typed and imports can report line and field.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari.identity.validators import clean_contacts, clean_phone

from .models import (
    Field,
    ForeignLanguage,
    Institution,
    Municipality,
    SkillsTest,
    Stage,
    SubjectGroup,
)

MIN_PLACES = 5  # A13.4(e)
SEN_SHARE_PERCENT = 10  # A13.2

# "Unknown …" messages of _lookup, one per looked-up field, so each reads naturally in Georgian.
_UNKNOWN = {
    "field": gettext_lazy("Unknown field “%(value)s”."),
    "skills_test": gettext_lazy("Unknown skills test “%(value)s”."),
    "subject_group": gettext_lazy("Unknown subject group “%(value)s”."),
    "municipality": gettext_lazy("Unknown municipality “%(value)s”."),
}


def check_places(places, sen_places, *, work_based: bool, intake_limit: dict | None = None) -> None:
    """A13.4(e): at least 5 places; A13.2: at least 10% reserved for SEN applicants,
    except on work-based programmes (A10.4); A27.10: no more than the limit left after the
    previous round's tie-rule extra places were subtracted (``intake_limit``, from
    ``selectors.next_intake_limit``)."""
    errors = {}
    if places is None or places < MIN_PLACES:
        errors["places"] = [
            _("A programme needs at least %(n)s places (A13.4(e)).") % {"n": MIN_PLACES}
        ]
    elif intake_limit is not None and places > intake_limit["limit"]:
        errors["places"] = [
            _(
                "At most %(limit)s places: %(reduction)s are subtracted from %(base)s for the "
                "students the tie rule added beyond the limit last round (A27.10)."
            )
            % intake_limit
        ]
    if sen_places is None or sen_places < 0:
        errors["sen_places"] = [_("SEN places cannot be negative.")]
    elif places is not None and sen_places > places:
        errors["sen_places"] = [_("SEN places cannot exceed the programme's places.")]
    elif not work_based and places is not None and sen_places * 100 < places * SEN_SHARE_PERCENT:
        needed = -(-places * SEN_SHARE_PERCENT // 100)
        errors["sen_places"] = [
            _(
                "At least 10%% of places are reserved for SEN applicants: %(needed)s of %(places)s "
                "(A13.2)."
            )
            % {"needed": needed, "places": places}
        ]
    if errors:
        raise ValidationError(errors)


def _lookup(errors, field, model, value, *, required=True, key="code"):
    if value in (None, ""):
        if required:
            errors[field] = [_("This field is required.")]
        return None
    obj = model.objects.filter(**{key: value}).first()
    if obj is None:
        if field in _UNKNOWN:
            errors[field] = [_UNKNOWN[field] % {"value": value}]
        else:
            errors[field] = [
                _("Unknown %(field)s “%(value)s”.")
                % {"field": field.replace("_", " "), "value": value}
            ]
    return obj


def _flag(errors, field, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in ("", "0", "no", "false", "არა"):
        return False
    if text in ("1", "yes", "true", "კი", "x"):
        return True
    errors[field] = [_("Use yes or no, not “%(value)s”.") % {"value": value}]
    return False


def clean_programme(data: dict) -> dict:
    """Validate raw programme data (codes for related objects); return model field values."""
    errors: dict[str, list[str]] = {}
    out: dict = {}
    code = str(data.get("code") or "").strip()
    required = _("This field is required.")
    if not code:
        errors["code"] = [required]
    elif len(code) > 30:
        errors["code"] = [_("At most 30 characters.")]
    out["code"] = code
    for f in ("name_ka", "name_en"):
        out[f] = str(data.get(f) or "").strip()
    if not out["name_ka"]:
        errors["name_ka"] = [required]
    out["field"] = _lookup(errors, "field", Field, data.get("field"))
    stage = str(data.get("stage") or Stage.PRIMARY).strip()
    if stage not in Stage.values:
        errors["stage"] = [_("Stage is primary or subsequent, not “%(stage)s”.") % {"stage": stage}]
    out["stage"] = stage
    for f in ("art_sport_tourism", "work_based", "framework_based"):
        out[f] = _flag(errors, f, data.get(f))
    primary = stage == Stage.PRIMARY
    # A7.1-2: a primary-stage programme names one skills test and its subject group.
    out["skills_test"] = _lookup(
        errors, "skills_test", SkillsTest, data.get("skills_test"), required=primary
    )
    out["subject_group"] = _lookup(
        errors, "subject_group", SubjectGroup, data.get("subject_group"), required=primary
    )
    if errors.get("skills_test") == [required]:
        errors["skills_test"] = [_("A primary-stage programme names its skills test (A7.1).")]
    if errors.get("subject_group") == [required]:
        errors["subject_group"] = [
            _("A primary-stage programme names its subject group (A7.2, A7.4).")
        ]
    lang = str(data.get("foreign_language") or ForeignLanguage.ANY).strip().lower()
    if lang not in ForeignLanguage.values:
        errors["foreign_language"] = [
            _(
                "Foreign language is one of English (en), German (de), Russian (ru), French (fr), "
                "or “any” when the institution names none (A7.3, A7.5)."
            )
        ]
    out["foreign_language"] = lang
    out["extra_requirements"] = str(data.get("extra_requirements") or "").strip()
    out["work_based_specifics"] = str(data.get("work_based_specifics") or "").strip()
    if out["work_based"] and not out["work_based_specifics"]:
        errors["work_based_specifics"] = [
            _(
                "A work-based programme states its competition and delivery specifics "
                "(A13.4(g), A10.3)."
            )
        ]
    auth = data.get("authorised_places")
    if auth in (None, ""):
        out["authorised_places"] = None
    else:
        try:
            out["authorised_places"] = int(str(auth).strip())
            if out["authorised_places"] < 0:
                raise ValueError
        except ValueError:
            errors["authorised_places"] = [_("Enter a whole number of places.")]
    if errors:
        raise ValidationError(errors)
    return out


def clean_institution(data: dict) -> dict:
    """A13.4(a)-(d): legal form and full name, postal address, phone and email, heads."""
    errors: dict[str, list[str]] = {}
    out: dict = {}
    out["code"] = str(data.get("code") or "").strip().lower()
    if not out["code"]:
        errors["code"] = [_("This field is required.")]
    for f in ("name_ka", "name_en", "legal_form", "address"):
        out[f] = str(data.get(f) or "").strip()
    for f in ("name_ka", "legal_form", "address"):
        if not out[f]:
            errors[f] = [_("This field is required (A13.4).")]
    out["municipality"] = _lookup(errors, "municipality", Municipality, data.get("municipality"))
    clean_contacts(data, errors, out)
    heads = data.get("heads") or []
    if isinstance(heads, str):
        heads = parse_heads(heads, errors)
    out["heads"] = heads
    if not heads and "heads" not in errors:
        errors["heads"] = [_("Name at least one head with a phone (A13.4(d)).")]
    if errors:
        raise ValidationError(errors)
    return out


def parse_heads(text: str, errors: dict) -> list[dict]:
    """“Name: phone; Name: phone” into [{"name", "phone"}]."""
    heads = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, phone = part.rpartition(":")
        if not sep or not name.strip():
            errors["heads"] = [
                _("Write each head as “Name: phone”, not “%(part)s”.") % {"part": part}
            ]
            return []
        try:
            heads.append({"name": name.strip(), "phone": clean_phone(phone)})
        except ValidationError:
            errors["heads"] = [
                _("“%(phone)s” is not a Georgian phone number.") % {"phone": phone.strip()}
            ]
            return []
    return heads


def format_heads(heads: list[dict]) -> str:
    return "; ".join(f"{h['name']}: {h['phone']}" for h in heads)


def institution_by_code(code: str) -> Institution | None:
    return (
        Institution.objects.select_related("organisation")
        .filter(organisation__code=str(code or "").strip().lower())
        .first()
    )
