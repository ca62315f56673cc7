from django import forms
from django.utils.translation import gettext_lazy as _

from kari.files import UploadField


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class ApplicationForm(forms.Form):
    """The call's questions become fields; the service validates on submission."""

    full_name_ka = forms.CharField(label=_("Full name (Georgian)"), max_length=200)
    full_name_en = forms.CharField(
        label=_("Full name (Latin letters)"), max_length=200, required=False
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    affiliation = forms.CharField(
        label=_("Organisation or municipality"), max_length=200, required=False
    )
    cv = UploadField(
        label=_("CV (PDF, DOCX, ODT)"),
        required=False,
        extensions=("pdf", "docx", "odt"),
        kind="document",
    )
    evidence = UploadField(
        label=_("Evidence of your experience (optional)"),
        required=False,
        extensions=("pdf", "docx", "odt", "jpg", "jpeg", "png"),
        kind="document",
    )

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        for q in questions:
            self.fields[q["code"]] = forms.CharField(
                label=q["label"], required=False, widget=forms.Textarea(attrs={"rows": 4})
            )
        self.questions = [q["code"] for q in questions]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message to the team"), widget=forms.Textarea(attrs={"rows": 3}))


class CheckForm(forms.Form):
    reasons = forms.CharField(
        label=_("What is missing (if incomplete)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Request more information"), widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    certified = forms.ChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Certify")), ("no", _("Do not certify"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(label=_("Reasons (C4)"), widget=forms.Textarea(attrs={"rows": 3}))


class ScoreForm(forms.Form):
    """C3: a score for every criterion, chosen on its rubric: no score is preselected (an
    untouched form must not send zeros), and every criterion must be chosen."""

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        for c in criteria:
            self.fields[f"score_{c.code}"] = forms.TypedChoiceField(
                label=_("%(criterion)s (weight %(weight)s)")
                % {"criterion": c.name, "weight": c.weight},
                coerce=int,
                empty_value=None,
                choices=[("", _("Choose a score…")), *c.levels()],
                help_text=c.rubric_text,
                error_messages={
                    "required": _("Choose a score from 0 to %(max)s for “%(criterion)s”.")
                    % {"max": c.max_score, "criterion": c.name}
                },
            )
            self.fields[f"comment_{c.code}"] = forms.CharField(
                label=_("Comment on “%(criterion)s”") % {"criterion": c.name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.criteria = list(criteria)

    @classmethod
    def initial_from(cls, assignment) -> dict:
        """The reviewer's submitted scores, to correct them (until the decision)."""
        initial = {}
        for s in assignment.scores.select_related("criterion"):
            initial[f"score_{s.criterion.code}"] = s.score
            initial[f"comment_{s.criterion.code}"] = s.comment
        return initial

    def scores(self) -> dict:
        return {
            c.code: (self.cleaned_data[f"score_{c.code}"], self.cleaned_data[f"comment_{c.code}"])
            for c in self.criteria
        }

    def summary(self) -> list[dict]:
        """What will be submitted, criterion by criterion (the "check your scores" page)."""
        return [
            {
                "criterion": c.name,
                "weight": c.weight,
                "score": self.cleaned_data[f"score_{c.code}"],
                "max": c.max_score,
                "meaning": dict(c.levels()).get(self.cleaned_data[f"score_{c.code}"], ""),
                "comment": self.cleaned_data[f"comment_{c.code}"],
            }
            for c in self.criteria
        ]


class CallForm(forms.Form):
    programme_ka = forms.CharField(label=_("Programme (Georgian)"), max_length=200)
    programme_en = forms.CharField(label=_("Programme (English)"), max_length=200, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    eligibility = forms.CharField(
        label=_("Who can apply"), widget=forms.Textarea(attrs={"rows": 3})
    )
    questions = forms.CharField(
        label=_("Questions, one per line"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Each line becomes a required answer on the form."),
    )
    opens_on = forms.DateField(
        label=_("Applications open"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closes_on = forms.DateField(
        label=_("Applications close (C1)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reviewers_per_application = forms.IntegerField(
        label=_("Reviewers per application"), min_value=1, max_value=5, initial=2
    )
    pass_mark = forms.DecimalField(
        label=_("Pass mark (weighted average out of 5)"), min_value=0, max_value=5, initial=3
    )

    def call_fields(self) -> dict:
        data = dict(self.cleaned_data)
        lines = [line.strip() for line in data.pop("questions").splitlines() if line.strip()]
        data["questions"] = [
            {"code": f"q{i}", "label": line, "required": True}
            for i, line in enumerate(lines, start=1)
        ]
        return data


class EventForm(forms.Form):
    name = forms.CharField(label=_("Conference"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("Place"), max_length=300)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"), widget=forms.Textarea(attrs={"rows": 2})
    )
