from django import forms
from django.utils.translation import gettext_lazy as _


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
    file = forms.FileField(label=_("File (CSV or XLSX)"))
