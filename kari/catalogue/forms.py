from django import forms
from django.utils.translation import gettext_lazy as _

from kari.files import UploadField
from kari.tabular import FORMATS

from .models import EducationLevel, Field, ForeignLanguage, SkillsTest, Stage, SubjectGroup


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[("institutions", _("Institutions")), ("programmes", _("Programmes"))],
    )
    file = UploadField(label=_("CSV or XLSX file"), extensions=FORMATS)
    reason = forms.CharField(label=_("Reason (for the audit log)"), required=False, max_length=300)


class FlagForm(forms.Form):
    reason = forms.CharField(
        label=_("What differs from the authorisation (A13.6)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _choices(model):
    return [("", "—")] + [(o.code, f"{o.code} · {o.name}") for o in model.objects.all()]


class ProgrammeForm(forms.Form):
    """Raw input only: the service validates (kari.catalogue.rules.clean_programme)."""

    code = forms.CharField(label=_("Identification code"), max_length=30)
    name_ka = forms.CharField(label=_("Name (Georgian)"), max_length=300)
    name_en = forms.CharField(label=_("Name (English)"), max_length=300, required=False)
    field = forms.ChoiceField(label=_("Field"))
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    skills_test = forms.ChoiceField(label=_("Skills test"), required=False)
    subject_group = forms.ChoiceField(label=_("Subject group"), required=False)
    foreign_language = forms.ChoiceField(
        label=_("Foreign language"), choices=ForeignLanguage.choices
    )
    art_sport_tourism = forms.BooleanField(
        label=_("Art, sport or tourism programme (A9)"), required=False
    )
    work_based = forms.BooleanField(label=_("Work-based programme (A10)"), required=False)
    framework_based = forms.BooleanField(
        label=_("Built on a programme framework document (A4.2)"), required=False
    )
    extra_requirements = forms.CharField(
        label=_("Extra admission requirements"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    min_education = forms.ChoiceField(
        label=_("Minimum general-education level"), choices=EducationLevel.choices, required=False
    )
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, min_value=10)
    min_age_on = forms.DateField(
        label=_("Minimum age reached on (blank: the first test day)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    other_documents = forms.CharField(
        label=_("Other documents to submit"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    work_based_specifics = forms.CharField(
        label=_("Competition and delivery specifics (work-based)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    authorised_places = forms.IntegerField(
        label=_("Authorised places"), required=False, min_value=0
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = _choices(Field)
        self.fields["skills_test"].choices = _choices(SkillsTest)
        self.fields["subject_group"].choices = _choices(SubjectGroup)
