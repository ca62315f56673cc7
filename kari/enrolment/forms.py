from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Funding, Option


class TermsForm(forms.Form):
    documents = forms.CharField(
        label=_("Documents to submit, one per line"), widget=forms.Textarea(attrs={"rows": 5})
    )
    submit_until = forms.DateField(
        label=_("Submit by"), widget=forms.DateInput(attrs={"type": "date"})
    )
    duration_months = forms.IntegerField(label=_("Duration in months"), min_value=1)
    studies_start = forms.DateField(
        label=_("Studies begin on"),
        required=False,
        help_text=_("SEN applicants are enrolled before this day (A41.2)."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("Note for applicants"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SenTermsForm(forms.Form):
    """A41.1: the head's deadline for the SEN applicants' enrolment documents; A41.2: the day
    studies begin. The documents and the duration only when the programme has no list yet."""

    act_number = forms.CharField(label=_("Number of your act fixing the deadline"), max_length=40)
    act_date = forms.DateField(
        label=_("Date of your act"),
        help_text=_("Due within 5 days of the minister's act (A41.1); a later act is marked late."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    submit_until = forms.DateField(
        label=_("Submit the enrolment documents by"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    studies_start = forms.DateField(
        label=_("Studies begin on"),
        help_text=_("The applicants are enrolled by act and contract before this day (A41.2)."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    documents = forms.CharField(
        label=_("Documents to submit, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    duration_months = forms.IntegerField(label=_("Duration in months"), min_value=1, required=False)

    def __init__(self, *args, has_list=False, **kwargs):
        super().__init__(*args, **kwargs)
        if has_list:  # the programme's A29.1 list applies
            del self.fields["documents"]
            del self.fields["duration_months"]


class TemplateForm(forms.Form):
    clauses = forms.CharField(
        label=_("Contract clauses (Georgian)"), widget=forms.Textarea(attrs={"rows": 10})
    )


class ContractForm(forms.Form):
    funding = forms.ChoiceField(label=_("Funding"), choices=Funding.choices)
    lacks_capacity = forms.BooleanField(
        label=_("The applicant lacks full legal capacity"), required=False
    )
    representative_personal_number = forms.CharField(
        label=_("Representative's personal number"),
        required=False,
        help_text=_("Needed when the applicant is a minor or lacks full legal capacity (A29.2)."),
    )
    representative_relation = forms.CharField(
        label=_("Representative's relation (e.g. mother)"), required=False
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(ReasonForm):
    declined = forms.TypedChoiceField(
        label=_("What happened"),
        choices=[("1", _("The applicant declined")), ("0", _("The deadline was missed"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG, up to 5 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class OptionForm(forms.Form):
    option = forms.ChoiceField(
        label=_("Your choice"), choices=Option.choices, widget=forms.RadioSelect
    )
    target = forms.CharField(label=_("Programme (for a move or a transfer)"), required=False)

    def __init__(self, *args, options=(), targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = [(o, Option(o).label) for o in options]
        self.fields["target"].widget = forms.Select(
            choices=[("", "—")]
            + [
                (p.code, f"{p.name} · {p.institution.organisation.name} ({room})")
                for p, room in targets
            ]
        )


class ThresholdForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[("primary", _("primary stage")), ("subsequent", _("subsequent stage"))],
    )
    minimum = forms.DecimalField(label=_("Minimum score for voucher funding"), min_value=0)
