"""Enrolment pages: the institution's list and actions, EMIS's entries, the ministry's figures,
and the applicant's next steps in the cabinet. Thin: every rule is in services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kari.accounts.permissions import NATIONAL, authorize, authorize_any
from kari.catalogue.models import Institution, Programme
from kari.confirm import confirmation, confirmed
from kari.formerrors import apply_errors, errors_to_messages
from kari.registration.views import signed_in_applicant
from kari.rounds.services import current_round
from kari.staffauth import staff_required

from . import rules, selectors, services
from .forms import (
    CloseForm,
    ContractForm,
    OptionForm,
    ReasonForm,
    SenTermsForm,
    TemplateForm,
    TermsForm,
    ThresholdForm,
    UploadForm,
)
from .models import ContractTemplate, Enrolment, EnrolmentAct, Offer, Option, RequiredDocument


def _round():
    r = current_round()
    if r is None:
        raise Http404
    return r


def _institution(request) -> Institution:
    inst = Institution.objects.filter(organisation=request.user.organisation).first()
    if inst is None:
        raise PermissionDenied(_("Your organisation is not an institution."))
    authorize(request.user, "enrolment.manage", inst.organisation)
    return inst


def _pdf(data, name) -> HttpResponse:
    response = HttpResponse(bytes(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


# ---------------------------------------------------------------- the institution


@staff_required
def institution(request):
    inst = _institution(request)
    round_ = _round()
    rows = selectors.institution_list(inst, round_)
    programmes = Programme.objects.filter(institution=inst).order_by("code")
    terms = {t.programme_id: t for t in services.ProgrammeTerms.objects.filter(round=round_)}
    return render(
        request,
        "enrolment/institution.html",
        {
            "round": round_,
            "institution": inst,
            "rows": rows,
            "programmes": [(p, terms.get(p.pk)) for p in programmes],
            "template": ContractTemplate.objects.filter(institution=inst).first(),
            "acts": EnrolmentAct.objects.filter(institution=inst, round=round_),
            "ready": [r for r in rows if r.enrolment.contract_signed_on and not r.enrolment.act_id],
            "to_enter": [
                r for r in rows if r.enrolment.status == "enrolled" and not r.enrolment.entered_at
            ],
            "small": services.small_programmes(round_, inst),
            "transitional": dict(selectors.transitional_counts(round_, inst)),
            "vacancies": {
                p: n for p, n in selectors.vacancies(round_).items() if p.institution_id == inst.pk
            },
        },
    )


@staff_required
def terms(request, code):
    inst = _institution(request)
    round_ = _round()
    programme = get_object_or_404(Programme, code=code, institution=inst)
    existing = selectors.terms_of(round_, programme)
    initial = (
        {
            "documents": "\n".join(d.name for d in existing.documents.all()),
            "submit_until": existing.submit_until,
            "duration_months": existing.duration_months,
            "studies_start": existing.studies_start,
            "note": existing.note,
        }
        if existing
        else {}
    )
    form = TermsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.fix_terms(
                request.user,
                programme,
                round_,
                documents=d["documents"].splitlines(),
                submit_until=d["submit_until"],
                duration_months=d["duration_months"],
                note=d["note"],
                studies_start=d["studies_start"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Documents and deadline saved (A29.1)."))
            return redirect("enrolment:institution")
    return render(
        request, "enrolment/form.html", {"form": form, "title": programme.name, "round": round_}
    )


# ---------------------------------------------------------------- A41 the SEN act's placements


@staff_required
def sen(request):
    """A41: the SEN applicants the minister's act placed at the institution, by act and
    programme, with the 5-day deadline for the head's documents' terms (A41.1) and the day
    studies begin, before which they are enrolled (A41.2)."""
    inst = _institution(request)
    round_ = _round()
    return render(
        request,
        "enrolment/sen.html",
        {
            "round": round_,
            "institution": inst,
            "groups": selectors.sen_groups(inst, round_),
            "today": services._today(),
            "can_fix": request.user.has_kari_perm("enrolment.terms"),
        },
    )


@staff_required
def sen_terms(request, act, code):
    """A41.1: the head fixes the SEN applicants' documents' deadline within 5 days of the act;
    a later act is taken and marked late."""
    inst = _institution(request)
    authorize(request.user, "enrolment.terms", inst.organisation)
    round_ = _round()
    groups = selectors.sen_groups(inst, round_)
    group = next((g for g in groups if g.act.pk == act and g.programme.code == code), None)
    if group is None:
        raise Http404
    t = group.terms
    h = group.head_act
    initial = {
        "act_number": h.number if h else "",
        "act_date": h.issued_on if h else services._today(),
        "submit_until": group.documents_by,
        "studies_start": t.studies_start if t else None,
    }
    form = SenTermsForm(request.POST or None, initial=initial, has_list=t is not None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            n = services.fix_sen_terms(
                request.user,
                group.act,
                group.programme,
                submit_until=d["submit_until"],
                studies_start=d["studies_start"],
                documents=(d.get("documents") or "").splitlines(),
                duration_months=d.get("duration_months"),
                act_number=d["act_number"],
                act_date=d["act_date"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("The deadline is fixed and %(n)s applicants are told (A41.1).") % {"n": n},
            )
            return redirect("enrolment:sen")
    return render(
        request,
        "enrolment/sen_terms.html",
        {"form": form, "group": group, "round": round_, "today": services._today()},
    )


@staff_required
def contract_template(request):
    inst = _institution(request)
    existing = ContractTemplate.objects.filter(institution=inst).first()
    form = TemplateForm(
        request.POST or None, initial={"clauses": existing.clauses if existing else ""}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_contract_template(request.user, inst, form.cleaned_data["clauses"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Contract template saved."))
            return redirect("enrolment:institution")
    return render(request, "enrolment/form.html", {"form": form, "title": _("Contract template")})


def _staff_enrolment(request, pk) -> Enrolment:
    e = get_object_or_404(
        Enrolment.objects.select_related(
            "programme__institution__organisation", "applicant", "round", "act"
        ),
        pk=pk,
    )
    authorize(request.user, "enrolment.manage", e.organisation)
    return e


@staff_required
def detail(request, pk):
    e = _staff_enrolment(request, pk)
    (row,) = selectors.rows(Enrolment.objects.filter(pk=e.pk))
    contract_form = ContractForm(prefix="c")
    close_form = CloseForm(prefix="x")
    reason_form = ReasonForm(prefix="r")
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "contract":
                contract_form = ContractForm(request.POST, prefix="c")
                if contract_form.is_valid():
                    services.sign_contract(request.user, e, **contract_form.cleaned_data)
                    messages.success(request, _("Contract signed."))
                    return redirect("enrolment:detail", pk=e.pk)
            elif action == "close":
                close_form = CloseForm(request.POST, prefix="x")
                if close_form.is_valid():
                    services.close(request.user, e, **close_form.cleaned_data)
                    messages.success(request, _("The placement is closed; the place is vacant."))
                    return redirect("enrolment:institution")
            elif action == "impossible":
                reason_form = ReasonForm(request.POST, prefix="r")
                if reason_form.is_valid():
                    services.declare_continuation_impossible(
                        request.user, e, reason_form.cleaned_data["reason"]
                    )
                    return redirect("enrolment:detail", pk=e.pk)
        except ValidationError as exc:
            form = {"contract": contract_form, "close": close_form, "impossible": reason_form}[
                action
            ]
            apply_errors(form, exc)
    return render(
        request,
        "enrolment/detail.html",
        {
            "e": e,
            "row": row,
            "contract_form": contract_form,
            "close_form": close_form,
            "reason_form": reason_form,
            "option_form": _option_form(e),
            "minor": rules.is_minor(services.birth_date(e.applicant), services._today()),
        },
    )


@staff_required
@require_POST
def document(request, pk, doc):
    e = _staff_enrolment(request, pk)
    d = get_object_or_404(RequiredDocument, pk=doc)
    try:
        services.mark_document(
            request.user,
            e,
            d,
            received=request.POST.get("received") == "1",
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("enrolment:detail", pk=e.pk)


@staff_required
def upload_file(request, pk, sub):
    e = _staff_enrolment(request, pk)
    s = get_object_or_404(e.submissions, pk=sub)
    if not s.file:
        raise Http404
    response = HttpResponse(s.file.read(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="document-{s.pk}"'
    return response


@staff_required
@require_POST
def module(request, pk):
    e = _staff_enrolment(request, pk)
    try:
        services.record_georgian_module(request.user, e, passed=request.POST.get("passed") == "1")
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("enrolment:detail", pk=e.pk)


@staff_required
@require_POST
def restore(request, pk):
    e = _staff_enrolment(request, pk)
    try:
        services.restore_status(request.user, e)
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("enrolment:detail", pk=e.pk)


@staff_required
def contract_pdf(request, pk):
    e = _staff_enrolment(request, pk)
    if not e.contract_pdf:
        raise Http404
    return _pdf(e.contract_pdf, f"contract-{e.contract_number}")


@staff_required
def act(request):
    """A29.2: confirm, then issue the head's act for everyone whose contract is signed."""
    inst = _institution(request)
    authorize(request.user, "enrolment.act", inst.organisation)
    round_ = _round()
    rows = [
        r
        for r in selectors.institution_list(inst, round_)
        if r.enrolment.contract_signed_on and not r.enrolment.act_id
    ]
    if request.method == "POST":
        try:
            a = services.issue_act(request.user, inst, round_, [r.enrolment for r in rows])
        except ValidationError as exc:
            errors_to_messages(request, exc)
        else:
            messages.success(request, _("Act %(n)s issued.") % {"n": a.number})
            return redirect("enrolment:institution")
    return render(request, "enrolment/act_confirm.html", {"rows": rows, "round": round_})


@staff_required
def act_pdf(request, pk):
    a = get_object_or_404(EnrolmentAct, pk=pk)
    authorize_any(
        request.user, ("enrolment.manage", a.organisation), ("enrolment.view_all", NATIONAL)
    )
    return _pdf(a.pdf, f"act-{a.number}")


@staff_required
@require_POST
def offer(request):
    inst = _institution(request)
    try:
        n = services.offer_voucher_options(request.user, inst, _round())
    except ValidationError as exc:
        errors_to_messages(request, exc)
    else:
        messages.success(
            request, _("%(n)s students were offered the options (A30, A31).") % {"n": n}
        )
    return redirect("enrolment:institution")


@staff_required
@require_POST
def enter(request):
    """A29.4: the institution enters its enrolled students into the management system, after a
    confirmation: an entry cannot be taken back."""
    inst = _institution(request)
    round_ = _round()
    if not confirmed(request):
        due = selectors.to_enter(inst, round_)
        n = due["students"]
        if not n:
            messages.error(request, _("Every enrolled student is already entered."))
            return redirect("enrolment:institution")
        consequences = [
            ngettext(
                "%(n)s enrolled student is entered into the management system: the personal "
                "number, name, date of birth, programme, enrolment act and contract (A29.4).",
                "%(n)s enrolled students are entered into the management system: each one's "
                "personal number, name, date of birth, programme, enrolment act and contract "
                "(A29.4).",
                n,
            )
            % {"n": n}
        ]
        if due["late"]:
            consequences.append(
                _("%(n)s of them are past their 3 days and are recorded as entered late.")
                % {"n": due["late"]}
            )
        return confirmation(
            request,
            title=_("Enter the students into the management system?"),
            facts=[
                (_("Institution"), inst.organisation.name),
                (_("Round"), str(round_)),
                (_("Students to enter"), str(n)),
            ],
            consequences=consequences,
            button=_("Enter the students"),
            back=reverse("enrolment:institution"),
        )
    try:
        n = services.enter_into_management_system(request.user, inst, round_)
    except ValidationError as exc:
        errors_to_messages(request, exc)
    else:
        messages.success(
            request, _("%(n)s students entered into the management system (A29.4).") % {"n": n}
        )
    return redirect("enrolment:institution")


# ---------------------------------------------------------------- choices (A30-A32)


def _option_form(e: Enrolment, data=None):
    if not e.offer or e.option:
        return None
    options = sorted(services.ALLOWED[Offer(e.offer)], key=list(Option.values).index)
    targets = services.targets(e, Option.TRANSFER) + services.targets(e, Option.INTERNAL)
    return OptionForm(data, options=options, targets=targets, prefix="o")


def _choose(request, actor, e: Enrolment):
    form = _option_form(e, request.POST)
    if form is not None and form.is_valid():
        code = form.cleaned_data["target"]
        target = Programme.objects.filter(code=code).first() if code else None
        try:
            services.choose_option(actor, e, form.cleaned_data["option"], target)
        except ValidationError as exc:
            errors_to_messages(request, exc)
        else:
            messages.success(request, _("The choice is recorded."))
    elif form is not None:
        errors_to_messages(request, ValidationError(form.errors))


@staff_required
@require_POST
def choose(request, pk):
    e = _staff_enrolment(request, pk)
    _choose(request, request.user, e)
    return redirect("enrolment:detail", pk=e.pk)


# ---------------------------------------------------------------- EMIS and the ministry


@staff_required
def entries(request):
    """A29.4: students entered into the management system, with the late ones."""
    authorize(request.user, "enrolment.view_all", NATIONAL)
    round_ = _round()
    if request.method == "POST":
        try:
            n = services.open_from_ranking(request.user, round_)
            n += services.open_from_sen_acts(request.user, round_)  # A41
        except ValidationError as exc:
            errors_to_messages(request, exc)
        else:
            messages.success(request, _("%(n)s placements opened for enrolment.") % {"n": n})
        return redirect("enrolment:entries")
    today = services._today()
    return render(
        request,
        "enrolment/entries.html",
        {
            "round": round_,
            "entries": selectors.entries(round_),
            "today": today,
            "can_open": request.user.has_kari_perm("enrolment.open"),
        },
    )


@staff_required
def figures(request):
    """A round's enrolment figures, for the ministry (and EMIS)."""
    authorize(request.user, "enrolment.view_all", NATIONAL)
    round_ = _round()
    form = None
    if request.user.has_kari_perm("enrolment.voucher_threshold"):
        form = ThresholdForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.set_voucher_threshold(
                    request.user, round_, form.cleaned_data["stage"], form.cleaned_data["minimum"]
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Voucher threshold saved (A30.1, A31.1)."))
                return redirect("enrolment:figures")
    return render(
        request,
        "enrolment/figures.html",
        {
            "round": round_,
            "figures": selectors.figures(round_),
            "thresholds": services.VoucherThreshold.objects.filter(round=round_),
            "form": form,
            "vacancies": dict(selectors.vacancies(round_)),
        },
    )


# ---------------------------------------------------------------- the applicant


def _applicant(request):
    applicant = signed_in_applicant(request)
    if applicant is None:
        raise PermissionDenied
    return applicant


def cabinet(request):
    applicant = signed_in_applicant(request)
    if applicant is None:
        return redirect("registration:sign_in")
    rows = selectors.applicant_rows(applicant)
    for r in rows:
        r.option_form = _option_form(r.enrolment)
    return render(request, "enrolment/cabinet.html", {"applicant": applicant, "rows": rows})


@require_POST
def cabinet_upload(request, pk, doc):
    applicant = _applicant(request)
    e = get_object_or_404(Enrolment, pk=pk, applicant=applicant)
    d = get_object_or_404(RequiredDocument, pk=doc)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.upload_document(applicant, e, d, form.cleaned_data["file"])
        except ValidationError as exc:
            errors_to_messages(request, exc)
        else:
            messages.success(request, _("Uploaded: the institution will check it."))
    else:
        errors_to_messages(request, ValidationError(form.errors))
    return redirect("enrolment:cabinet")


@require_POST
def cabinet_choose(request, pk):
    applicant = _applicant(request)
    e = get_object_or_404(Enrolment, pk=pk, applicant=applicant)
    _choose(request, applicant, e)
    return redirect("enrolment:cabinet")


def cabinet_contract(request, pk):
    applicant = _applicant(request)
    e = get_object_or_404(Enrolment, pk=pk, applicant=applicant)
    if not e.contract_pdf:
        raise Http404
    return _pdf(e.contract_pdf, f"contract-{e.contract_number}")
