import copy

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kari.catalogue.models import Direction, Field, Municipality

from .models import TestLanguage

FOREIGN_CHOICES = [
    ("", "—"),
    ("en", _("English")),
    ("de", _("German")),
    ("ru", _("Russian")),
    ("fr", _("French")),
]


class RegistrationForm(forms.Form):
    """Raw input only; kari.registration.rules validates (the one place the rules live), every
    field in one pass, so nothing here is required: the rules say what is missing and what to
    do about it."""

    personal_number = forms.CharField(
        label=_("Personal number (11 digits)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    document_number = forms.CharField(
        label=_("ID card number"),
        help_text=_(
            "The document number printed on your ID card. With the personal number it shows "
            "that the registration is yours."
        ),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    exam_municipality = forms.ChoiceField(label=_("Where you want to sit the test"), required=False)
    test_language = forms.ChoiceField(
        label=_("Test language"), choices=TestLanguage.choices, required=False
    )
    foreign_language = forms.ChoiceField(
        label=_("Foreign language"), choices=FOREIGN_CHOICES, required=False
    )
    adapted_environment = forms.CharField(
        label=_("Do you need an adapted environment? Describe it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    carried_over = forms.BooleanField(
        label=_("Use my scores from the previous round (A28)"), required=False
    )
    retakes_test = forms.BooleanField(
        label=_(
            "With carried-over scores: I will also sit the test again; "
            "then only the new results count, even if lower (A28.5)"
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        english = (get_language() or "ka").startswith("en")  # as Bilingual.name, without models
        self.fields["exam_municipality"].choices = [("", "—")] + sorted(
            (
                (code, en if english and en else ka)
                for code, ka, en in Municipality.objects.values_list("code", "name_ka", "name_en")
            ),
            key=lambda c: c[1],
        )


# A clerk's registration page speaks about the applicant, not to them (A15.1, A16).
CLERK_LABELS = {
    "exam_municipality": _("Where the applicant wants to sit the test"),
    "adapted_environment": _("Does the applicant need an adapted environment? Describe it"),
    "carried_over": _("Use the applicant's scores from the previous round (A28)"),
    "retakes_test": _(
        "With carried-over scores: the applicant will also sit the test again; "
        "then only the new results count, even if lower (A28.5)"
    ),
}


def for_clerk(form: forms.Form) -> forms.Form:
    form.fields.pop("document_number", None)  # the clerk sees the ID document itself
    for name, label in CLERK_LABELS.items():
        if name in form.fields:
            form.fields[name].label = label
    return form


class SubsequentForm(forms.Form):
    personal_number = RegistrationForm.base_fields["personal_number"]
    phone = RegistrationForm.base_fields["phone"]
    email = RegistrationForm.base_fields["email"]
    education_level = forms.CharField(
        label=_("Completed general-education level"), max_length=200, required=False
    )
    qualification = forms.CharField(
        label=_("Professional qualification, if any"), max_length=200, required=False
    )
    basic_education_document = forms.CharField(
        label=_("Number of the basic-education document (A6.2)"), max_length=100, required=False
    )


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Name, code or institution"), required=False, max_length=100)
    direction = forms.ChoiceField(label=_("Direction"), required=False)
    field = forms.ChoiceField(label=_("Field"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["direction"].choices = [("", _("All"))] + [
            (d.code, d.name) for d in Direction.objects.all()
        ]
        self.fields["field"].choices = [("", _("All"))] + [
            (f.code, f.name) for f in Field.objects.all()
        ]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("One-time code"),
        max_length=6,
        min_length=6,
        error_messages={
            "required": _("Enter the six-digit code from the SMS or the email."),
            "min_length": _("Enter all six digits of the code."),
            "max_length": _("Enter all six digits of the code."),
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}
        ),
    )


def _required_personal_number() -> forms.CharField:
    field = copy.deepcopy(RegistrationForm.base_fields["personal_number"])
    field.required = True
    field.error_messages["required"] = _(
        "Enter the personal number from the ID card: exactly 11 digits."
    )
    return field


class SignInForm(forms.Form):
    personal_number = _required_personal_number()


class ContactsResetForm(forms.Form):
    """A clerk resets the contacts of an applicant standing at the counter with an ID card."""

    personal_number = _required_personal_number()
    document_number = forms.CharField(
        label=_("ID card number (from the card you are holding)"), max_length=20
    )
    phone = forms.CharField(
        label=_("New mobile phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(label=_("New email"), max_length=254, widget=forms.EmailInput())
    reason = forms.CharField(
        label=_("Why the contacts are reset"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
