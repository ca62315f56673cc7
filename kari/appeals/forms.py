"""The appeals pages' forms; each submits through a service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kari.accounts.models import User
from kari.accounts.roles import Role

from .models import Ground, Outcome, Position


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ComplaintForm(forms.Form):
    """A25.1-A25.3: what the proctor records."""

    id_shown = forms.BooleanField(
        label=_("The applicant showed the ID document (A25.2)"), required=False
    )
    invitation_shown = forms.BooleanField(
        label=_("The applicant showed the invitation (A25.2)"), required=False
    )
    ground = forms.ChoiceField(
        label=_("What the complaint is about (A25.3)"),
        choices=Ground.choices,
        widget=forms.RadioSelect,
    )
    statement = forms.CharField(
        label=_("What happened, in the applicant's words"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    others = forms.CharField(
        label=_("Other applicants concerned (seat or personal number)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    files = MultipleFileField(
        label=_("Files (photos of the protocol, statements)"),
        required=False,
        help_text=_("Up to 5 files, JPEG, PNG or PDF, 5 MB each."),
    )


def member_choices(organisation):
    return User.objects.filter(
        organisation=organisation, is_active=True, role_grants__role=Role.COMMISSION_MEMBER
    ).order_by("full_name_ka", "username")


class ConstituteForm(forms.Form):
    act_number = forms.CharField(label=_("Number of the director's act"), max_length=60)
    act_date = forms.DateField(
        label=_("Date of the act"), widget=forms.DateInput(attrs={"type": "date"})
    )
    chair = forms.ModelChoiceField(User.objects.none(), label=_("Chair"))
    deputy = forms.ModelChoiceField(User.objects.none(), label=_("Deputy chair"))
    secretary = forms.ModelChoiceField(User.objects.none(), label=_("Secretary"))
    members = forms.ModelMultipleChoiceField(
        User.objects.none(),
        label=_("Other members"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        qs = member_choices(organisation)
        for name in ("chair", "deputy", "secretary", "members"):
            self.fields[name].queryset = qs
            self.fields[name].label_from_instance = lambda u: u.display_name

    def member_pairs(self):
        d = self.cleaned_data
        pairs = [
            (d["chair"], Position.CHAIR),
            (d["deputy"], Position.DEPUTY),
            (d["secretary"], Position.SECRETARY),
        ]
        return pairs + [(u, Position.MEMBER) for u in d["members"]]


class MembershipForm(forms.Form):
    user = forms.ModelChoiceField(User.objects.none(), label=_("Person"))
    position = forms.ChoiceField(
        label=_("Position"),
        choices=[("", _("end the membership")), *Position.choices],
        required=False,
    )
    act_number = forms.CharField(label=_("Number of the director's act"), max_length=60)
    act_date = forms.DateField(
        label=_("Date of the act"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = member_choices(organisation)
        self.fields["user"].label_from_instance = lambda u: u.display_name


class ConveneForm(forms.Form):
    at = forms.DateTimeField(
        label=_("Session date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Members present"), widget=forms.CheckboxSelectMultiple
    )
    stand_in = forms.ChoiceField(
        label=_("If the secretary cannot attend: the member who stands in (A24.6)"), required=False
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(m.pk), str(m)) for m in members]
        self.fields["present"].choices = choices
        self.fields["stand_in"].choices = [("", "—"), *choices]


class VoteForm(forms.Form):
    """A proposed decision and each present member's vote (A24.4)."""

    outcome = forms.ChoiceField(
        label=_("Proposed decision"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    zero = forms.MultipleChoiceField(
        label=_("Score zero the work of (A25.4(a))"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    remark = forms.BooleanField(
        label=_("Re-mark the complainant's work (A25.4(b))"), required=False
    )
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, voters, candidates, prefix=None, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.fields["zero"].choices = [(str(r.pk), label) for r, label in candidates]
        self.voters = voters
        for m in voters:
            self.fields[f"vote_{m.pk}"] = forms.ChoiceField(
                label=str(m),
                choices=[("yes", _("in favour")), ("no", _("against"))],
                widget=forms.RadioSelect,
            )

    def votes(self) -> dict:
        return {m.pk: self.cleaned_data[f"vote_{m.pk}"] == "yes" for m in self.voters}


class ConflictForm(forms.Form):
    membership = forms.ChoiceField(label=_("Member"))
    note = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].choices = [(str(m.pk), str(m)) for m in members]


class RemarkForm(forms.Form):
    score = forms.DecimalField(
        label=_("Score after re-marking"), min_value=0, max_value=30, decimal_places=2
    )
