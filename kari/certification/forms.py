from django import forms
from django.utils.translation import gettext_lazy as _


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ApplicationForm(forms.Form):
    """The call's questions become fields; the service validates on submission."""

    full_name_ka = forms.CharField(label=_("Full name (Georgian)"), max_length=200)
    full_name_en = forms.CharField(label=_("Full name (Latin letters)"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    affiliation = forms.CharField(label=_("Organisation or municipality"), max_length=200, required=False)
    cv = forms.FileField(label=_("CV (PDF, DOCX, ODT)"), required=False)
    evidence = forms.FileField(label=_("Evidence of your experience (optional)"), required=False)

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        for q in questions:
            self.fields[q["code"]] = forms.CharField(label=q["label"], required=False,
                                                     widget=forms.Textarea(attrs={"rows": 4}))
        self.questions = [q["code"] for q in questions]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message to the team"), widget=forms.Textarea(attrs={"rows": 3}))


class CheckForm(forms.Form):
    reasons = forms.CharField(label=_("What is missing (if incomplete)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class QuestionForm(forms.Form):
    question = forms.CharField(label=_("Request more information"), widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    certified = forms.ChoiceField(label=_("Decision"), choices=[("yes", _("Certify")), ("no", _("Do not certify"))],
                                  widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("Reasons (C4)"), widget=forms.Textarea(attrs={"rows": 3}))


class ScoreForm(forms.Form):
    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        for c in criteria:
            self.fields[f"score_{c.code}"] = forms.TypedChoiceField(
                label=f"{c.name_ka} ({c.weight}×)", coerce=int,
                choices=[(i, str(i)) for i in range(c.max_score + 1)], help_text=c.rubric)
            self.fields[f"comment_{c.code}"] = forms.CharField(
                label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
        self.criteria = list(criteria)

    def scores(self) -> dict:
        return {c.code: (self.cleaned_data[f"score_{c.code}"], self.cleaned_data[f"comment_{c.code}"])
                for c in self.criteria}
