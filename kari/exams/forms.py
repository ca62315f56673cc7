from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kari.accounts.models import Organisation
from kari.accounts.roles import OrgKind
from kari.catalogue.models import Municipality, SkillsTest, Subject
from kari.files import UploadField
from kari.labels import PlainLabels

from . import services
from .models import BreachCategory, ExamCentre, IncidentKind, PresenceKind


class CentreForm(PlainLabels, forms.ModelForm):
    class Meta:
        model = ExamCentre
        fields = [
            "code",
            "name_ka",
            "name_en",
            "host",
            "municipality",
            "address",
            "seats",
            "sessions_per_day",
            "adapted",
            "active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].queryset = Organisation.objects.filter(
            kind__in=[OrgKind.EXAM_HOST, OrgKind.INSTITUTION]
        ).order_by("name_ka")
        self.fields["municipality"].queryset = Municipality.objects.order_by("name_ka")


class SessionForm(forms.Form):
    date = forms.DateField(label=_("Test day"), widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.TimeField(label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}))
    check_in_opens = forms.TimeField(
        label=_("Check-in opens"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    check_in_closes = forms.TimeField(
        label=_("Check-in closes"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=10, max_value=300, initial=90
    )
    skills_test = forms.ModelChoiceField(
        SkillsTest.objects.order_by("code"), required=False, label=_("Skills test")
    )
    subject = forms.ModelChoiceField(
        Subject.objects.order_by("code"), required=False, label=_("or subject")
    )


class LookupForm(forms.Form):
    personal_number = forms.CharField(
        label=_("Personal number"),
        max_length=11,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    token = forms.CharField(required=False, widget=forms.HiddenInput)


# The check-in page's actions on one applicant's sitting (A19-A21): one small form each,
# named by the action in the URL (``exams:act``). ``submit`` calls the service, which checks
# the rules, and returns the message for the next page. A field the service checks is
# optional here, so that the service's own message, with its citation, is shown beside it.


class SittingActionForm(forms.Form):
    level = messages.SUCCESS  # of the message shown after the action
    # each action's form defines it: the service's call, and the message for the next page
    submit: Callable[[Any, Any], str]


class AdmitForm(SittingActionForm):
    """A19.1-2: the applicant showed an ID document and the invitation."""

    def submit(self, actor, sitting) -> str:
        services.admit(actor, sitting)
        return gettext("Admitted.")


class AdmitVerifiedForm(SittingActionForm):
    """A20.3: no ID document; admitted once NAEC, EMIS or the institution verified the data."""

    verified_by = forms.CharField(
        label=_("Verified by (NAEC, EMIS or the institution, and the person)"),
        max_length=200,
        required=False,
    )

    def submit(self, actor, sitting) -> str:
        services.admit(
            actor, sitting, documents_shown=False, verified_by=self.cleaned_data["verified_by"]
        )
        return gettext("Admitted after verification (A20.3).")


class RefuseForm(SittingActionForm):
    """A20.2: entry refused (check-in closed, or other grounds)."""

    reason = forms.CharField(label=_("Reason"), required=False)

    def submit(self, actor, sitting) -> str:
        services.refuse_entry(actor, sitting, reason=self.cleaned_data["reason"])
        return gettext("Entry refused.")


class BreachForm(SittingActionForm):
    """A21: a breach of A20.6; the service decides between a warning and removal."""

    level = messages.WARNING
    # No default: an empty "choose…" first, and a breach must be chosen (a default would be
    # recorded, and printed on the protocol, when the proctor only meant to open the form).
    category = forms.ChoiceField(
        label=_("Breach (A20.6)"),
        choices=[("", _("Choose the breach…")), *BreachCategory.choices],
        error_messages={"required": _("Choose the breach from the list (A20.6).")},
    )
    note = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def submit(self, actor, sitting) -> str:
        incident = services.report_breach(actor, sitting, **self.cleaned_data)
        if incident.kind == IncidentKind.REMOVAL:
            return gettext("Removed from the test: download the protocol (A21).")
        return gettext("Warning recorded (A21).")


CHECKIN_ACTIONS = {
    "admit": AdmitForm,
    "admit_verified": AdmitVerifiedForm,
    "refuse": RefuseForm,
    "breach": BreachForm,
}


class NoShowsForm(forms.Form):
    """A20.4: when the session starts, everyone not checked in is marked absent."""


class PresenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Capacity (A22)"), choices=PresenceKind.choices)
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    document = forms.CharField(label=_("Pass or authorisation number"), max_length=60)


class UploadForm(forms.Form):
    file = UploadField(label=_("File (CSV or XLSX)"), extensions=("csv", "xlsx"))


class NumbersForm(forms.Form):
    file = UploadField(label=_("File (CSV or JSON)"), extensions=("csv", "json"))


class RescheduleForm(forms.Form):
    date = forms.DateField(label=_("New test day"), widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.TimeField(label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}))
    check_in_opens = forms.TimeField(
        label=_("Check-in opens"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    check_in_closes = forms.TimeField(
        label=_("Check-in closes"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    reason = forms.CharField(
        label=_("What happened (A18.2)"), widget=forms.Textarea(attrs={"rows": 2})
    )


class MoveForm(forms.Form):
    registration = forms.CharField(
        label=_("Registration number"),
        max_length=12,
        help_text=_("As on the printout, e.g. R-000123."),
    )
    centre = forms.ModelChoiceField(
        ExamCentre.objects.active().order_by("code"), label=_("New exam centre")
    )
    reason = forms.CharField(label=_("Reason (A15.8)"), widget=forms.Textarea(attrs={"rows": 2}))

    def clean_registration(self):
        value = self.cleaned_data["registration"].strip().upper().removeprefix("R-")
        if not value.isdigit():
            raise forms.ValidationError(_("Enter a registration number such as R-000123."))
        return int(value)
