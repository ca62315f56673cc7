"""Staff pages of exam logistics: centres, sessions, distribution, invitations, hand-overs,
results; the proctor's check-in page; the public invitation check; the applicant's card."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kari.accounts.permissions import NATIONAL, authorize, authorize_any, can
from kari.confirm import confirmation, confirmed
from kari.documents import Incident, RemovalProtocol, render_protocol
from kari.files import attachment
from kari.formerrors import apply_errors, errors_to_messages
from kari.registration.models import Registration
from kari.registration.views import signed_in_applicant
from kari.rounds.deadlines import statutory_deadlines
from kari.staffauth import staff_required
from kari.tabular import ImportRejected, RowError
from kari.tasks.models import FileJob

from . import cards, selectors, services
from .charts import distance_chart
from .forms import (
    CHECKIN_ACTIONS,
    CentreForm,
    LookupForm,
    MoveForm,
    NoShowsForm,
    NumbersForm,
    PresenceForm,
    RescheduleForm,
    SessionForm,
    UploadForm,
)
from .models import (
    Distribution,
    DistributionJob,
    ExamCentre,
    ExamSession,
    HandoverKind,
    IncidentKind,
    Invitation,
    InvitationJob,
    JobStatus,
    ResultImport,
    Sitting,
    SittingStatus,
)
from .reasons import item_names, reason_label
from .services import handovers, results

STAGE_DEADLINES = {
    "registration_data",
    "distribution",
    "centres_to_naec",
    "numbers_to_emis",
    "distribution_to_naec",
    "results",
}


def _round(request):
    round_ = selectors.exam_round(request)
    if round_ is None:
        raise Http404(_("No round has been created yet."))
    return round_


def _round_query(round_) -> str:
    return f"?round={round_.pk}"


@staff_required
def home(request):
    """The round's exam stage: deadlines with who must act, and the state of each step."""
    authorize_any(request.user, ("exams.view_all", NATIONAL), ("exam.check_in", NATIONAL))
    round_ = _round(request)
    today = timezone.localdate()
    deadlines = [d for d in statutory_deadlines(round_) if d.key in STAGE_DEADLINES]
    dist = selectors.current_distribution(round_)
    job = InvitationJob.objects.filter(distribution=dist).order_by("-pk").first() if dist else None
    imp = ResultImport.objects.current(round_).first()
    return render(
        request,
        "exams/home.html",
        {
            "round": round_,
            "today": today,
            "deadlines": deadlines,
            "deadline_rows": [(d, (d.date - today).days, (today - d.date).days) for d in deadlines],
            "centres": ExamCentre.objects.active().count(),
            "sessions": selectors.round_sessions(round_),
            "registrations": selectors.registrations_to_distribute(round_).count(),
            "distribution": dist,
            "job": job,
            "results": imp,
            "handovers": round_.handovers.select_related("by")[:20],
            "exports": [(k, HandoverKind(k).label) for k in handovers.EXPORTS],
            "q": _round_query(round_),
            "may": {
                p.split(".")[1]: can(request.user, p, NATIONAL)
                for p in (
                    "exams.sessions",
                    "exams.distribute",
                    "exams.handover",
                    "exams.numbers",
                    "exams.results",
                )
            },
        },
    )


# ---------------------------------------------------------------- centres and sessions


@staff_required
def centres(request):
    authorize_any(
        request.user, ("exams.view_all", NATIONAL), ("exam_centre.edit", request.user.organisation)
    )
    qs = ExamCentre.objects.select_related("municipality", "host").order_by("code")
    if not can(request.user, "exams.view_all", NATIONAL):
        qs = qs.filter(host=request.user.organisation)
    return render(
        request,
        "exams/centres.html",
        {"centres": qs, "may_add": can(request.user, "exams.centres", NATIONAL)},
    )


@staff_required
def centre_edit(request, pk=None):
    centre = get_object_or_404(ExamCentre, pk=pk) if pk else None
    if centre is None:
        authorize(request.user, "exams.centres", NATIONAL)
    else:
        authorize_any(request.user, ("exams.centres", NATIONAL), ("exam_centre.edit", centre.host))
    form = CentreForm(request.POST or None, instance=centre)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_centre(request.user, form.cleaned_data, centre)
            messages.success(request, _("Exam centre saved."))
            return redirect("exams:centres")
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "exams/centre_form.html", {"form": form, "centre": centre})


@staff_required
def sessions(request):
    authorize(request.user, "exams.view_all", NATIONAL)
    round_ = _round(request)
    form = SessionForm(request.POST or None)
    if request.method == "POST":
        authorize(request.user, "exams.sessions", NATIONAL)
        if form.is_valid():
            try:
                services.save_session(request.user, round_, form.cleaned_data)
                messages.success(request, _("Session added."))
                return redirect(reverse("exams:sessions") + _round_query(round_))
            except ValidationError as exc:
                apply_errors(form, exc)
    return render(
        request,
        "exams/sessions.html",
        {
            "round": round_,
            "sessions": selectors.round_sessions(round_),
            "form": form,
            "may_edit": can(request.user, "exams.sessions", NATIONAL),
            "q": _round_query(round_),
        },
    )


@staff_required
def session_reschedule(request, pk):
    """A18.2: NAEC moves a session after force majeure or a fault of EMIS or NAEC."""
    authorize(request.user, "exams.sessions", NATIONAL)
    session = get_object_or_404(ExamSession.objects.select_related("round"), pk=pk)
    form = RescheduleForm(
        request.POST or None,
        initial={
            "date": session.date,
            "starts_at": session.starts_at,
            "check_in_opens": session.check_in_opens,
            "check_in_closes": session.check_in_closes,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            services.reschedule_session(request.user, session, data, reason=reason)
            messages.success(
                request,
                _(
                    "Session moved; the applicants' invitations are updated "
                    "and they are told (A18.2)."
                ),
            )
            return redirect(reverse("exams:sessions") + _round_query(session.round))
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(
        request,
        "exams/reschedule.html",
        {
            "session": session,
            "form": form,
            "q": _round_query(session.round),
            "affected": session.sittings.issued().count(),
        },
    )


@staff_required
@require_POST
def session_delete(request, pk):
    session = get_object_or_404(ExamSession, pk=pk)
    try:
        services.delete_session(request.user, session)
        messages.success(request, _("Session removed."))
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect(reverse("exams:sessions") + _round_query(session.round))


# ---------------------------------------------------------------- distribution and invitations


@staff_required
@require_POST
def distribute(request):
    round_ = _round(request)
    try:
        job = services.start_distribution(request.user, round_)
    except ValidationError as exc:
        errors_to_messages(request, exc)
        return redirect(reverse("exams:home") + _round_query(round_))
    return redirect("exams:distribution_job", job.pk)


@staff_required
def distribution_job(request, pk):
    """The distribution running in the background: a page that waits for it, then links it."""
    authorize(request.user, "exams.view_all", NATIONAL)
    j = get_object_or_404(DistributionJob.objects.select_related("round"), pk=pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": j.status,
                "done": 0,
                "total": 0,
                "error": j.error,
                "distribution": j.result_id,
            }
        )
    if j.status == JobStatus.DONE and j.result_id:
        messages.success(request, _("Distribution %(d)s done.") % {"d": j.result})
        return redirect("exams:distribution", j.result_id)
    return render(
        request,
        "exams/distribution_job.html",
        {"job": j, "running": j.is_active, "q": _round_query(j.round)},
    )


@staff_required
def distribution(request, pk, move_form=None):
    authorize(request.user, "exams.view_all", NATIONAL)
    d = get_object_or_404(Distribution.objects.select_related("round", "run_by"), pk=pk)
    may_move = can(request.user, "exams.distribute", NATIONAL) and not d.is_final
    stats = d.stats or {}  # kept current by the services (kari.distribution.figures)
    load, home = stats.get("centre_load", {}), stats.get("centre_preferred", {})
    loads = [
        {"centre": c, "applicants": load[str(c.pk)], "preferred": home.get(str(c.pk), 0)}
        for c in ExamCentre.objects.filter(pk__in=[int(k) for k in load])
        .select_related("municipality")
        .order_by("code")
    ]
    names = item_names()
    chart = distance_chart(stats.get("histogram", {}))
    return render(
        request,
        "exams/distribution.html",
        {
            "chart_height": 28 * len(chart) + 8,
            "d": d,
            "stats": stats,
            "loads": loads,
            "chart": chart,
            "unplaced": [
                (k, reason_label(why, names))
                for k, why in sorted((int(k), why) for k, why in d.unplaced.items())[:200]
            ],
            "q": _round_query(d.round),
            "may_issue": can(request.user, "exams.invitations", NATIONAL) and not d.is_final,
            "may_agree": can(request.user, "exams.numbers", NATIONAL) and not d.is_final,
            "move": (move_form or MoveForm()) if may_move else None,
            "move_open": move_form is not None,
        },
        status=400 if move_form is not None else 200,
    )


@staff_required
@require_POST
def move(request, pk):
    """A15.8: EMIS moves one applicant of a draft distribution to another exam centre."""
    authorize(request.user, "exams.distribute", NATIONAL)
    d = get_object_or_404(Distribution, pk=pk)
    form = MoveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors)
        reg = Registration.objects.filter(
            pk=form.cleaned_data["registration"], round=d.round
        ).first()
        if reg is None:
            raise ValidationError(
                {"registration": [_("This registration is not in the distribution.")]}
            )
        a = services.move_applicant(
            request.user, d, reg, form.cleaned_data["centre"], reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            _("%(reg)s moved to %(centre)s.") % {"reg": a.registration, "centre": a.centre.code},
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return distribution(request, d.pk, move_form=form)
    return redirect("exams:distribution", d.pk)


@staff_required
@require_POST
def agree(request, pk):
    """A17.2: NAEC agrees to the distribution on its page."""
    d = get_object_or_404(Distribution, pk=pk)
    try:
        services.agree_distribution(request.user, d)
        messages.success(request, _("NAEC's agreement is recorded (A17.2)."))
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("exams:distribution", d.pk)


@staff_required
@require_POST
def issue(request, pk):
    d = get_object_or_404(Distribution.objects.select_related("round"), pk=pk)
    if not confirmed(request):
        authorize(request.user, "exams.invitations", NATIONAL)
        placed = sum(((d.stats or {}).get("centre_load") or {}).values())
        return confirmation(
            request,
            title=_("Issue the invitations of this distribution?"),
            facts=[(_("Distribution"), str(d)), (_("Round"), str(d.round))],
            consequences=[
                _(
                    "Each of the %(n)s applicants placed gets an invitation: the exam centre, "
                    "day and time (A17.3)."
                )
                % {"n": placed},
                _("Applicants are told by SMS and email."),
                _("The distribution becomes final: it can no longer be re-run or changed."),
            ],
            button=_("Issue the invitations"),
            back=reverse("exams:distribution", args=[d.pk]),
        )
    try:
        job = services.start_invitations(request.user, d)
    except ValidationError as exc:
        errors_to_messages(request, exc)
        return redirect("exams:distribution", d.pk)
    return redirect("exams:job", job.pk)


@staff_required
@require_POST
def job_resume(request, pk):
    j = get_object_or_404(InvitationJob, pk=pk)
    try:
        services.resume_invitations(request.user, j)
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("exams:job", j.pk)


@staff_required
def job(request, pk):
    """The bulk job's progress page: refreshes itself until the job is done."""
    authorize(request.user, "exams.view_all", NATIONAL)
    j = get_object_or_404(InvitationJob.objects.select_related("distribution__round"), pk=pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": j.status,
                "done": j.done,
                "total": j.total,
                "percent": j.percent,
                "error": j.error,
            }
        )
    return render(
        request,
        "exams/job.html",
        {
            "job": j,
            "running": j.is_active,
            "q": _round_query(j.distribution.round),
            "may_resume": j.status == JobStatus.FAILED
            and can(request.user, "exams.invitations", NATIONAL),
        },
    )


# ---------------------------------------------------------------- hand-overs and results


@staff_required
@require_POST
def handover_export(request, kind, fmt):
    """Starts a hand-over as a job of the queue; its page offers the file when it is ready.
    A POST, so no prefetch or link can record a hand-over."""
    round_ = _round(request)
    home = reverse("exams:home") + _round_query(round_)
    try:
        job = handovers.start_export(request.user, round_, kind, fmt, back=home)
    except ImportRejected as exc:
        errors_to_messages(request, exc)
        return redirect(home)
    return redirect("operations:file_job", job.pk)


@staff_required
def numbers_import(request):
    """A17.2(b): NAEC uploads the number of applicants per exam centre."""
    authorize(request.user, "exams.numbers", NATIONAL)
    round_ = _round(request)
    form = NumbersForm(request.POST or None, request.FILES or None)
    if request.GET.get("template"):
        resp = HttpResponse(
            handovers.quota_template(round_), content_type="text/csv; charset=utf-8"
        )
        resp["Content-Disposition"] = 'attachment; filename="numbers_to_emis.csv"'
        return resp
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        fmt = "json" if f.name.lower().endswith(".json") else "csv"
        try:
            h = handovers.import_numbers(request.user, round_, f.read(), fmt)
            messages.success(request, _("%(n)s exam centres' numbers recorded.") % {"n": h.rows})
            return redirect(reverse("exams:home") + _round_query(round_))
        except ImportRejected as exc:
            errors_to_messages(request, exc)
    return render(
        request,
        "exams/upload.html",
        {
            "form": form,
            "round": round_,
            "q": _round_query(round_),
            "title": HandoverKind.NUMBERS_TO_EMIS.label,
            "template": True,
        },
    )


@staff_required
def results_upload(request):
    """A26.1: NAEC uploads the results; all-or-nothing; a re-import replaces the previous one.

    Issue 19, point 5: a template to fill in; a refused file shows the row errors first, by
    personal number, then the cross-checks with the invitations, and the full error report
    downloads as a file."""
    authorize(request.user, "exams.results", NATIONAL)
    round_ = _round(request)
    if request.method == "POST" and request.POST.get("template"):
        # a row for every invited applicant: built by the queue, downloaded on the job's page
        back = reverse("exams:results") + _round_query(round_)
        job = results.start_template(request.user, round_, back=back)
        return redirect("operations:file_job", job.pk)
    refused = _refused_results_job(request, round_)
    errors = [RowError(**e) for e in refused.errors] if refused else []
    if request.GET.get("report"):
        if refused is None:
            raise Http404
        response = HttpResponse(results.error_report_csv(errors), content_type="text/csv")
        response["Content-Disposition"] = attachment(f"kari-results-{round_.pk}-errors.csv")
        return response
    form = UploadForm(request.POST or None, request.FILES or None)
    row_errors = [e for e in errors if not e.check]
    checks = [e for e in errors if e.check]
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        job = results.start_results_import(
            request.user,
            round_,
            f.read(),
            f.name,
            back=reverse("exams:results") + _round_query(round_),
        )
        return redirect("operations:file_job", job.pk)
    return render(
        request,
        "exams/results_upload.html",
        {
            "form": form,
            "round": round_,
            "q": _round_query(round_),
            "imports": round_.result_imports.select_related("by"),
            "row_errors": row_errors[:SHOWN_ERRORS],
            "row_error_count": len(row_errors),
            "checks": checks[:SHOWN_ERRORS],
            "check_count": len(checks),
            "refused": bool(row_errors or checks),
            "refused_job": refused.pk if refused else "",
            "refused_items": _refused_items(len(row_errors), len(checks)),
        },
    )


def _refused_items(row_error_count: int, check_count: int) -> list[tuple[str, str]]:
    """A refused file in the page's error summary: a link to each section of its problems."""
    items = []
    if row_error_count:
        n = row_error_count
        message = ngettext("%(n)s error in the rows", "%(n)s errors in the rows", n)
        items.append(("#row-errors", message % {"n": n}))
    if check_count:
        n = check_count
        message = ngettext(
            "%(n)s disagreement with the invitations and check-in",
            "%(n)s disagreements with the invitations and check-in",
            n,
        )
        items.append(("#cross-checks", message % {"n": n}))
    return items


SHOWN_ERRORS = 100


def _refused_results_job(request, round_):
    """The refused results upload named by ``?job=``: this staff member's own, of this round
    (the queue's job keeps the refused rows; the page shows them row errors first)."""
    pk = request.GET.get("job", "")
    if not pk.isdigit():
        return None
    return (
        FileJob.objects.filter(
            pk=int(pk),
            started_by=request.user,
            status="refused",
            kind__endswith="results_import_job",
            params__round=round_.pk,
        )
        .only("errors")
        .first()
    )


# ---------------------------------------------------------------- proctor (A19-A22)


@staff_required
def proctor(request):
    authorize(request.user, "exam.check_in", NATIONAL)
    round_ = _round(request)
    sessions = selectors.round_sessions(round_)
    today = timezone.localdate()
    centres = [
        (
            c,
            sorted(
                selectors.hosted_sessions(c, sessions),
                key=lambda s: (s.date != today, s.date, s.starts_at),
            ),
        )
        for c in selectors.active_centres()
    ]
    return render(
        request,
        "exams/proctor.html",
        {"round": round_, "centres": centres, "today": selectors.sessions_today(round_)},
    )


def _checkin_context(request, centre, session, **extra):
    sittings = (
        Sitting.objects.issued()
        .at(centre, session)
        .select_related("assignment__registration__applicant")
        .prefetch_related("incidents")
        .order_by("assignment__registration__applicant__last_name_ka")
    )
    counts = {}
    for s in sittings:
        counts[s.get_status_display()] = counts.get(s.get_status_display(), 0) + 1
    return {
        "centre": centre,
        "session": session,
        "sittings": sittings,
        "counts": counts,
        "lookup": LookupForm(),
        "actions": {action: form_class() for action, form_class in CHECKIN_ACTIONS.items()},
        "no_shows": NoShowsForm(),
        "presence": PresenceForm(),
        "presences": session.presences.filter(centre=centre),
        "now": timezone.localtime(),
        "here": reverse("exams:checkin", args=[centre.pk, session.pk]),
        "SittingStatus": SittingStatus,
        "warned": bool(extra.get("found") and selectors.round_warnings(extra["found"])),
        # a link the user's role cannot open is not shown (issue 19)
        "may_file_complaint": can(request.user, "appeals.file", NATIONAL),
        **extra,
    }


@staff_required
def checkin(request, centre_pk, session_pk):
    """A19-A22: find the applicant by QR code or personal number, then admit, refuse, warn.

    The lookup is a POST that redirects to ``?sitting=<id>``: neither the personal number nor
    the invitation's token ever appears in a URL, so access logs never hold them.
    """
    authorize(request.user, "exam.check_in", NATIONAL)
    centre = get_object_or_404(ExamCentre, pk=centre_pk)
    session = get_object_or_404(ExamSession, pk=session_pk)
    here = reverse("exams:checkin", args=[centre.pk, session.pk])
    found, form = None, LookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            found = services.find_sitting(
                request.user,
                session,
                centre,
                personal_number=form.cleaned_data["personal_number"],
                token=form.cleaned_data["token"],
            )
            return redirect(f"{here}?sitting={found.pk}")
        except ValidationError as exc:
            errors_to_messages(request, exc)
    elif request.GET.get("sitting", "").isdigit():
        found = (
            Sitting.objects.issued()
            .at(centre, session)
            .select_related("assignment__registration__applicant")
            .filter(pk=request.GET["sitting"])
            .first()
        )
    ctx = _checkin_context(request, centre, session, found=found)
    ctx["lookup"] = form if form.is_bound else ctx["lookup"]
    return render(request, "exams/checkin.html", ctx)


def _show_refusal(request, form, exc) -> None:
    """A refused action's errors: each beside its field in the form the proctor used, the
    rest as messages at the top (the form may no longer be shown, e.g. once removed)."""
    for field, msgs in getattr(exc, "message_dict", {None: exc.messages}).items():
        for m in msgs:
            if field in form.fields:
                form.add_error(field, m)
            else:
                messages.error(request, m)


@staff_required
@require_POST
def checkin_act(request, pk, action):
    """Admit, admit after verification, refuse entry, or record a breach (``CHECKIN_ACTIONS``);
    a refused action shows the page again with what the proctor typed and the error beside
    its field."""
    authorize(request.user, "exam.check_in", NATIONAL)
    form_class = CHECKIN_ACTIONS.get(action)
    if form_class is None:
        raise Http404
    sitting = get_object_or_404(
        Sitting.objects.select_related("assignment__centre", "session"), pk=pk
    )
    centre, session = sitting.assignment.centre, sitting.session
    form = form_class(request.POST)
    here = f"{reverse('exams:checkin', args=[centre.pk, session.pk])}?sitting={sitting.pk}"
    if form.is_valid():
        warnings = selectors.round_warnings(sitting) if action == "breach" else []
        if warnings and not confirmed(request):
            return _removal_confirmation(request, sitting, form, warnings, here)
        try:
            messages.add_message(request, form.level, form.submit(request.user, sitting))
            return redirect(here)
        except ValidationError as exc:
            _show_refusal(request, form, exc)
    sitting.refresh_from_db()
    ctx = _checkin_context(request, centre, session, found=sitting, open_action=action)
    ctx["actions"][action] = form
    return render(request, "exams/checkin.html", ctx, status=400)


def _removal_confirmation(request, sitting, form, warnings, back):
    """A21: a second breach removes the applicant; the proctor confirms on a page that names
    the applicant and both breaches."""
    p = sitting.assignment.registration.applicant
    name = f"{p.first_name_ka} {p.last_name_ka}"
    if translation.get_language() == "en" and p.first_name_en:  # the registry's Latin name
        name = f"{p.first_name_en} {p.last_name_en} ({name})"
    breaches = [
        _("%(time)s · warning: %(breach)s")
        % {"time": timezone.localtime(w.at).strftime("%H:%M"), "breach": w.get_category_display()}
        + (f" — {w.note}" if w.note else "")
        for w in warnings
    ]
    breaches.append(
        _("Now: %(breach)s")
        % {"breach": dict(form.fields["category"].choices)[form.cleaned_data["category"]]}
        + (f" — {form.cleaned_data['note']}" if form.cleaned_data["note"] else "")
    )
    return confirmation(
        request,
        title=_("Remove %(name)s from the test?") % {"name": name},
        facts=[
            (_("Applicant"), name),
            (_("Registration"), str(sitting.assignment.registration)),
        ],
        items_title=_("The two breaches"),
        items=breaches,
        consequences=[
            _(
                "The applicant already had a warning: this second breach removes them "
                "from the test."
            ),
            _("They are removed from every session of the test still to come (A21.2)."),
            _("A removal protocol naming both breaches is drawn up."),
        ],
        button=_("Remove from the test"),
        back=back,
        keep=["category", "note"],
    )


@staff_required
@require_POST
def no_shows(request, centre_pk, session_pk):
    authorize(request.user, "exam.check_in", NATIONAL)
    centre = get_object_or_404(ExamCentre, pk=centre_pk)
    session = get_object_or_404(ExamSession, pk=session_pk)
    if not confirmed(request):
        n = selectors.expected_count(session, centre)
        return confirmation(
            request,
            title=_("Mark the no-shows of this session?"),
            facts=[
                (_("Exam centre"), f"{centre.code} · {centre.name}"),
                (_("Session"), str(session)),
                (_("Not checked in"), str(n)),
            ],
            consequences=[
                _("Everyone not checked in (%(n)s) is marked absent.") % {"n": n},
                _("An absent applicant loses any right to an extra test (A20.4)."),
            ],
            button=_("Mark them absent"),
            back=reverse("exams:checkin", args=[centre.pk, session.pk]),
        )
    if NoShowsForm(request.POST).is_valid():
        try:
            n = services.mark_no_shows(request.user, session, centre)
            messages.success(request, _("%(n)s applicants marked absent (A20.4).") % {"n": n})
        except ValidationError as exc:
            errors_to_messages(request, exc)
    return redirect("exams:checkin", centre.pk, session.pk)


@staff_required
@require_POST
def presence(request, centre_pk, session_pk):
    authorize(request.user, "exam.check_in", NATIONAL)
    centre = get_object_or_404(ExamCentre, pk=centre_pk)
    session = get_object_or_404(ExamSession, pk=session_pk)
    form = PresenceForm(request.POST)
    if form.is_valid():
        try:
            services.record_presence(request.user, session, centre, **form.cleaned_data)
            messages.success(request, _("Presence recorded (A22)."))
            return redirect("exams:checkin", centre.pk, session.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    ctx = _checkin_context(request, centre, session)
    ctx["presence"] = form
    return render(request, "exams/checkin.html", ctx, status=400)


@staff_required
def protocol(request, pk):
    """A21: the removal protocol, as a PDF."""
    authorize(request.user, "exam.check_in", NATIONAL)
    sitting = get_object_or_404(
        Sitting.objects.select_related(
            "assignment__registration__applicant", "assignment__centre", "session"
        ),
        pk=pk,
    )
    incidents = list(sitting.incidents.select_related("by"))
    if not any(i.kind == IncidentKind.REMOVAL for i in incidents):
        raise Http404
    person = sitting.assignment.registration.applicant
    pdf = render_protocol(
        RemovalProtocol(
            number=f"P-{sitting.pk:06d}",
            applicant=person.full_name,
            personal_number=person.personal_number,
            registration=str(sitting.assignment.registration),
            centre=f"{sitting.assignment.centre.name_ka}, {sitting.assignment.centre.address}",
            session=str(sitting.session),
            incidents=[
                Incident(
                    at=timezone.localtime(i.at),
                    measure=i.get_kind_display(),
                    breach=i.get_category_display(),
                    note=i.note,
                    by=i.by.full_name_ka or i.by.username,
                )
                for i in incidents
            ],
        )
    )
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = attachment(f"protocol-P-{sitting.pk:06d}.pdf")
    return resp


# ---------------------------------------------------------------- public and applicant


def verify(request, token):
    """The invitation's QR code: is this invitation genuine, and where and when is the test?"""
    inv = get_object_or_404(
        Invitation.objects.select_related(
            "registration__applicant",
            "assignment__centre__municipality",
            "assignment__distribution",
        ),
        token=token,
    )
    person = inv.registration.applicant
    return render(
        request,
        "exams/verify.html",
        {
            "inv": inv,
            "name": f"{person.first_name_ka} {person.last_name_ka[:1]}.",
            "sittings": inv.assignment.sittings.select_related(
                "session__skills_test", "session__subject"
            ),
            "check_in": reverse("exams:proctor"),
        },
    )


def my_invitation(request, pk):
    """The applicant downloads the invitation card in the cabinet (A17.3)."""
    applicant = signed_in_applicant(request)
    inv = get_object_or_404(Invitation.objects.select_related("registration"), pk=pk)
    if applicant is None or inv.registration.applicant_id != applicant.pk:
        raise PermissionDenied
    resp = HttpResponse(cards.pdf_bytes(inv), content_type="application/pdf")
    resp["Content-Disposition"] = attachment(f"{inv.number}.pdf")
    return resp
