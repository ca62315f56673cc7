from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.permissions import NATIONAL, authorize
from kari.formerrors import apply_errors
from kari.labels import PlainLabels
from kari.staffauth import staff_required

from . import services
from .deadlines import statutory_deadlines
from .models import OPTIONAL_SCHEDULE_FIELDS, SCHEDULE_FIELDS, Round

ALL_FIELDS = SCHEDULE_FIELDS + OPTIONAL_SCHEDULE_FIELDS


def timeline(request, pk=None):
    """The round's schedule and every statutory deadline, with the body that must act."""
    r = get_object_or_404(Round, pk=pk) if pk else services.current_round()
    if r is None:
        return render(request, "rounds/timeline.html", {"round": None})
    today = timezone.localdate()
    own_kind = getattr(getattr(request.user, "organisation", None), "kind", None)
    items = [
        {"kind": "schedule", "date": getattr(r, f), "label": Round._meta.get_field(f).verbose_name}
        for f in ALL_FIELDS
        if getattr(r, f)
    ]
    items += [
        {
            "kind": "deadline",
            "date": d.date,
            "label": d.what,
            "citation": d.citation,
            "body": d.body_label,
            "mine": d.body == own_kind,
        }
        for d in statutory_deadlines(r)
    ]
    items.sort(key=lambda i: (i["date"], i["kind"] != "schedule"))
    for i in items:
        i["past"] = i["date"] < today
        i["days"] = (i["date"] - today).days
    return render(
        request,
        "rounds/timeline.html",
        {
            "round": r,
            "items": items,
            "rounds": Round.objects.all(),
            "today": today,
            # "Register" start (issue 19, point 3): the online registration window (A15.5)
            "registration_open": bool(
                r.registration_opens
                and r.registration_closes
                and r.registration_opens <= today <= r.registration_closes
                and r == services.current_round()
            ),
        },
    )


class ScheduleForm(PlainLabels, forms.ModelForm):
    reason = forms.CharField(label=_("Reason (for the audit log)"), required=False)

    class Meta:
        model = Round
        fields = ALL_FIELDS
        widgets = {
            f: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d") for f in ALL_FIELDS
        }


class NewRoundForm(ScheduleForm):
    class Meta(ScheduleForm.Meta):
        fields = ["year", "season", *ALL_FIELDS]


@staff_required
def new_round(request):
    """A18.1: the ministry schedules a spring or autumn round."""
    authorize(request.user, "round.schedule", NATIONAL)
    form = NewRoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in ALL_FIELDS}
        try:
            r = services.create_round(
                request.user,
                year=form.cleaned_data["year"],
                season=form.cleaned_data["season"],
                reason=form.cleaned_data["reason"],
                **data,
            )
            messages.success(request, _("Round created."))
            return redirect("rounds:timeline", pk=r.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "rounds/schedule.html", {"round": None, "form": form})


@staff_required
def schedule(request, pk):
    r = get_object_or_404(Round, pk=pk)
    authorize(request.user, "round.schedule", NATIONAL)
    form = ScheduleForm(request.POST or None, instance=Round.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in ALL_FIELDS}
        try:
            services.set_schedule(request.user, r, reason=form.cleaned_data["reason"], **data)
            messages.success(request, _("Schedule saved."))
            return redirect("rounds:timeline", pk=r.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "rounds/schedule.html", {"round": r, "form": form})
