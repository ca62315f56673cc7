"""Staff pages of the catalogue: announcements, review, programmes, import and export."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kari.accounts.permissions import NATIONAL, authorize_any
from kari.confirm import confirmation, confirmed
from kari.formerrors import apply_errors, errors_to_messages
from kari.rounds.deadlines import deadline
from kari.rounds.services import announcement_round
from kari.staffauth import staff_required

from . import selectors, services, transfer
from .forms import FlagForm, ImportForm, ProgrammeForm
from .models import Announcement, AnnouncementStatus, Institution, Programme


def _own_institution(request) -> Institution:
    inst = Institution.objects.filter(organisation=request.user.organisation).first()
    if inst is None:
        raise PermissionDenied(_("Your organisation is not an institution."))
    return inst


@staff_required
def announcement(request):
    """A13: the institution enters places per programme and submits before the deadline."""
    inst = _own_institution(request)
    round_ = announcement_round()
    if round_ is None:
        raise Http404
    ann = services.announcement_for(inst, round_)  # not saved until places are first saved
    lines = {line.programme_id: line for line in ann.lines.all()} if ann.pk else {}
    typed = {}
    if request.method == "POST":
        changes = {}
        for p in inst.programmes.all():
            places = request.POST.get(f"places-{p.code}", "").strip()
            sen = request.POST.get(f"sen-{p.code}", "").strip()
            typed[p.code] = (places, sen)
            if not places and not sen:
                if p.pk in lines:
                    changes[p.code] = None
                continue
            try:
                changes[p.code] = (int(places), int(sen or 0))
            except ValueError:
                messages.error(request, _("%(code)s: enter whole numbers.") % {"code": p.code})
                changes = None
                break
        if changes is not None:
            try:
                ann = services.set_places(
                    request.user, inst, round_, changes, reason=request.POST.get("reason", "")
                )
                if "submit" in request.POST:
                    services.submit_announcement(request.user, ann)
                    messages.success(request, _("Announcement submitted to the quality centre."))
                else:
                    messages.success(request, _("Places saved."))
                return redirect("catalogue:announcement")
            except ValidationError as exc:
                errors_to_messages(request, exc)
        ann = services.announcement_for(inst, round_)
    rows = []
    suggested = services.suggested_places(inst, round_)  # A13.7
    for p in inst.programmes.select_related("field").order_by("code"):
        line = lines.get(p.pk)
        places, sen = typed.get(
            p.code, (line.places if line else "", line.sen_places if line else "")
        )
        rows.append(
            {
                "programme": p,
                "places": places,
                "sen": sen,
                "suggested": suggested.get(p.code),
                # A27.10: last round's tie-rule places beyond the limit, subtracted now
                "intake": selectors.next_intake_limit(p, round_),
            }
        )
    return render(
        request,
        "catalogue/announcement.html",
        {
            "institution": inst,
            "round": round_,
            "ann": ann,
            "rows": rows,
            "deadline": round_.announcement_deadline,
            "open": services.submission_open(round_),
            "editable": ann.status in (AnnouncementStatus.DRAFT, AnnouncementStatus.FLAGGED),
        },
    )


QUEUE_ORDER = [
    AnnouncementStatus.SUBMITTED,
    AnnouncementStatus.FLAGGED,
    AnnouncementStatus.DRAFT,
    AnnouncementStatus.CONFIRMED,
]


@staff_required
def review(request):
    """A13.3: the quality centre's list of announcements to confirm."""
    authorize_any(request.user, ("announcement.confirm", NATIONAL))
    round_ = announcement_round()
    if round_ is None:
        raise Http404
    everything = Announcement.objects.filter(round=round_)
    counts = dict(everything.values_list("status").annotate(n=Count("pk")).order_by())
    status = request.GET.get("status", "")
    if status not in AnnouncementStatus.values:
        status = ""
    q = request.GET.get("q", "").strip()
    anns = everything.select_related("institution__organisation").annotate(
        # Awaiting confirmation first, then returned ones, drafts, and confirmed last.
        queue=Case(
            *(When(status=s, then=Value(i)) for i, s in enumerate(QUEUE_ORDER)),
            output_field=IntegerField(),
        )
    )
    if status:
        anns = anns.filter(status=status)
    if q:
        anns = anns.filter(
            Q(institution__organisation__name_ka__icontains=q)
            | Q(institution__organisation__name_en__icontains=q)
            | Q(institution__organisation__code__icontains=q)
        )
    anns = anns.order_by("queue", "submitted_at", "institution__organisation__name_ka")
    return render(
        request,
        "catalogue/review.html",
        {
            "round": round_,
            "announcements": anns,
            "deadline": deadline(round_, "confirmation"),
            "awaiting": counts.get(AnnouncementStatus.SUBMITTED, 0),
            "filters": [(s, AnnouncementStatus(s).label, counts.get(s, 0)) for s in QUEUE_ORDER],
            "status": status,
            "q": q,
            "total": sum(counts.values()),
        },
    )


def _confirmation_with_mismatches(request, ann, differ):
    """A13.3, A13.6: confirming an announcement whose places differ from the authorised
    numbers is confirmed on a page that lists the differences."""
    return confirmation(
        request,
        title=_("Confirm the announcement although places differ?"),
        facts=[
            (_("Institution"), ann.institution.organisation.name),
            (_("Round"), str(ann.round)),
        ],
        items_title=_("Places that differ from the authorised number"),
        items=[
            _("%(programme)s: %(places)s places announced, %(authorised)s authorised")
            % {
                "programme": line.programme.name,
                "places": line.places,
                "authorised": line.programme.authorised_places,
            }
            for line in differ
        ],
        consequences=[
            _("The announcement is confirmed with the places announced, not the authorised ones."),
            _("The institution is told that its announcement is confirmed."),
        ],
        button=_("Confirm the announcement"),
        back=request.path,
        keep=["confirm"],
    )


@staff_required
def review_detail(request, pk):
    authorize_any(request.user, ("announcement.confirm", NATIONAL))
    ann = get_object_or_404(
        Announcement.objects.select_related("institution__organisation", "round"), pk=pk
    )
    form = FlagForm(request.POST or None)
    if request.method == "POST":
        try:
            if "confirm" in request.POST:
                differ = services.mismatches(ann)
                if differ and not confirmed(request):
                    return _confirmation_with_mismatches(request, ann, differ)
                services.confirm_announcement(request.user, ann)
                messages.success(request, _("Announcement confirmed."))
                return redirect("catalogue:review")
            if form.is_valid():
                services.flag_announcement(request.user, ann, form.cleaned_data["reason"])
                messages.success(request, _("Returned to the institution."))
                return redirect("catalogue:review")
        except ValidationError as exc:
            errors_to_messages(request, exc)
    return render(
        request,
        "catalogue/review_detail.html",
        {
            "ann": ann,
            "lines": ann.lines.select_related("programme"),
            "form": form,
            "mismatches": {line.pk for line in services.mismatches(ann)},
            "deadline": deadline(ann.round, "confirmation"),
        },
    )


@staff_required
def programme_edit(request, code=None):
    inst = _own_institution(request)
    prog = get_object_or_404(Programme, code=code, institution=inst) if code else None
    initial = {}
    if prog:
        initial = services.programme_snapshot(prog) | {"code": prog.code}
    form = ProgrammeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_programme(request.user, inst, form.cleaned_data)
            messages.success(request, _("Programme %(code)s saved.") % {"code": saved.code})
            return redirect("catalogue:announcement")
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "catalogue/programme_form.html", {"form": form, "programme": prog})


@staff_required
def import_view(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = result = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        job = transfer.start_import(
            request.user,
            form.cleaned_data["kind"],
            f.read(),
            f.name,
            reason=form.cleaned_data["reason"],
            back=request.path,
        )
        return redirect("operations:file_job", job.pk)
    return render(
        request, "catalogue/import.html", {"form": form, "errors": errors, "result": result}
    )


@staff_required
@require_POST
def export(request, kind, fmt):
    """Starts the export as a job of the queue; its page offers the file when it is ready."""
    try:
        job = transfer.start_export(request.user, kind, fmt, back=reverse("portal:staff"))
    except ValueError as exc:
        raise Http404 from exc
    return redirect("operations:file_job", job.pk)
