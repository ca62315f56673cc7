from django import forms
from django.utils.translation import gettext_lazy as _

from kari.files import UploadField


class FormulaForm(forms.Form):
    act_number = forms.CharField(label=_("Act number"), max_length=60)
    act_date = forms.DateField(label=_("Act date"), widget=forms.DateInput(attrs={"type": "date"}))
    test_weight = forms.DecimalField(
        label=_("Weight of the test score (art, sport, tourism; A27.3)"),
        max_digits=5,
        decimal_places=3,
        min_value=0,
        initial=1,
    )
    competition_weight = forms.DecimalField(
        label=_("Weight of the competition score (art, sport, tourism; A27.3)"),
        max_digits=5,
        decimal_places=3,
        min_value=0,
        initial=1,
    )
    minimum = forms.DecimalField(
        label=_("Lowest test score ranked"),
        help_text=_("Only if the act sets one; never on work-based programmes (A10.2)."),
        max_digits=7,
        decimal_places=2,
        min_value=0,
        required=False,
    )


class BuildForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the correction"),
        help_text=_("Needed once a ranking is approved: the appeal or court decision."),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class ApproveForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have checked the ranking; approving it cannot be undone."), required=True
    )


class UploadForm(forms.Form):
    """Bounded in size and kind (settings.KARI_UPLOADS) before anything is read."""

    file = UploadField(label=_("File (CSV or XLSX)"), extensions=("csv", "xlsx"))


class ActForm(forms.Form):
    """A27.7: the head's individual administrative act approving the document."""

    act_number = forms.CharField(label=_("Number of the head's act"), max_length=60)
    act_date = forms.DateField(
        label=_("Date of the head's act"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ReviewForm(forms.Form):
    """A27.7: the management system's check: consent, or return with reasons."""

    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            ("agree", _("Agree to the document")),
            ("return", _("Return it to the institution")),
        ],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons for returning it"),
        help_text=_("Needed to return it: the institution head reads them."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("reasons") or "").strip():
            self.add_error("reasons", _("Give the reasons for returning it."))
        return data
