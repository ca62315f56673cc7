"""SEN pages: the applicant's registration, the registration centre, the institution's
documents, the expert team, the exam commission's trials, the ministry's unit and commission,
and the published act. Thin: every rule is in the services; health data only through
:func:`kari.sen.selectors.health_record` (authorised and audited)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kari.accounts.models import User
from kari.accounts.permissions import NATIONAL, authorize, can
from kari.accounts.roles import Role
from kari.catalogue.models import Institution, Programme
from kari.clientip import client_ip
from kari.confirm import confirmation, confirmed
from kari.formerrors import apply_errors, errors_to_messages
from kari.identity.validators import mask_personal_number
from kari.rounds.services import current_round
from kari.staffauth import staff_required

from . import documents, rules, selectors, services
from .forms import (
    ActNumberForm,
    CodeForm,
    CommissionForm,
    ConclusionForm,
    DocumentForm,
    HostsActForm,
    RegistrationForm,
    RequestForm,
    ScheduleForm,
    ScoringFormForm,
    StatusForm,
    TrialForm,
)
from .models import (
    Act,
    Assessment,
    Channel,
    Environment,
    ExpertTeam,
    HostAssignment,
    HostsAct,
    Schedule,
    SenRegistration,
    Stage,
)

PENDING, REGISTERED = "sen_pending", "sen_registration"
CENTRE_PENDING, CENTRE_DONE = "sen_centre_pending", "sen_centre_done"


def _round():
    r = current_round()
    if r is None:
        raise Http404
    return r


def _pdf(data, name) -> HttpResponse:
    response = HttpResponse(bytes(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


def _schedules(round_) -> dict:
    return {s.stage: s for s in Schedule.objects.filter(round=round_)}


# ---------------------------------------------------------------- the applicant (A37.1 online)


def apply(request):
    round_ = _round()
    schedule = _schedules(round_).get(Stage.PRIMARY)
    offered = list(selectors.offered_programmes(round_, Stage.PRIMARY))
    form = RegistrationForm(request.POST or None, offered=offered)
    if request.method == "POST" and form.is_valid():
        try:
            pending = services.start_registration(
                None, form.service_data(), round_, channel=Channel.ONLINE, ip=client_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session[PENDING] = {"code": pending.code_id, "sent_to": pending.sent_to}
            for warning in pending.warnings:  # A37.3, A13.4(f): requirements to know about
                messages.warning(request, warning)
            return redirect("sen:confirm")
    return render(
        request,
        "sen/apply.html",
        {"form": form, "round": round_, "schedule": schedule, "offered": offered},
    )


def _confirm_code(request, pending_key: str, done_key: str, start: str, done: str, extra: dict):
    """The one-time code step of an SEN registration, online or at a centre: the service checks
    the code; a refused code shows the page again with its message."""
    pending = request.session.get(pending_key)
    if not pending:
        return redirect(start)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reg = services.confirm_registration(
                pending["code"], form.cleaned_data["code"], ip=client_ip(request)
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session.pop(pending_key, None)
            request.session[done_key] = reg.pk
            return redirect(done)
    return render(
        request, "sen/confirm.html", {"form": form, "sent_to": pending["sent_to"], **extra}
    )


def confirm(request):
    return _confirm_code(request, PENDING, REGISTERED, "sen:apply", "sen:done", {})


def done(request):
    reg = SenRegistration.objects.filter(pk=request.session.get(REGISTERED)).first()
    if reg is None:
        return redirect("sen:apply")
    return render(request, "sen/done.html", {"reg": reg, "kinds": documents._document_lines(reg)})


def my_printout(request):
    reg = SenRegistration.objects.filter(pk=request.session.get(REGISTERED)).first()
    if reg is None:
        raise Http404
    return _pdf(documents.printout_pdf(reg), f"sen-{reg.number}")


def verify(request, token):
    """The printout's QR code: the registration exists, in this version (no personal data)."""
    reg = get_object_or_404(SenRegistration, token=token)
    return render(request, "sen/verify.html", {"reg": reg})


def acts(request):
    return render(request, "sen/acts.html", {"acts": selectors.published_acts()})


def act_public(request, token):
    act = get_object_or_404(Act, token=token, published_at__isnull=False)
    rows = [
        {
            "registration": p.registration,
            "programme": p.programme,
            "masked": mask_personal_number(p.registration.applicant.personal_number),
        }
        for p in selectors.placements_of(act)
    ]
    return render(request, "sen/act.html", {"act": act, "placements": rows})


def act_pdf(request, token):
    act = get_object_or_404(Act, token=token, published_at__isnull=False)
    return _pdf(act.pdf, f"sen-act-{act.number}")


# ---------------------------------------------------------------- staff home


SEN_PERMS = (
    "sen.register",
    "sen.documents",
    "sen.commission",
    "sen.trial",
    "sen.assess",
    "sen.status",
    "sen.schedule",
    "sen.hosts",
    "sen.distribute",
    "sen.act",
)


@staff_required
def staff_home(request):
    can_ = {p.replace(".", "_"): request.user.has_kari_perm(p) for p in SEN_PERMS}
    if not any(can_.values()):
        raise PermissionDenied(_("Your roles do not include the SEN track."))
    return render(request, "sen/staff_home.html", {"can": can_, "round": _round()})


# ---------------------------------------------------------------- the registration centre


@staff_required
def centre_register(request, stage=Stage.PRIMARY):
    authorize(request.user, "sen.register", request.user.organisation)
    round_ = _round()
    offered = list(selectors.offered_programmes(round_, stage))
    form = RegistrationForm(
        request.POST or None, offered=offered, centre=True, subsequent=stage == Stage.SUBSEQUENT
    )
    change = None  # the existing registration the clerk is asked to confirm changing
    if request.method == "POST" and form.is_valid() and stage == Stage.SUBSEQUENT:
        try:  # A38.6: the printout confirms the registration, no one-time code
            reg = services.register_subsequent(
                request.user,
                form.service_data(),
                round_,
                confirm_change=request.POST.get("confirm_change", ""),
                ip=client_ip(request),
            )
        except services.ChangeToConfirm as exc:  # GOV.UK: confirm before changing
            change = {"notice": exc.notice, "number": exc.number}
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session[CENTRE_DONE] = reg.pk
            return redirect("sen:centre_done")
    elif request.method == "POST" and form.is_valid():
        try:
            pending = services.start_registration(
                request.user,
                form.service_data(),
                round_,
                stage=stage,
                channel=Channel.CENTRE,
                ip=client_ip(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            request.session[CENTRE_PENDING] = {"code": pending.code_id, "sent_to": pending.sent_to}
            for warning in pending.warnings:  # A38.3, A13.4(f): requirements to know about
                messages.warning(request, warning)
            return redirect("sen:centre_confirm")
    return render(
        request,
        "sen/centre_register.html",
        {
            "form": form,
            "round": round_,
            "stage": stage,
            "schedule": _schedules(round_).get(stage),
            "change": change,
        },
    )


@staff_required
def centre_confirm(request):
    authorize(request.user, "sen.register", request.user.organisation)
    return _confirm_code(
        request,
        CENTRE_PENDING,
        CENTRE_DONE,
        "sen:centre_register",
        "sen:centre_done",
        {"centre": True},
    )


@staff_required
def centre_done(request):
    authorize(request.user, "sen.register", request.user.organisation)
    reg = SenRegistration.objects.filter(
        pk=request.session.get(CENTRE_DONE), centre=request.user.organisation
    ).first()
    if reg is None:
        return redirect("sen:centre_register")
    return render(
        request,
        "sen/done.html",
        {"reg": reg, "kinds": documents._document_lines(reg), "centre": True},
    )


@staff_required
def printout(request, pk):
    """A37.6, A37.7(b), A38.6: the printout of a centre registration, for that centre."""
    reg = get_object_or_404(SenRegistration, pk=pk)
    if not can(request.user, "sen.view_all", NATIONAL):
        if reg.centre is None:
            raise PermissionDenied
        authorize(request.user, "sen.register", reg.centre)
    return _pdf(documents.printout_pdf(reg), f"sen-{reg.number}")


# ---------------------------------------------------------------- the institution (A37.10)


def _own_institution(request, perm) -> Institution:
    inst = Institution.objects.filter(organisation=request.user.organisation).first()
    if inst is None:
        raise PermissionDenied(_("Your organisation is not an institution."))
    authorize(request.user, perm, inst.organisation)
    return inst


@staff_required
def institution(request):
    inst = _own_institution(request, "sen.documents")
    round_ = _round()
    regs = list(selectors.institution_registrations(inst, round_))
    today = timezone.localdate()
    rows = [
        (
            r,
            [c for c in r.choices.all() if c.programme.institution_id == inst.pk],
            r.documents_due < today,
        )
        for r in regs
    ]
    return render(
        request,
        "sen/institution.html",
        {"institution": inst, "round": round_, "rows": rows},
    )


@staff_required
def institution_detail(request, pk):
    inst = _own_institution(request, "sen.documents")
    reg = get_object_or_404(SenRegistration.objects.select_related("applicant"), pk=pk)
    if not reg.choices.filter(programme__institution=inst).exists():
        raise Http404
    form = DocumentForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_document(
                request.user,
                reg,
                inst,
                d["kind"],
                received_on=d["received_on"],
                signatures=d["signatures"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Recorded as received."))
            return redirect("sen:institution_detail", pk=reg.pk)
    health = selectors.health_record(request.user, reg, inst)
    return render(
        request,
        "sen/institution_detail.html",
        {
            "reg": reg,
            "institution": inst,
            "health": health,
            "form": form,
            "overdue": selectors.overdue(reg, inst),
        },
    )


# ---------------------------------------------------------------- the SEN exam centre (A40)


@staff_required
def host(request):
    inst = Institution.objects.filter(organisation=request.user.organisation).first()
    if inst is None:
        raise PermissionDenied(_("Your organisation is not an institution."))
    is_head = can(request.user, "sen.commission", inst.organisation)
    is_member = can(request.user, "sen.trial", inst.organisation)
    if not (is_head or is_member):
        raise PermissionDenied
    round_ = _round()
    hosted = list(selectors.hosted(inst, round_))
    staff = User.objects.filter(
        organisation=inst.organisation, role_grants__role=Role.SEN_EXAM_COMMISSION, is_active=True
    )
    form = CommissionForm(request.POST or None, staff=staff) if is_head else None
    if request.method == "POST" and form is not None and form.is_valid():
        stage = hosted[0].stage if hosted else Stage.PRIMARY
        try:
            services.create_commission(
                request.user,
                inst,
                round_,
                stage,
                act_number=form.cleaned_data["act_number"],
                members=list(staff.filter(pk__in=form.cleaned_data["members"])),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The exam commission is created."))
            return redirect("sen:host")
    host_ids = {r.pk for r in hosted}
    recs = []
    for stage in Stage.values:
        for rec in selectors.recommendations(round_, stage):
            rows = [row for row in rec.rows if row.registration.pk in host_ids]
            if rows:
                recs.append((rec, rows))
    acts = []
    for act in HostsAct.objects.filter(round=round_, hosts=inst).order_by("pk"):
        rows = list(
            HostAssignment.objects.filter(act=act, host=inst).select_related(
                "registration__applicant", "registration__host_act"
            )
        )
        for row in rows:  # a later act reassigned the applicant: no name, nothing to acquaint
            row.superseded = row.registration.host_act_id != act.pk
        pending = any(r.informed_at is None and not r.superseded for r in rows)
        acts.append((act, rows, pending))
    return render(
        request,
        "sen/host.html",
        {
            "institution": inst,
            "acts": acts,
            "round": round_,
            "hosted": hosted,
            "form": form,
            "is_member": is_member,
            "commissions": inst.sen_commissions.filter(round=round_),
            "recommendations": recs,
            "schedules": _schedules(round_),
        },
    )


@staff_required
def trial(request, pk, code):
    reg = get_object_or_404(SenRegistration.objects.select_related("host__organisation"), pk=pk)
    if reg.host is None:
        raise Http404
    authorize(request.user, "sen.trial", reg.host.organisation)
    programme = get_object_or_404(Programme, code=code)
    if not reg.choices.filter(programme=programme).exists():
        raise Http404
    scoring = services.current_form(programme)
    form = TrialForm(
        request.POST or None, initial={"tested_on": timezone.localdate()}, form=scoring
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.score_trial(
                request.user,
                reg,
                programme,
                tested_on=d["tested_on"],
                minutes=d["minutes"],
                scores=form.scores(),
                recommended=d["recommended"],
                reasons=d["reasons"],
                documents_analysis=d["documents_analysis"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The trial is scored and the recommendation recorded."))
            return redirect("sen:host")
    health = selectors.health_record(request.user, reg, reg.host)
    env = dict(Environment.choices)
    crowd = selectors.oversubscription(reg.round, reg.stage).get(programme.pk)
    return render(
        request,
        "sen/trial.html",
        {
            "reg": reg,
            "programme": programme,
            "form": form,
            "health": health,
            "environment": [
                env.get(e, e) for e in (health.conclusion.environment if health.conclusion else [])
            ],
            "crowd": crowd,
            "registered_time": rules.registration_time(timezone.localtime(reg.registered_at)),
            "scoring": scoring,
            "schedule": _schedules(reg.round).get(reg.stage),
            # A39.2: the host acquaints the applicant with the act before the trial (a warning)
            "not_acquainted": not HostAssignment.objects.filter(
                registration=reg, act=reg.host_act_id, host=reg.host, informed_at__isnull=False
            ).exists(),
        },
    )


@staff_required
@require_POST
def send_package(request):
    """A40.7: the commission sends its scored trials to the ministry, after a confirmation:
    once sent they are marked so and the ministry is told."""
    inst = _own_institution(request, "sen.trial")
    round_ = _round()
    if not confirmed(request):
        n = selectors.unsent_trials(inst, round_)
        if not n:
            messages.error(request, _("There is no scored trial to send."))
            return redirect("sen:host")
        return confirmation(
            request,
            title=_("Send the trial results to the ministry?"),
            facts=[
                (_("Institution"), inst.organisation.name),
                (_("Round"), str(round_)),
                (_("Trial results to send"), str(n)),
            ],
            consequences=[
                ngettext(
                    "The result of %(n)s trial is sent to the ministry: the scores, the analysis "
                    "of the documents and the recommendation (A40.7).",
                    "The results of %(n)s trials are sent to the ministry: the scores, the "
                    "analysis of the documents and the recommendations (A40.7).",
                    n,
                )
                % {"n": n},
                _("They are marked as sent on today's date, and the ministry is told."),
                _("The ministerial commission places the applicants by them (A40.8)."),
            ],
            button=_("Send to the ministry"),
            back=reverse("sen:host"),
        )
    for stage in Stage.values:
        try:
            n = services.send_package(request.user, inst, round_, stage)
        except ValidationError:
            continue
        messages.success(request, _("%(n)s trial results sent to the ministry.") % {"n": n})
    return redirect("sen:host")


# ---------------------------------------------------------------- the expert team (A36)


@staff_required
def experts(request):
    team = ExpertTeam.objects.filter(organisation=request.user.organisation).first()
    if team is None:
        raise PermissionDenied(_("The minister has not formed your expert team (A36.1)."))
    authorize(request.user, "sen.assess", team.organisation)
    form = RequestForm(request.POST or None, initial={"requested_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            a = services.request_assessment(request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("sen:assessment", pk=a.pk)
    return render(
        request,
        "sen/experts.html",
        {"team": team, "form": form, "assessments": team.assessments.select_related("applicant")},
    )


@staff_required
def assessment(request, pk):
    a = get_object_or_404(
        Assessment.objects.select_related("team__organisation", "applicant"), pk=pk
    )
    a = selectors.own_conclusion(request.user, a)  # authorised and audited
    form = ConclusionForm(
        request.POST or None if request.POST.get("action") == "write" else None,
        initial={
            "findings": a.findings,
            "hearing": a.hearing,
            "sight": a.sight,
            "behavioural": a.behavioural,
            "environment": a.environment,
        },
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "write" and form.is_valid():
                services.write_conclusion(request.user, a, **form.cleaned_data)
                return redirect("sen:assessment", pk=a.pk)
            if action == "sign":
                services.sign_conclusion(request.user, a)
                return redirect("sen:assessment", pk=a.pk)
            if action == "issue":
                services.issue_conclusion(request.user, a)
                messages.success(request, _("The conclusion is issued."))
                return redirect("sen:assessment", pk=a.pk)
        except ValidationError as exc:
            if action == "write":
                apply_errors(form, exc)
            else:
                errors_to_messages(request, exc)
                return redirect("sen:assessment", pk=a.pk)
    return render(
        request,
        "sen/assessment.html",
        {
            "a": a,
            "form": form,
            "signatures": a.signatures.select_related("expert"),
            "signed": a.signatures.filter(expert=request.user).exists(),
            "min_signatures": rules.MIN_SIGNATURES,
        },
    )


# ---------------------------------------------------------------- the ministry (A37.11, A39, A40.8)


@staff_required
def ministry(request):
    authorize(request.user, "sen.view_all", NATIONAL)
    round_ = _round()
    regs = (
        SenRegistration.objects.filter(round=round_)
        .select_related("applicant", "host__organisation")
        .prefetch_related("choices__programme")
    )
    schedules = _schedules(round_)
    deadlines = []
    for s in schedules.values():
        deadlines.append(
            (
                s,
                rules.status_change_until(s.registration_closes),
                rules.hosts_due(s.registration_closes),
                rules.package_due(s.test_ends),
            )
        )
    return render(
        request,
        "sen/ministry.html",
        {
            "round": round_,
            "regs": regs,
            "deadlines": deadlines,
            "acts": Act.objects.filter(round=round_),
            "hosts_acts": HostsAct.objects.filter(round=round_).select_related("amends"),
            "can_status": can(request.user, "sen.status", NATIONAL),
            "can_hosts": can(request.user, "sen.hosts", NATIONAL),
            "can_schedule": can(request.user, "sen.schedule", NATIONAL),
            "can_distribute": can(request.user, "sen.distribute", NATIONAL),
            "can_act": can(request.user, "sen.act", NATIONAL),
            "status_form": StatusForm(),
        },
    )


@staff_required
def status(request, pk):
    authorize(request.user, "sen.status", NATIONAL)
    reg = get_object_or_404(SenRegistration.objects.select_related("applicant"), pk=pk)
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        a = Assessment.objects.filter(pk=d["assessment"]).first() if d["assessment"] else None
        try:
            services.set_status(request.user, reg, d["status"], reason=d["reason"], assessment=a)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The SEN status is recorded."))
            return redirect("sen:ministry")
    health = selectors.health_record(request.user, reg, None)
    return render(request, "sen/status.html", {"reg": reg, "form": form, "health": health})


@staff_required
def schedule(request):
    authorize(request.user, "sen.schedule", NATIONAL)
    round_ = _round()
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        stage = d.pop("stage")
        try:
            services.set_schedule(request.user, round_, stage, **d)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The SEN schedule is saved."))
            return redirect("sen:ministry")
    return render(
        request, "sen/form.html", {"form": form, "title": _("SEN schedule"), "round": round_}
    )


@staff_required
def hosts(request):
    """A39.1: the minister's act on the SEN exam centres (or an amending act), with a
    confirmation step before it is recorded."""
    authorize(request.user, "sen.hosts", NATIONAL)
    round_ = _round()
    stage = request.GET.get("stage", Stage.PRIMARY)
    if stage not in Stage.values:
        raise Http404
    schedule = _schedules(round_).get(stage)
    regs = list(
        SenRegistration.objects.filter(round=round_, stage=stage)
        .exclude(status="rejected")
        .select_related("applicant", "host__organisation")
        .prefetch_related("choices__programme__institution__organisation")
    )
    institutions = list(
        Institution.objects.select_related("organisation").order_by("organisation__name_ka")
    )
    current = services.current_hosts_act(round_, stage)
    initial = {"issued_on": timezone.localdate()}
    if current is not None:
        initial["hosts"] = [str(pk) for pk in current.hosts.values_list("pk", flat=True)]
    for r in regs:
        initial[f"host_{r.pk}"] = str(r.host_id or "")
    data = request.POST if request.method == "POST" and "back" not in request.POST else None
    form = HostsActForm(data, initial=initial, institutions=institutions, regs=regs)
    if request.method == "POST" and "back" in request.POST:
        form = HostsActForm(
            initial={**initial, **_posted(request)}, institutions=institutions, regs=regs
        )
    elif data is not None and form.is_valid():
        d = form.cleaned_data
        by_pk = {str(i.pk): i for i in institutions}
        chosen_hosts = [by_pk[pk] for pk in d["hosts"] if pk in by_pk]
        assignments = {r: by_pk[d[f"host_{r.pk}"]] for r in regs if d.get(f"host_{r.pk}") in by_pk}
        confirm = request.POST.get("confirm") == "1"
        try:
            act = services.issue_hosts_act(
                request.user,
                round_,
                stage,
                number=d["number"],
                issued_on=d["issued_on"],
                hosts=chosen_hosts,
                assignments=assignments,
                dry_run=not confirm,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if act is None:  # checked: the confirmation before the irreversible step
                due = rules.hosts_due(schedule.registration_closes) if schedule else None
                return render(
                    request,
                    "sen/hosts_confirm.html",
                    {
                        "round": round_,
                        "stage": stage,
                        "data": d,
                        "hosts": chosen_hosts,
                        "rows": [(r, assignments.get(r), r.host) for r in regs],
                        "current": current,
                        "due": due,
                        "late": due is not None and d["issued_on"] > due,
                        "posted": [
                            (k, v)
                            for k in request.POST
                            if k not in ("csrfmiddlewaretoken", "confirm")
                            for v in request.POST.getlist(k)
                        ],
                    },
                )
            messages.success(
                request,
                _("The minister's act %(number)s is recorded; the host institutions are told.")
                % {"number": act.number},
            )
            return redirect("sen:ministry")
    return render(
        request,
        "sen/hosts.html",
        {
            "round": round_,
            "stage": stage,
            "form": form,
            "rows": [(r, form[f"host_{r.pk}"]) for r in regs],
            "current": current,
            "acts": HostsAct.objects.filter(round=round_, stage=stage).prefetch_related("hosts"),
            "due": rules.hosts_due(schedule.registration_closes) if schedule else None,
        },
    )


def _posted(request) -> dict:
    """The values of a form sent back from the confirmation page, to edit them."""
    out = {k: request.POST.get(k) for k in request.POST if k not in ("hosts", "back")}
    out["hosts"] = request.POST.getlist("hosts")
    return out


@staff_required
@require_POST
def acquaint(request, pk):
    """A39.2: the host institution acquaints its applicants with the minister's act."""
    inst = _own_institution(request, "sen.commission")
    act = get_object_or_404(HostsAct, pk=pk)
    try:
        n = services.acquaint_applicants(request.user, inst, act)
    except ValidationError as exc:
        errors_to_messages(request, exc)
    else:
        messages.success(
            request, _("%(n)s applicants are sent the act and the centre's address.") % {"n": n}
        )
    return redirect("sen:host")


@staff_required
def scoring_forms(request):
    """A40.4: the programmes with reserved SEN places and their scoring forms."""
    authorize(request.user, "sen.view_all", NATIONAL)
    round_ = _round()
    programmes = {}
    for stage in Stage.values:
        for p in selectors.offered_programmes(round_, stage):
            programmes[p.pk] = p
    rows = [(p, services.current_form(p)) for p in programmes.values()]
    return render(
        request,
        "sen/scoring_forms.html",
        {
            "round": round_,
            "rows": rows,
            "can_set": can(request.user, "sen.schedule", NATIONAL),
        },
    )


@staff_required
def scoring_form(request, code):
    """A40.4: the minister's act setting a programme's scoring form (a new version)."""
    authorize(request.user, "sen.schedule", NATIONAL)
    programme = get_object_or_404(Programme.objects.select_related("institution"), code=code)
    current = services.current_form(programme)
    initial = {"issued_on": timezone.localdate()}
    if current is not None:
        for i, a in enumerate(current.activities.all(), 1):
            initial.update({f"name_{i}": a.name, f"max_{i}": a.max_score})
            initial[f"criteria_{i}"] = a.criteria
    form = ScoringFormForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            f = services.set_scoring_form(
                request.user,
                programme,
                act_number=form.cleaned_data["act_number"],
                issued_on=form.cleaned_data["issued_on"],
                activities=form.activities(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("The scoring form for %(code)s is set (version %(v)s).")
                % {"code": programme.code, "v": f.version},
            )
            return redirect("sen:scoring_forms")
    return render(
        request,
        "sen/scoring_form.html",
        {
            "programme": programme,
            "form": form,
            "current": current,
            "versions": programme.sen_forms.prefetch_related("activities"),
        },
    )


@staff_required
def distribution(request):
    authorize(request.user, "sen.distribute", NATIONAL)
    round_ = _round()
    stage = request.GET.get("stage", Stage.PRIMARY)
    if stage not in Stage.values:
        raise Http404
    recs = selectors.recommendations(round_, stage)
    form = ActNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        regs = {
            r.pk: r
            for r in SenRegistration.objects.filter(round=round_, stage=stage).prefetch_related(
                "choices__programme"
            )
        }
        placements = {}
        for pk, r in regs.items():
            code = request.POST.get(f"place-{pk}", "")
            programme = next(
                (c.programme for c in r.choices.all() if c.programme.code == code), None
            )
            if programme is not None:
                placements[r] = programme
        try:
            act = services.distribute(
                request.user,
                round_,
                stage,
                number=form.cleaned_data["number"],
                placements=placements,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Distributed: %(n)s placements.") % {"n": act.placements.count()}
            )
            return redirect("sen:ministry")
    return render(
        request,
        "sen/distribution.html",
        {"round": round_, "stage": stage, "recs": recs, "form": form},
    )


@staff_required
def act_issue(request, pk):
    authorize(request.user, "sen.act", NATIONAL)
    act = get_object_or_404(Act, pk=pk)
    if request.method == "POST":
        try:
            services.issue_act(request.user, act)
        except ValidationError as exc:
            errors_to_messages(request, exc)
            return redirect("sen:ministry")
        messages.success(request, _("The act is signed and published."))
        return redirect("sen:act_public", token=act.token)
    return render(
        request, "sen/act_issue.html", {"act": act, "placements": selectors.placements_of(act)}
    )
