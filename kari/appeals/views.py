"""The appeals pages: the commission's list with its deadlines, a complaint, a session with the
attendance and the votes, the decisions, the results with the overrides; the proctor's filing
form (from the check-in page); the applicant's complaint and its outcome in the cabinet."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kari.accounts.permissions import NATIONAL, authorize, authorize_any, can
from kari.accounts.signing import signing_body, verify_document
from kari.exams import selectors as exam_selectors
from kari.exams.models import Sitting, SittingStatus
from kari.formerrors import apply_errors, errors_to_messages
from kari.registration.models import Registration
from kari.registration.views import signed_in_applicant
from kari.staffauth import staff_required

from . import documents, rules, services
from . import results as appeal_results
from .forms import (
    AttendanceForm,
    ComplaintForm,
    ConflictForm,
    ConstituteForm,
    ConveneForm,
    MembershipForm,
    RemarkForm,
    VoteForm,
)
from .models import (
    Attachment,
    Commission,
    Complaint,
    ComplaintStatus,
    Decision,
    Meeting,
    OverrideKind,
    ResultOverride,
)


def _round(request):
    round_ = exam_selectors.exam_round(request)
    if round_ is None:
        raise Http404(_("No round has been created yet."))
    return round_


_OWN = object()  # a page of no one object (a list): the actor's own organisation's


def _view(request, organisation=_OWN):
    """`appeals.view` for an object's organisation, or for a list page the actor's own. An
    object whose organisation is missing (None) is nobody's: refused, never taken as yours."""
    if organisation is _OWN:
        organisation = request.user.organisation
    elif organisation is None:
        raise PermissionDenied(_("You can only act for your own organisation."))
    authorize(request.user, "appeals.view", organisation)


def _complaints(round_):
    return (
        Complaint.objects.filter(round=round_)
        .select_related(
            "registration__applicant",
            "sitting__session__subject",
            "sitting__session__skills_test",
            "sitting__assignment__centre",
        )
        .prefetch_related("decisions")
    )


def _row(c: Complaint, today, now) -> dict:
    d = c.decision
    return {
        "c": c,
        "decision": d,
        "handover_late": c.received_late or (c.received_at is None and now > c.handover_due),
        "decision_overdue": d is None and c.decision_due is not None and today > c.decision_due,
        "notice_overdue": d is not None and d.notified_at is None and today > d.notice_due,
    }


@staff_required
def home(request):
    """The commission's list: every complaint with its 24-hour, 5-day and 2-day deadlines."""
    _view(request)
    round_ = _round(request)
    commission = Commission.objects.filter(round=round_).first()
    now, today = timezone.now(), timezone.localdate()
    rows = [_row(c, today, now) for c in _complaints(round_)]
    return render(
        request,
        "appeals/home.html",
        {
            "round": round_,
            "commission": commission,
            "members": commission.active_members() if commission else [],
            "meetings": commission.meetings.select_related("presiding__user") if commission else [],
            "rows": rows,
            "overdue": sum(1 for r in rows if r["decision_overdue"] or r["handover_late"]),
            "may_constitute": can(request.user, "appeals.constitute", request.user.organisation),
            "may_sit": commission is not None
            and can(request.user, "appeals.sit", commission.organisation),
            "convene": ConveneForm(initial={"at": timezone.localtime().replace(second=0)}),
            "membership": (
                MembershipForm(organisation=commission.organisation) if commission else None
            ),
        },
    )


@staff_required
def constitute(request):
    authorize(request.user, "appeals.constitute", request.user.organisation)
    round_ = _round(request)
    form = ConstituteForm(request.POST or None, organisation=request.user.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.constitute(
                request.user,
                round_,
                act_number=form.cleaned_data["act_number"],
                act_date=form.cleaned_data["act_date"],
                members=form.member_pairs(),
            )
            messages.success(request, _("The appeals commission is created (A23.1)."))
            return redirect("appeals:home")
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "appeals/constitute.html", {"form": form, "round": round_})


@staff_required
@require_POST
def membership(request):
    round_ = _round(request)
    commission = get_object_or_404(Commission, round=round_)
    authorize(request.user, "appeals.constitute", commission.organisation)
    form = MembershipForm(request.POST, organisation=commission.organisation)
    if form.is_valid():
        try:
            services.change_membership(request.user, commission, **form.cleaned_data)
            messages.success(request, _("The membership is changed."))
        except ValidationError as exc:
            errors_to_messages(request, exc)
    else:
        for field, errs in form.errors.items():
            for e in errs:
                messages.error(
                    request, f"{form.fields[field].label if field in form.fields else ''}: {e}"
                )
    return redirect("appeals:home")


def _complaint(pk):
    return get_object_or_404(
        Complaint.objects.select_related(
            "round",
            "registration__applicant",
            "sitting__session__subject",
            "sitting__session__skills_test",
            "sitting__assignment__centre",
            "filed_by",
            "received_by",
        ),
        pk=pk,
    )


@staff_required
def complaint(request, pk):
    c = _complaint(pk)
    _view(request, c.organisation)
    commission = Commission.objects.filter(round=c.round).first()
    members = list(commission.active_members()) if commission else []
    d = c.decision
    return render(
        request,
        "appeals/complaint.html",
        {
            "c": c,
            "row": _row(c, timezone.localdate(), timezone.now()),
            "decision": d,
            "motions": c.motions.select_related("meeting").prefetch_related(
                "votes__membership__user"
            ),
            "overrides": d.overrides.select_related("registration__applicant", "entered_by")
            if d
            else [],
            "conflicts": c.conflicts.select_related("membership__user"),
            "conflict_form": ConflictForm(members=members) if members else None,
            "may_sit": commission is not None
            and can(request.user, "appeals.sit", commission.organisation),
            "may_remark": can(request.user, "appeals.remark", c.organisation),
            "remark_form": RemarkForm(),
            "ComplaintStatus": ComplaintStatus,
        },
    )


@staff_required
@require_POST
def receive(request, pk):
    c = _complaint(pk)
    try:
        services.receive(request.user, c)
        messages.success(request, _("Receipt recorded: the 5 days of A24.3 count from now."))
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("appeals:complaint", c.pk)


@staff_required
@require_POST
def conflict(request, pk):
    c = _complaint(pk)
    commission = get_object_or_404(Commission, round=c.round)
    authorize(request.user, "appeals.sit", commission.organisation)
    members = list(commission.active_members())
    form = ConflictForm(request.POST, members=members)
    if form.is_valid():
        m = next(m for m in members if str(m.pk) == form.cleaned_data["membership"])
        try:
            services.declare_conflict(request.user, c, m, note=form.cleaned_data["note"])
            messages.success(
                request, _("%(name)s withdraws from this complaint.") % {"name": m.name}
            )
        except ValidationError as exc:
            errors_to_messages(request, exc)
    return redirect("appeals:complaint", c.pk)


def _pdf(data: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return resp


@staff_required
def receipt(request, pk):
    c = _complaint(pk)
    authorize_any(request.user, ("appeals.file", NATIONAL), ("appeals.view", c.organisation))
    return _pdf(documents.receipt_pdf(c), c.number)


@staff_required
def attachment(request, pk):
    a = get_object_or_404(Attachment.objects.select_related("complaint"), pk=pk)
    authorize_any(
        request.user, ("appeals.file", NATIONAL), ("appeals.view", a.complaint.organisation)
    )
    # the type sniffed from the content at filing, never guessed from the uploader's name
    return FileResponse(
        a.file.open("rb"), as_attachment=True, filename=a.name, content_type=a.content_type
    )


@staff_required
@require_POST
def convene(request):
    round_ = _round(request)
    commission = get_object_or_404(Commission, round=round_)
    form = ConveneForm(request.POST)
    if form.is_valid():
        try:
            m = services.convene(request.user, commission, at=form.cleaned_data["at"])
            return redirect("appeals:meeting", m.pk)
        except ValidationError as exc:
            errors_to_messages(request, exc)
    else:
        messages.error(request, _("Enter the session's date and time."))
    return redirect("appeals:home")


def _meeting(pk):
    return get_object_or_404(
        Meeting.objects.select_related(
            "commission__round", "commission__organisation", "presiding__user", "secretary__user"
        ),
        pk=pk,
    )


def _candidates(c: Complaint):
    """The applicants who sat the complaint's session at its centre, but the complainant."""
    s = c.sitting
    sittings = (
        Sitting.objects.issued()
        .at(s.assignment.centre, s.session)
        .exclude(assignment__registration=c.registration)
        .exclude(status=SittingStatus.ABSENT)
        .select_related("assignment__registration__applicant")
        .order_by("assignment__registration__applicant__last_name_ka")
    )
    return [
        (
            x.assignment.registration,
            f"{x.assignment.registration.applicant.full_name} ({x.assignment.registration.number})",
        )
        for x in sittings
    ]


def _agenda(meeting, bound=None):
    out = []
    for c in _complaints(meeting.commission.round).filter(status=ComplaintStatus.RECEIVED):
        t = services.tally(meeting, c) if meeting.attendance_taken else None
        form = None
        if t is not None:
            form = (
                bound
                if bound is not None and bound.prefix == f"c{c.pk}"
                else VoteForm(voters=t["present"], candidates=_candidates(c), prefix=f"c{c.pk}")
            )
        out.append({"c": c, "tally": t, "form": form})
    return out


def _meeting_page(request, meeting, status=200, attendance_form=None, bound=None):
    members = list(meeting.commission.active_members())
    present = {m.pk for m in meeting.present()}
    return render(
        request,
        "appeals/meeting.html",
        {
            "meeting": meeting,
            "members": members,
            "present": present,
            "quorum": rules.has_quorum(meeting.full_membership, len(present)),
            "attendance": attendance_form
            or AttendanceForm(
                members=members,
                initial={"present": [str(pk) for pk in present]} if present else None,
            ),
            "agenda": _agenda(meeting, bound),
            "decided": Decision.objects.filter(motion__meeting=meeting).select_related("complaint"),
            "may_sit": can(request.user, "appeals.sit", meeting.organisation),
        },
        status=status,
    )


@staff_required
def meeting(request, pk):
    m = _meeting(pk)
    _view(request, m.organisation)
    return _meeting_page(request, m)


@staff_required
@require_POST
def attendance(request, pk):
    m = _meeting(pk)
    authorize(request.user, "appeals.sit", m.organisation)
    members = list(m.commission.active_members())
    form = AttendanceForm(request.POST, members=members)
    if form.is_valid():
        by_pk = {str(x.pk): x for x in members}
        try:
            services.take_attendance(
                request.user,
                m,
                present=[by_pk[p] for p in form.cleaned_data["present"]],
                stand_in=by_pk.get(form.cleaned_data["stand_in"] or ""),
            )
            messages.success(request, _("Attendance recorded."))
            return redirect("appeals:meeting", m.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return _meeting_page(request, m, status=400, attendance_form=form)


@staff_required
@require_POST
def vote(request, pk, complaint_pk):
    m = _meeting(pk)
    c = _complaint(complaint_pk)
    _view(request, m.organisation)
    if not m.attendance_taken:
        messages.error(request, _("Take the attendance first."))
        return redirect("appeals:meeting", m.pk)
    t = services.tally(m, c)
    candidates = _candidates(c)
    form = VoteForm(request.POST, voters=t["present"], candidates=candidates, prefix=f"c{c.pk}")
    if form.is_valid():
        regs = {str(r.pk): r for r, _label in candidates}
        try:
            motion = services.put_to_vote(
                request.user,
                m,
                c,
                outcome=form.cleaned_data["outcome"],
                reasons=form.cleaned_data["reasons"],
                votes=form.votes(),
                zero=[regs[x] for x in form.cleaned_data["zero"]],
                remark=form.cleaned_data["remark"],
            )
            if motion.passed:
                messages.success(
                    request,
                    _("Decided: %(in)s of %(present)s in favour. Decision %(number)s is signed.")
                    % {
                        "in": motion.in_favour,
                        "present": motion.present,
                        "number": motion.decision.number,
                    },
                )
                return redirect("appeals:complaint", c.pk)
            messages.warning(
                request,
                _(
                    "Not carried: %(in)s of %(present)s in favour is no majority of those "
                    "present (A24.4)."
                )
                % {"in": motion.in_favour, "present": motion.present},
            )
            return redirect("appeals:meeting", m.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return _meeting_page(request, m, status=400, bound=form)


@staff_required
def decision_pdf(request, pk):
    d = get_object_or_404(Decision.objects.select_related("complaint"), pk=pk)
    _view(request, d.organisation)
    return _pdf(d.pdf.read() if d.pdf else documents.decision_pdf(d), d.number)


@staff_required
def results(request):
    """The results with the commission's overrides (A25.4): the score in force, NAEC's score,
    the decision and who entered it; a re-import of NAEC's file keeps them."""
    _view(request)
    round_ = _round(request)
    effective = appeal_results.effective_results(round_)
    overrides = (
        ResultOverride.objects.filter(round=round_)
        .select_related("registration__applicant", "decision__complaint", "entered_by")
        .order_by("decision__decided_at", "pk")
    )
    rows = []
    for o in overrides:
        e = effective.get(o.registration_id)
        applied = next(
            (
                a
                for a in (e.overrides if e else ())
                if a.decision == o.decision.number and a.kind == o.kind
            ),
            None,
        )
        rows.append({"o": o, "imported": applied.imported if applied else None})
    return render(
        request,
        "appeals/results.html",
        {
            "round": round_,
            "rows": rows,
            "imported": len(effective),
            "may_remark": can(request.user, "appeals.remark", request.user.organisation),
            "remark_form": RemarkForm(),
            "REMARK": OverrideKind.REMARK,
        },
    )


@staff_required
@require_POST
def remark(request, pk):
    o = get_object_or_404(ResultOverride.objects.select_related("decision__complaint"), pk=pk)
    authorize(request.user, "appeals.remark", o.organisation)
    form = RemarkForm(request.POST)
    if form.is_valid():
        try:
            services.enter_remark(request.user, o, score=form.cleaned_data["score"])
            messages.success(request, _("The re-marked score is in force."))
        except ValidationError as exc:
            errors_to_messages(request, exc)
    else:
        messages.error(request, _("A score is between 0 and 30."))
    return redirect(
        request.POST.get("next") == "complaint" and "appeals:complaint" or "appeals:results",
        *([o.decision.complaint_id] if request.POST.get("next") == "complaint" else []),
    )


# ---------------------------------------------------------------- the proctor (A25.1-A25.3)


@staff_required
def file(request, sitting_pk):
    """The proctor records a complaint for an applicant found on the check-in page."""
    authorize(request.user, "appeals.file", NATIONAL)
    sitting = get_object_or_404(
        Sitting.objects.issued().select_related(
            "assignment__registration__applicant", "assignment__centre", "session"
        ),
        pk=sitting_pk,
    )
    form = ComplaintForm(request.POST or None, request.FILES or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.file_complaint(
                request.user,
                sitting,
                ground=form.cleaned_data["ground"],
                statement=form.cleaned_data["statement"],
                others=form.cleaned_data["others"],
                id_shown=form.cleaned_data["id_shown"],
                invitation_shown=form.cleaned_data["invitation_shown"],
                files=form.cleaned_data["files"],
            )
            messages.success(
                request,
                _("Complaint %(number)s is recorded. Print the receipt for the applicant.")
                % {"number": created.number},
            )
            return redirect(f"{request.path}?filed={created.pk}")
        except ValidationError as exc:
            apply_errors(form, exc)
    filed = None
    if request.GET.get("filed", "").isdigit():
        filed = Complaint.objects.filter(pk=request.GET["filed"], sitting=sitting).first()
    return render(
        request,
        "appeals/file.html",
        {
            "form": form,
            "sitting": sitting,
            "person": sitting.assignment.registration.applicant,
            "filed": filed,
            "earlier": sitting.complaints.all(),
        },
        status=400 if request.method == "POST" else 200,
    )


def verify(request, token):
    """The receipt's or the decision's QR code: is it genuine, and where does it stand?"""
    c = Complaint.objects.filter(token=token).first()
    d = None
    if c is None:
        d = get_object_or_404(Decision.objects.select_related("complaint"), token=token)
        c = d.complaint
    d = d or c.decision
    signed = None
    if d is not None and d.pdf:
        result = verify_document(d.pdf.read())
        signed = result.ok and signing_body(result) == c.round.appeals_commission.organisation
    return render(request, "appeals/verify.html", {"c": c, "decision": d, "signed": signed})


# ---------------------------------------------------------------- the applicant (cabinet)


def _own_complaint(request, pk) -> Complaint:
    applicant = signed_in_applicant(request)
    c = get_object_or_404(_complaints_qs(), pk=pk)
    if applicant is None or c.registration.applicant_id != applicant.pk:
        raise PermissionDenied
    return c


def _complaints_qs():
    return Complaint.objects.select_related(
        "round",
        "registration__applicant",
        "sitting__session__subject",
        "sitting__session__skills_test",
        "sitting__assignment__centre",
        "filed_by",
    )


def my_complaint(request, pk):
    c = _own_complaint(request, pk)
    d = c.decision
    return render(
        request,
        "appeals/my_complaint.html",
        {
            "c": c,
            "decision": d,
            "overrides": ResultOverride.objects.filter(decision__complaint=c).select_related(
                "registration"
            ),
            "against_me": ResultOverride.objects.filter(
                registration__applicant=c.registration.applicant, kind=OverrideKind.ZERO
            ).select_related("decision"),
        },
    )


def my_receipt(request, pk):
    c = _own_complaint(request, pk)
    return _pdf(documents.receipt_pdf(c), c.number)


def my_decision(request, pk):
    applicant = signed_in_applicant(request)
    d = get_object_or_404(Decision.objects.select_related("complaint__registration"), pk=pk)
    concerned = (
        Registration.objects.filter(applicant=applicant)
        .filter(result_overrides__decision=d)
        .exists()
        if applicant
        else False
    )
    if applicant is None or not (
        d.complaint.registration.applicant_id == applicant.pk or concerned
    ):
        raise PermissionDenied
    return _pdf(d.pdf.read() if d.pdf else documents.decision_pdf(d), d.number)
