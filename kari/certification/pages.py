"""Pages for applicants (sign in by email code, apply, answer, talk to the team, download the
certificate) and for the organisation's team (check, assign, score, ask, decide, revoke)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kari.accounts.models import User
from kari.accounts.permissions import authorize_any
from kari.clientip import client_ip
from kari.documents import CertificateData, Signatory
from kari.documents import certificate_pdf as render_pdf
from kari.files import attachment
from kari.formerrors import apply_errors, posted_id
from kari.staffauth import is_staff_signed_in, staff_required

from . import services
from .forms import (
    AnswerForm,
    ApplicationForm,
    CallForm,
    CheckForm,
    DecisionForm,
    EmailForm,
    EventForm,
    MessageForm,
    QuestionForm,
    RevokeForm,
    ScoreForm,
)
from .issuing import site_url
from .models import (
    Application,
    Assignment,
    Call,
    CertApplicant,
    Certificate,
    Event,
    InfoRequest,
    Invitation,
    Upload,
)

SESSION, PENDING = "kari_cert_applicant", "kari_cert_pending"
PENDING_CODE = "kari_cert_pending_code"  # the code's id: only its requester guesses at it


def _applicant(request) -> CertApplicant | None:
    pk = request.session.get(SESSION)
    return CertApplicant.objects.filter(pk=pk).first() if pk else None


def sign_in(request):
    form = EmailForm(request.POST or None)
    code_form = None
    if request.method == "POST" and "code" in request.POST and request.session.get(PENDING):
        try:
            who = services.sign_in(
                request.session[PENDING],
                request.POST.get("code", ""),
                ip=client_ip(request),
                code_id=request.session.get(PENDING_CODE),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            request.session.cycle_key()
            request.session[SESSION] = who.pk
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("certification:mine")
            return redirect(target)
        code_form = True
    elif request.method == "POST" and form.is_valid():
        try:
            code_id = services.request_sign_in(form.cleaned_data["email"], ip=client_ip(request))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session[PENDING] = form.cleaned_data["email"].lower()
            request.session[PENDING_CODE] = code_id
            code_form = True
    return render(request, "certification/sign_in.html", {"form": form, "code_form": code_form})


@require_POST
def sign_out(request):
    """A certification applicant signs out (issue 11, point 6)."""
    request.session.pop(SESSION, None)
    request.session.pop(PENDING, None)
    request.session.pop(PENDING_CODE, None)
    request.session.cycle_key()
    return redirect("certification:calls")


def apply(request, pk):
    call = get_object_or_404(Call, pk=pk)
    who = _applicant(request)
    if who is None:
        return redirect(f"{reverse('certification:sign_in')}?next={request.path}")
    app = Application.objects.filter(call=call, applicant=who).first()
    initial = {
        "full_name_ka": who.full_name_ka,
        "full_name_en": who.full_name_en,
        "phone": who.phone,
        "affiliation": who.affiliation,
    } | (app.answers if app else {})
    form = ApplicationForm(
        request.POST or None, request.FILES or None, questions=call.questions, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            app = services.save_draft(
                who,
                call,
                answers={q: data[q] for q in form.questions},
                profile={k: data[k] for k in services.PROFILE_FIELDS},
            )
            for kind in ("cv", "evidence"):
                if data.get(kind):
                    services.add_upload(who, app, kind, data[kind])
            if "submit" in request.POST:
                app = services.submit(who, app)
                messages.success(
                    request, _("Submitted. Your receipt number is %(r)s.") % {"r": app.receipt}
                )
                return redirect("certification:mine")
            messages.success(request, _("Draft saved."))
            return redirect("certification:apply", pk=call.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(
        request,
        "certification/apply.html",
        {
            "call": call,
            "form": form,
            "app": app,
            "open": services.call_open(call),
            "uploads": app.uploads.all() if app else [],
        },
    )


def mine(request):
    who = _applicant(request)
    if who is None:
        return redirect("certification:sign_in")
    if request.method == "POST":
        try:
            if "answer" in request.POST:
                req = get_object_or_404(
                    InfoRequest, pk=posted_id(request, "request"), application__applicant=who
                )
                services.answer_information(who, req, request.POST.get("answer", ""))
                messages.success(request, _("Thank you. The review continues."))
            elif "body" in request.POST:
                call = get_object_or_404(Call, pk=posted_id(request, "call"))
                services.send_message(call, who, request.POST.get("body", ""))
                messages.success(request, _("Sent to the team."))
            elif "directory" in request.POST:
                services.set_directory_entry(
                    who,
                    opt_in="opt_in" in request.POST,
                    show_email="show_email" in request.POST,
                    show_affiliation="show_affiliation" in request.POST,
                    bio=request.POST.get("bio", ""),
                )
                messages.success(request, _("Your directory entry is saved."))
            return redirect("certification:mine")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "certification/mine.html",
        {
            "who": who,
            "applications": [
                _with_submitted(app)
                for app in who.applications.select_related("call").prefetch_related(
                    "info_requests", "uploads"
                )
            ],
            "answer_form": AnswerForm(),
            "message_form": MessageForm(),
            "calls": Call.objects.all(),
        },
    )


def _with_submitted(app):
    """What the applicant submitted, to read back (issue 19, point 4): each question of the
    call with the answer given, in the call's order."""
    answers = dict(app.answers)
    app.submitted = [
        (q.get("label", q["code"]), answers.pop(q["code"]))
        for q in app.call.questions
        if q["code"] in answers
    ] + list(answers.items())
    return app


def certificate_pdf(request, number):
    """The holder, or the organisation's staff."""
    cert = get_object_or_404(
        Certificate.objects.select_related(
            "application__applicant", "application__call__organisation"
        ),
        number=number,
    )
    who = _applicant(request)
    if not (who and who.pk == cert.application.applicant_id):
        if not is_staff_signed_in(request.user):  # a password alone is not a staff sign-in
            raise PermissionDenied
        authorize_any(request.user, ("cert.manage", cert.organisation))
    app, org = cert.application, cert.application.call.organisation
    data = render_pdf(
        CertificateData(
            number=cert.number,
            holder_name=app.applicant.full_name_ka,
            holder_name_en=app.applicant.full_name_en,
            programme=app.call.programme_ka,
            programme_en=app.call.programme_en,
            title_ka="ინდივიდუალური სერტიფიცირება",
            title_en="Individual Certification",
            achievement_ka="მონაწილეობის მექანიზმებისა და სამოქალაქო ბიუჯეტის ექსპერტიზა",
            achievement_en="Expertise in participation mechanisms and the civic budget",
            organisation=org.name_ka,
            organisation_en=org.name_en,
            issued_on=cert.issued_at.strftime("%d.%m.%Y"),
            signatories=[
                Signatory(
                    name=app.decided_by.display_name if app.decided_by else "",
                    role="ექსპერტთა გუნდი / Expert team",
                )
            ],
            verify_url=site_url(services.verify_url(cert)),
            status_note="REVOKED / გაუქმებულია" if cert.revoked_at else "",
        )
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = attachment(f"{cert.number}.pdf")
    return response


# ---------------------------------------------------------------- the organisation's team


def _staff_app(request, pk) -> Application:
    app = get_object_or_404(
        Application.objects.select_related("call__organisation", "applicant"), pk=pk
    )
    authorize_any(
        request.user, ("cert.manage", app.call.organisation), ("cert.review", app.call.organisation)
    )
    return app


@staff_required
def staff_list(request):
    authorize_any(
        request.user,
        ("cert.manage", request.user.organisation),
        ("cert.review", request.user.organisation),
    )
    calls = Call.objects.filter(organisation=request.user.organisation).prefetch_related(
        "applications__applicant"
    )
    mine = Assignment.objects.filter(reviewer=request.user).select_related("application__applicant")
    if request.method == "POST" and "assign" in request.POST:
        call = get_object_or_404(
            Call, pk=posted_id(request, "assign"), organisation=request.user.organisation
        )
        made = services.assign_reviewers(
            request.user, call, User.objects.filter(organisation=call.organisation)
        )
        messages.success(request, _("%(n)s reviews assigned.") % {"n": made})
        return redirect("certification:staff")
    return render(request, "certification/staff_list.html", {"calls": calls, "mine": mine})


@staff_required
def staff_detail(request, pk):
    app = _staff_app(request, pk)
    assignment = app.assignments.filter(reviewer=request.user).first()
    criteria = list(app.call.criteria.all())
    score_form = ScoreForm(
        request.POST if "score" in request.POST else None,
        criteria=criteria,
        initial=ScoreForm.initial_from(assignment) if assignment else None,
    )
    decision_form = DecisionForm(request.POST if "decide" in request.POST else None)
    question_form = QuestionForm(request.POST if "ask" in request.POST else None)
    check_form = CheckForm(request.POST if "check" in request.POST else None)
    step = request.POST.get("step", "")
    scoring = request.method == "POST" and "score" in request.POST and assignment is not None
    if scoring and step != "submit":
        # C3: the reviewer sees a summary before submitting; "edit" returns to the form with
        # what was chosen, a form with a criterion left unchosen shows its errors.
        if step != "edit" and score_form.is_valid():
            return render(
                request,
                "certification/score_check.html",
                {"app": app, "form": score_form, "rows": score_form.summary()},
            )
        if step != "edit":
            messages.error(request, _("Choose a score for every criterion."))
    elif request.method == "POST":
        try:
            if "check" in request.POST and check_form.is_valid():
                services.check_completeness(
                    request.user,
                    app,
                    complete=request.POST.get("check") == "complete",
                    reasons=check_form.cleaned_data["reasons"],
                )
            elif "ask" in request.POST and question_form.is_valid():
                services.request_information(
                    request.user, app, question_form.cleaned_data["question"]
                )
            elif "score" in request.POST and assignment and score_form.is_valid():
                services.submit_scores(request.user, assignment, score_form.scores())
            elif "decide" in request.POST and decision_form.is_valid():
                services.decide(
                    request.user,
                    app,
                    certified=decision_form.cleaned_data["certified"] == "yes",
                    reasons=decision_form.cleaned_data["reasons"],
                )
            elif "conflict" in request.POST:
                services.declare_conflict(
                    request.user, app, request.POST.get("conflict_reason", "")
                )
            else:
                raise ValidationError(_("Check the form."))
            messages.success(request, _("Saved."))
            return redirect("certification:staff_detail", pk=app.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "certification/staff_detail.html",
        {
            "app": app,
            "summary": services.summary(app),
            "assignment": assignment,
            "score_form": score_form,
            "decision_form": decision_form,
            "question_form": question_form,
            "check_form": check_form,
            "can_manage": request.user.has_kari_perm("cert.manage"),
            "uploads": app.uploads.all(),
            # the answers under their questions, never the questions' internal codes
            "answers": [
                (q.get("label") or q["code"], app.answers.get(q["code"], ""))
                for q in app.call.questions
            ],
            "requests": app.info_requests.all(),
            "assignments": app.assignments.select_related("reviewer").prefetch_related(
                "scores__criterion"
            ),
            "certificate": getattr(app, "certificate", None) if app.status == "certified" else None,
        },
    )


@staff_required
def upload(request, pk):
    up = get_object_or_404(Upload.objects.select_related("application__call__organisation"), pk=pk)
    authorize_any(
        request.user,
        ("cert.manage", up.application.call.organisation),
        ("cert.review", up.application.call.organisation),
    )
    response = HttpResponse(up.file.read(), content_type="application/octet-stream")
    response["Content-Disposition"] = attachment(up.name)
    return response


@staff_required
def new_call(request):
    """The certifying organisation publishes a call with the C3 criteria."""
    authorize_any(request.user, ("cert.manage", request.user.organisation))
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.create_call(
                request.user, request.user.organisation, **form.call_fields()
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Call published."))
            return redirect("certification:call", pk=call.pk)
    return render(request, "certification/form_page.html", {"form": form, "title": _("New call")})


@staff_required
def revoke(request, number):
    cert = get_object_or_404(Certificate, number=number)
    authorize_any(request.user, ("cert.decide", cert.organisation))
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke(request.user, cert, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Certificate revoked."))
            return redirect("certification:verify", number=cert.number)
    return render(
        request,
        "certification/form_page.html",
        {"form": form, "title": _("Revoke %(n)s") % {"n": cert.number}},
    )


@staff_required
def events(request):
    """C5: conferences, invitations to certified holders, attendance and hand-over."""
    org = request.user.organisation
    authorize_any(request.user, ("cert.manage", org))
    form = EventForm(request.POST if "create" in request.POST else None)
    if request.method == "POST":
        try:
            if "create" in request.POST and form.is_valid():
                services.create_event(request.user, org, **form.cleaned_data)
            elif "invite" in request.POST:
                event = get_object_or_404(Event, pk=posted_id(request, "invite"), organisation=org)
                n = services.invite_certified(request.user, event)
                messages.success(request, _("%(n)s invitations sent.") % {"n": n})
            elif "attendance" in request.POST:
                inv = get_object_or_404(
                    Invitation, pk=posted_id(request, "attendance"), event__organisation=org
                )
                services.record_attendance(
                    request.user,
                    inv,
                    attended="attended" in request.POST,
                    handed_over="handed_over" in request.POST,
                )
            return redirect("certification:events")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "certification/events.html",
        {
            "form": form,
            "events": Event.objects.filter(organisation=org)
            .prefetch_related("invitations__certificate__application__applicant")
            .order_by("-starts_at"),
        },
    )
