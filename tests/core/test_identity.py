"""Personal numbers, phone numbers and the civil-registry adapter (A17.5)."""

import json

import pytest
from django.core.exceptions import ValidationError

from kari.identity import validators
from kari.identity.registry import LocalFileRegistry, get_registry


@pytest.mark.parametrize("value", ["01024012345", "61001012345", " 010 240 12345 "])
def test_personal_number_is_11_digits_and_may_start_with_zero(value):
    assert validators.clean_personal_number(value) == value.replace(" ", "").strip()


@pytest.mark.parametrize("value", ["0102401234", "010240123456", "0102401234a", "", None])
def test_personal_number_rejects_other_lengths(value):
    with pytest.raises(ValidationError):
        validators.clean_personal_number(value)


def test_nine_digits_is_explained_as_a_document_number():
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as exc:
        validators.clean_personal_number("123456789")
    assert "9-digit" in exc.value.messages[0]
    with translation.override("ka"), pytest.raises(ValidationError) as exc:
        validators.clean_personal_number("123456789")
    assert "9" in exc.value.messages[0] and "digit" not in exc.value.messages[0]


@pytest.mark.parametrize(
    "value,expected",
    [
        ("+995 555 12 34 56", "+995555123456"),
        ("555123456", "+995555123456"),
        ("+995 32 212 34 56", "+995322123456"),
    ],
)
def test_georgian_phone_numbers(value, expected):
    assert validators.clean_phone(value) == expected


@pytest.mark.parametrize("value", ["+7 916 123 45 67", "12345", "+995 555 12", ""])
def test_non_georgian_or_invalid_phone_numbers_are_refused(value):
    with pytest.raises(ValidationError):
        validators.clean_phone(value)


def test_mobile_numbers_are_told_apart():
    assert validators.is_mobile("+995555123456")
    assert not validators.is_mobile("+995322123456")


def test_masking_hides_all_but_three_digits():
    assert validators.mask_personal_number("01024012345").endswith("345")
    assert "0102401" not in validators.mask_personal_number("01024012345")


def test_A17_5_local_file_registry_looks_people_up(tmp_path, settings):
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps(
            [
                {
                    "personal_number": "01024012345",
                    "first_name_ka": "ნინო",
                    "last_name_ka": "ბერიძე",
                    "first_name_en": "Nino",
                    "last_name_en": "Beridze",
                    "birth_date": "2008-03-01",
                }
            ]
        ),
        "utf-8",
    )
    settings.KARI_CIVIL_REGISTRY = {
        "BACKEND": "kari.identity.registry.LocalFileRegistry",
        "PATH": str(path),
    }
    registry = get_registry()
    assert isinstance(registry, LocalFileRegistry)
    person = registry.lookup("01024012345")
    assert person.full_name_ka == "ნინო ბერიძე" and person.birth_date.year == 2008
    assert registry.lookup("01024099999") is None
    with pytest.raises(ValidationError):
        registry.lookup("123")


def test_rule_errors_name_the_citation_once():
    from kari.errors import RuleError

    assert RuleError("Closed (A15.7).", citation="A15.7").messages == ["Closed (A15.7)."]
    assert RuleError("Closed.", field="x", citation="A15.7").message_dict == {
        "x": ["Closed. (მუხ. 15.7)"]  # the suite runs in Georgian
    }
