"""Forms of the SEN pages: input only; every rule is in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DocumentKind, Environment, Requester, SenStatus


class DateInput(forms.DateInput):
    input_type = "date"


def _programme_label(p) -> str:
    """A37.3: the programme with the requirement the registration checks (the minimum age)."""
    label = f"{p.name} ({p.code}) · {p.institution.organisation.name}"
    if p.min_age:
        label += " · " + str(_("from age %(n)s") % {"n": p.min_age})
    return label


def _programme_fields(form, offered) -> None:
    choices = [("", _("— none —"))] + [(p.code, _programme_label(p)) for p in offered]
    for i, label in enumerate((_("First programme"), _("Second programme"), _("Third programme"))):
        form.fields[f"programme_{i + 1}"] = forms.ChoiceField(
            label=label, choices=choices, required=i == 0
        )


class RegistrationForm(forms.Form):
    """A37.4: personal number, phone, at most three programmes; the SEN flag is the track."""

    personal_number = forms.CharField(label=_("Personal number"), max_length=11)
    document_number = forms.CharField(
        label=_("ID card number"),
        max_length=20,
        help_text=_("The number printed on your ID card: it proves the personal number is yours."),
    )
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    email = forms.EmailField(label=_("Email"), required=False)

    def __init__(self, *args, offered=(), centre=False, subsequent=False, **kwargs):
        super().__init__(*args, **kwargs)
        if centre and subsequent:  # A38: no code confirms it, the ID card presented does
            self.fields["document_number"].help_text = _(
                "The number printed on the ID card the person presents: without it no "
                "registration is made or shown."
            )
        elif centre:
            del self.fields["document_number"]
        if subsequent:  # A38.4(b): a phone number or an email address
            self.fields["phone"].required = False
            self.fields["phone"].help_text = _("A phone number or an email address (A38.4(b)).")
            self.fields["education_level"] = forms.CharField(
                label=_("General education completed"), max_length=200
            )
            self.fields["qualification"] = forms.CharField(
                label=_("Vocational qualification, if any"), max_length=200, required=False
            )
            self.fields["continues_elsewhere"] = forms.BooleanField(
                label=_("Continues at another institution"), required=False
            )
        _programme_fields(self, offered)

    def service_data(self) -> dict:
        d = dict(self.cleaned_data)
        d["programmes"] = [d.pop(f"programme_{i}", "") for i in (1, 2, 3)]
        d["programmes"] = [c for c in d["programmes"] if c]
        return d


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("One-time code"),
        max_length=6,
        help_text=_("Six digits, sent to your phone and email."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput)
    signatures = forms.IntegerField(
        label=_("Team members' signatures on the conclusion"),
        required=False,
        min_value=0,
        help_text=_("Only for the expert team's conclusion."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("SEN status"), choices=[c for c in SenStatus.choices if c[0] != "pending"]
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    assessment = forms.IntegerField(
        label=_("Expert conclusion number (after the window)"), required=False
    )


class ScheduleForm(forms.Form):
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[("primary", _("primary stage")), ("subsequent", _("subsequent stage"))],
    )
    registration_opens = forms.DateField(label=_("SEN registration opens"), widget=DateInput)
    registration_closes = forms.DateField(label=_("SEN registration closes"), widget=DateInput)
    test_starts = forms.DateField(label=_("First day of the practical trials"), widget=DateInput)
    test_ends = forms.DateField(label=_("Last day of the practical trials"), widget=DateInput)
    max_minutes = forms.IntegerField(label=_("Maximum duration of the test (minutes)"), min_value=1)


class TrialForm(forms.Form):
    tested_on = forms.DateField(label=_("Tested on"), widget=DateInput)
    minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1)
    recommended = forms.TypedChoiceField(
        label=_("Recommendation"),
        choices=[("1", _("enrolment recommended")), ("0", _("enrolment not recommended"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        help_text=_(
            "Weigh the programme's requirements, the expert conclusion and the applicant's "
            "interests; when the programme has more SEN applicants than reserved places, the "
            "registration time too."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    documents_analysis = forms.CharField(
        label=_("Analysis of the submitted documents"),
        help_text=_(
            "The documents the applicant submitted at registration (the expert conclusion and "
            "the others); sent to the ministry with the scores and the recommendation (A40.7)."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, form=None, **kwargs):
        """A40.4: one score field per activity of the minister's form, its maximum shown."""
        super().__init__(*args, **kwargs)
        self.activities = list(form.activities.all()) if form is not None else []
        for a in self.activities:
            self.fields[f"activity_{a.pk}"] = forms.IntegerField(
                label=_("%(name)s (0-%(max)s)") % {"name": a.name, "max": a.max_score},
                help_text=a.criteria,
                required=False,
            )

    def scores(self) -> list[dict]:
        d = self.cleaned_data
        return [{"activity": a.name, "score": d.get(f"activity_{a.pk}")} for a in self.activities]


class ScoringFormForm(forms.Form):
    """A40.4: the minister's act setting a programme's scoring form."""

    act_number = forms.CharField(label=_("Minister's act number"), max_length=40)
    issued_on = forms.DateField(label=_("Minister's act date"), widget=DateInput)

    def __init__(self, *args, rows: int = 6, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, rows + 1):
            self.fields[f"name_{i}"] = forms.CharField(
                label=_("Activity %(n)s") % {"n": i}, required=False, max_length=200
            )
            self.fields[f"max_{i}"] = forms.IntegerField(
                label=_("Maximum score for activity %(n)s") % {"n": i}, required=False
            )
            self.fields[f"criteria_{i}"] = forms.CharField(
                label=_("Criteria for activity %(n)s") % {"n": i},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.rows = rows

    def activities(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {"name": d[f"name_{i}"], "max_score": d[f"max_{i}"], "criteria": d[f"criteria_{i}"]}
            for i in range(1, self.rows + 1)
        ]


class HostsActForm(forms.Form):
    """A39.1: the minister's act: its number and date, (a) the host institutions; (b) the
    distribution is one select per applicant (added by the view)."""

    number = forms.CharField(label=_("Minister's act number"), max_length=40)
    issued_on = forms.DateField(label=_("Minister's act date"), widget=DateInput)

    def __init__(self, *args, institutions=(), regs=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(i.pk), i.organisation.name) for i in institutions]
        self.fields["hosts"] = forms.MultipleChoiceField(
            label=_("Institutions hosting the SEN exam centres (A39.1(a))"),
            choices=choices,
            widget=forms.CheckboxSelectMultiple,
        )
        self.regs = list(regs)
        for r in self.regs:
            self.fields[f"host_{r.pk}"] = forms.ChoiceField(
                label=_("SEN exam centre for %(n)s") % {"n": r.number},
                choices=[("", "—"), *choices],
                required=False,
            )


class CommissionForm(forms.Form):
    act_number = forms.CharField(label=_("Head's act number"), max_length=40)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"] = forms.MultipleChoiceField(
            label=_("Members"),
            choices=[(str(u.pk), u.display_name) for u in staff],
            widget=forms.CheckboxSelectMultiple,
        )


class RequestForm(forms.Form):
    personal_number = forms.CharField(label=_("Applicant's personal number"), max_length=11)
    requested_on = forms.DateField(label=_("Requested on"), widget=DateInput)
    requested_by = forms.ChoiceField(label=_("Requested by"), choices=Requester.choices)


class ConclusionForm(forms.Form):
    findings = forms.CharField(
        label=_("Conclusion: functional and academic skills, special educational needs"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    hearing = forms.BooleanField(label=_("Hearing impairment"), required=False)
    sight = forms.BooleanField(label=_("Sight impairment"), required=False)
    behavioural = forms.BooleanField(label=_("Behavioural or emotional disorder"), required=False)
    environment = forms.MultipleChoiceField(
        label=_("Adapted environment for the test"),
        choices=Environment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ActNumberForm(forms.Form):
    number = forms.CharField(label=_("Act number"), max_length=40)
