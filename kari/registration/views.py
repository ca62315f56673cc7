"""Registration pages: online (applicants), at a registration centre (clerks), the cabinet,
printouts and their public verification. Thin: every rule is in services/rules."""

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.permissions import authorize, can
from kari.clientip import client_ip
from kari.files import attachment
from kari.formerrors import apply_errors
from kari.rounds.services import current_round
from kari.staffauth import staff_required

from . import access, choices, contacts, printouts, services
from .forms import (
    CodeForm,
    ContactsResetForm,
    FilterForm,
    RegistrationForm,
    SignInForm,
    SubsequentForm,
    for_clerk,
)
from .models import Applicant, Registration

PENDING, APPLICANT = "kari_pending_registration", "kari_applicant"


def _ip(request):
    return client_ip(request)


def signed_in_applicant(request) -> Applicant | None:
    pk = request.session.get(APPLICANT)
    return Applicant.objects.filter(pk=pk).first() if pk else None


def _initial_from(reg: Registration) -> tuple[dict, list[str]]:
    snap = services.snapshot(reg)
    initial = {
        k: snap[k]
        for k in (
            "exam_municipality",
            "test_language",
            "foreign_language",
            "adapted_environment",
            "carried_over",
            "retakes_test",
        )
    }
    initial |= {
        "personal_number": reg.applicant.personal_number,
        "phone": reg.applicant.phone,
        "email": reg.applicant.email,
    }
    return initial, snap["programmes"]


def _register(request, *, channel: str, stage: str, actor, template: str):
    round_ = current_round()
    if round_ is None:
        raise Http404
    state = services.window(round_, stage=stage)
    form_class = SubsequentForm if stage == services.SUBSEQUENT else RegistrationForm
    existing = None
    applicant = actor if isinstance(actor, Applicant) else None
    if applicant is not None:
        existing = applicant.registrations.filter(round=round_, stage=stage).first()
    action = request.POST.get("action", "") if request.method == "POST" else ""
    programme_errors: list[str] = []
    filters = FilterForm(request.POST or request.GET or None)
    search = {
        name: (filters.data.get(name, "") if filters.is_bound else "")
        for name in ("q", "direction", "field")
    }
    if request.method == "POST":
        posted = request.POST.copy()
        if applicant is not None:  # read-only: a change keeps the applicant's own number
            posted["personal_number"] = applicant.personal_number
        codes = [c for c in posted.getlist("programmes") if c]
        if action == "submit":
            form = form_class(posted)
        else:  # editing the list: keep what was typed, judge nothing yet
            form = form_class(
                initial={name: posted.get(name, "") for name in form_class.base_fields}
                | {
                    "carried_over": "carried_over" in posted,
                    "retakes_test": "retakes_test" in posted,
                }
            )
    else:
        initial, codes = _initial_from(existing) if existing else ({}, [])
        if applicant is not None:
            initial["personal_number"] = applicant.personal_number
        form = form_class(initial=initial)
        wanted = request.GET.get("add", "")  # "Register" on a programme's page
        if wanted and not codes:
            codes = [wanted]
    if channel == "centre":
        for_clerk(form)
    elif applicant is not None:  # signed in with a code: proven already
        form.fields.pop("document_number", None)
        form.fields["personal_number"].widget.attrs["readonly"] = True
        form.fields["personal_number"].help_text = _(
            "The personal number of a registration cannot be changed."
        )
    values = form.data if form.is_bound else form.initial
    locked = (
        (existing.skills_test_id, existing.subject_group_id)
        if existing and state == "reranking"
        else None
    )

    def offered(chosen_now, **narrow):
        return choices.eligible(
            round_,
            chosen_now,
            test_language=values.get("test_language", "ka") or "ka",
            foreign_language=values.get("foreign_language", "") or "",
            stage=stage,
            locked_test=locked,
            **narrow,
        )

    if action.startswith("add"):
        added = request.POST.get("add", "")
        before = choices.offered_programmes_in_order(round_, codes, stage)
        if added and not offered(before).filter(code=added).exists():
            programme_errors.append(
                _(
                    "This programme does not fit the list or the languages chosen: choose one "
                    "of the programmes offered."
                )
            )
            action = "filter"
    codes = choices.apply_action(codes, action, request.POST.get("add", ""))
    if action == "submit" and form.is_valid():
        data = form.cleaned_data | {"programmes": codes}
        try:
            pending = services.start(
                actor, data, round_, channel=channel, stage=stage, ip=_ip(request)
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                programme_errors += [str(m) for m in exc.message_dict.pop("programmes", [])]
                exc = ValidationError(exc.message_dict) if exc.message_dict else None
            if exc is not None:
                apply_errors(form, exc)
        else:
            # Only the code's id: the session never holds a personal number or a code.
            request.session[PENDING] = {"code": pending.code_id, "channel": channel}
            # The same answer whether or not the number is registered (issue 11, point 2).
            messages.info(
                request,
                _(
                    "A one-time code is on its way: to the email and phone on record if this "
                    "personal number has registered before, otherwise to the ones entered."
                ),
            )
            for warning in pending.warnings:  # A13.4(f): requirements to know about
                messages.warning(request, warning)
            return redirect(
                "registration:centre_confirm" if channel == "centre" else "registration:confirm"
            )
    chosen = choices.offered_programmes_in_order(round_, codes, stage)
    eligible = list(offered(chosen, **search))
    return render(
        request,
        template,
        {
            "form": form,
            "filters": filters,
            "chosen": chosen,
            "eligible": eligible,
            "eligible_count": len(eligible),
            "programme_errors": programme_errors,
            # the error summary's items after the form's own (kari.formerrors)
            "error_extra": [("#ranked-title", m) for m in programme_errors],
            "round": round_,
            "state": state,
            "existing": existing,
            "stage": stage,
            "channel": channel,
        },
    )


def register(request):
    """A15.1: online primary-stage registration (or a change by a signed-in applicant)."""
    return _register(
        request,
        channel="online",
        stage="primary",
        actor=signed_in_applicant(request),
        template="registration/register.html",
    )


@staff_required
def centre_register(request, stage="primary"):
    """A15.1, A16: a clerk registers an applicant; the applicant's code confirms it."""
    authorize(request.user, "registration.register", request.user.organisation)
    return _register(
        request,
        channel="centre",
        stage=stage,
        actor=request.user,
        template="registration/register.html",
    )


def _confirm(request, *, channel: str):
    pending = request.session.get(PENDING)
    if not pending or pending.get("channel") != channel or "code" not in pending:
        return redirect(
            "registration:register" if channel == "online" else "registration:centre_register"
        )
    if request.method == "POST" and request.POST.get("action") == "resend":
        return _resend(request, "register", pending)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reg = services.confirm_pending(
                pending["code"], form.cleaned_data["code"], ip=_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            del request.session[PENDING]
            messages.success(
                request, _("Registration %(number)s is confirmed.") % {"number": reg.number}
            )
            if channel == "centre":
                return redirect("registration:centre_done", pk=reg.pk)
            request.session.cycle_key()
            request.session[APPLICANT] = reg.applicant_id
            return redirect("registration:cabinet")
    return _code_page(request, form, channel=channel, resend=True)


def _code_page(request, form, *, channel: str, resend: bool):
    return render(
        request,
        "registration/confirm.html",
        {
            "form": form,
            "channel": channel,
            "resend": resend,
            "again": reverse(
                {
                    "online": "registration:register",
                    "sign_in": "registration:sign_in",
                    "centre": "registration:centre_register",
                }.get(channel, "registration:counter")
            ),
        },
    )


def _resend(request, purpose: str, pending: dict):
    """ "Send a new code": the same pending step, a new code to the same contacts."""
    try:
        pending["code"] = services.resend_code(purpose, pending["code"], ip=_ip(request))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        request.session[PENDING] = pending
        messages.info(request, _("A new code is on its way. The earlier code no longer works."))
    return redirect(request.path)


def confirm(request):
    return _confirm(request, channel="online")


@staff_required
def centre_confirm(request):
    return _confirm(request, channel="centre")


def _staff_registration(request, pk, *, printout: bool = False) -> Registration:
    """EMIS (national, A12.3), the centre that made it, a clerk with the applicant's counter
    code, or (to see it, not print it) an institution whose programme is on its list."""
    reg = get_object_or_404(
        Registration.objects.select_related("applicant", "round", "centre"), pk=pk
    )
    check = access.authorize_printout if printout else access.authorize_view
    check(request.user, reg, counter=access.counter_grants(request.session))
    return reg


@staff_required
def centre_done(request, pk):
    reg = _staff_registration(request, pk)
    can_print = True
    try:
        access.authorize_printout(request.user, reg, counter=access.counter_grants(request.session))
    except PermissionDenied:
        can_print = False
    return render(
        request,
        "registration/centre_done.html",
        {
            "reg": reg,
            "versions": reg.versions.all(),
            "can_print": can_print,
            "is_clerk": can(request.user, "registration.register", request.user.organisation),
        },
    )


@staff_required
def centre_printout(request, pk):
    return _pdf(request, _staff_registration(request, pk, printout=True))


@staff_required
def counter(request):
    """The applicant is at the counter: a code to their contacts on record opens their
    registrations for this clerk's session (issue 11: no clerk browses others' registrations)."""
    authorize(request.user, "registration.register", request.user.organisation)
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code_id = access.request_counter_code(
                request.user, form.cleaned_data["personal_number"], ip=_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session[PENDING] = {"code": code_id, "channel": "counter"}
            messages.info(
                request,
                _(
                    "If this personal number is registered, a code is on its way to the "
                    "applicant's email and phone on record."
                ),
            )
            return redirect("registration:counter_code")
    return render(request, "registration/counter.html", {"form": form})


@staff_required
def counter_code(request):
    pending = request.session.get(PENDING)
    if not pending or pending.get("channel") != "counter" or "code" not in pending:
        return redirect("registration:counter")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            applicant = access.open_at_counter(
                request.user, pending["code"], form.cleaned_data["code"], ip=_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            del request.session[PENDING]
            access.grant_in_session(request.session, applicant.pk)
            reg = applicant.registrations.order_by("-round__test_starts", "-pk").first()
            if reg is None:
                messages.info(request, _("This applicant has no registration yet."))
                return redirect("registration:centre_register")
            return redirect("registration:centre_done", pk=reg.pk)
    return _code_page(request, form, channel="counter", resend=False)


def _pdf(request, reg):
    data = printouts.render(reg, request.build_absolute_uri(printouts.verify_path(reg)))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = attachment(f"kari-{reg.number}-v{reg.version}.pdf")
    return response


@staff_required
def contacts_reset(request):
    """Issue 11, point 2: the applicant lost the phone or email on record; the clerk who holds
    their ID card resets them, with a reason; the old contacts are told."""
    authorize(request.user, "registration.register", request.user.organisation)
    form = ContactsResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contacts.reset_contacts(request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("The contacts are reset. The old phone and email were told of the change."),
            )
            return redirect("registration:counter")
    return render(request, "registration/contacts_reset.html", {"form": form})


def sign_in(request):
    """A15.1: the applicant signs in with a personal number and a one-time code."""
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code_id = services.request_sign_in(
                form.cleaned_data["personal_number"], ip=_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session[PENDING] = {"code": code_id, "channel": "sign_in"}
            messages.info(
                request,
                _(
                    "If this personal number is registered, "
                    "a code is on its way to the email and phone on record."
                ),
            )
            return redirect("registration:sign_in_code")
    return render(request, "registration/sign_in.html", {"form": form})


def sign_in_code(request):
    pending = request.session.get(PENDING)
    if not pending or pending.get("channel") != "sign_in" or "code" not in pending:
        return redirect("registration:sign_in")
    if request.method == "POST" and request.POST.get("action") == "resend":
        return _resend(request, "sign_in", pending)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            applicant = services.sign_in_pending(
                pending["code"], form.cleaned_data["code"], ip=_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            del request.session[PENDING]
            request.session.cycle_key()
            request.session[APPLICANT] = applicant.pk
            return redirect("registration:cabinet")
    return _code_page(request, form, channel="sign_in", resend=True)


def sign_out(request):
    if request.method == "POST":
        request.session.pop(APPLICANT, None)
    return redirect("portal:home")


def cabinet(request):
    applicant = signed_in_applicant(request)
    if applicant is None:
        return redirect("registration:sign_in")
    round_ = current_round()
    regs = (
        applicant.registrations.select_related(
            "round", "exam_municipality", "skills_test", "subject_group", "centre"
        )
        .prefetch_related("choices__programme__institution__organisation", "versions")
        .order_by("-round__test_starts")
    )
    return render(
        request,
        "registration/cabinet.html",
        {
            "applicant": applicant,
            "registrations": regs,
            "round": round_,
            "state": services.window(round_) if round_ else None,
            # A41: placed by the minister's SEN act, with or without a general registration
            "sen_enrolment": applicant.enrolments.filter(sen_placement__isnull=False).exists(),
            # A39: the SEN exam centre the minister's act gives (the reverse relation: the SEN
            # app sits above this one)
            "sen_registrations": applicant.sen_registrations.select_related(
                "round", "host__organisation", "host_act"
            ).order_by("-registered_at"),
        },
    )


def cabinet_printout(request, pk):
    applicant = signed_in_applicant(request)
    reg = get_object_or_404(Registration, pk=pk)
    if applicant is None or reg.applicant_id != applicant.pk:
        raise PermissionDenied
    return _pdf(request, reg)


def verify(request, token):
    """The printout's QR code opens this page: is this printout genuine and current?"""
    try:
        ref = signing.loads(token, salt=printouts.SALT)
    except signing.BadSignature as exc:
        raise Http404 from exc
    reg = get_object_or_404(Registration.objects.select_related("applicant", "round"), pk=ref["r"])
    version = reg.versions.filter(number=ref["v"]).first()
    if version is None:
        raise Http404
    return render(
        request,
        "registration/verify.html",
        {
            "reg": reg,
            "version": version,
            "current": version.number == reg.version,
            "name": f"{reg.applicant.first_name_ka} {reg.applicant.last_name_ka[:1]}.",
            "now": timezone.now(),
            "home": reverse("portal:home"),
        },
    )
