"""Ranking pages: NAEC and EMIS (final lists, formula, build with progress, approval),
institutions (competition results), the public cut-offs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kari.accounts.permissions import NATIONAL, authorize, can
from kari.catalogue.models import Institution
from kari.confirm import confirmation, confirmed
from kari.exams.models import ResultImport
from kari.formerrors import apply_errors, errors_to_messages
from kari.rounds.deadlines import deadline
from kari.rounds.models import Round, Season
from kari.staffauth import staff_required
from kari.tabular import ImportRejected

from . import selectors, services
from .forms import ApproveForm, BuildForm, FormulaForm, UploadForm
from .models import (
    BuildJob,
    CompetitionResult,
    EarlierCutoff,
    FinalLists,
    Formula,
    Ranking,
    RankingStatus,
    SignedDocument,
)
from .services import documents, publication, rankings
from .services import lists as lists_service


def _round(request):
    pk = request.GET.get("round") or request.POST.get("round")
    round_ = Round.objects.filter(pk=pk).first() if pk and str(pk).isdigit() else None
    round_ = round_ or Round.objects.first()
    if round_ is None:
        raise Http404(_("No round has been created yet."))
    return round_


def _back(round_):
    return redirect(reverse("ranking:home") + f"?round={round_.pk}")


@staff_required
def home(request):
    authorize(request.user, "ranking.view_all", NATIONAL)
    round_ = _round(request)
    lists = rankings.current_lists(round_)
    formula = Formula.objects.filter(round=round_).first()
    versions = Ranking.objects.filter(round=round_, institution=None).select_related(
        "built_by", "approved_by"
    )
    approved = versions.filter(status=RankingStatus.APPROVED).first()
    return render(
        request,
        "ranking/home.html",
        {
            "round": round_,
            "rounds": Round.objects.all(),
            "lists": lists,
            "all_lists": FinalLists.objects.filter(round=round_),
            "lists_due": deadline(round_, "final_lists").date,
            "approval_due": rankings.approval_due(lists) if lists else None,
            "formula": formula,
            "formula_form": FormulaForm(initial=formula.as_dict() if formula else None),
            "build_form": BuildForm(),
            "versions": versions,
            "approved": approved,
            "job": BuildJob.objects.filter(round=round_).order_by("-pk").first(),
            "can_freeze": can(request.user, "ranking.freeze", NATIONAL),
            "can_build": can(request.user, "ranking.build", NATIONAL),
            "can_formula": can(request.user, "ranking.formula", NATIONAL),
            "can_publish": can(request.user, "ranking.publish", NATIONAL),
            "can_review_subsequent": can(request.user, "ranking.subsequent_review", NATIONAL),
            "publication": publication.publication_of(round_),
            "results_in": ResultImport.objects.current(round_).exists(),
            "reranking_opens": publication.reranking_opens(round_),
        },
    )


@staff_required
@require_POST
def freeze(request):
    round_ = _round(request)
    try:
        lists = services.freeze_final_lists(request.user, round_)
        messages.success(
            request,
            _("Final lists frozen: %(n)s applicants, checksum %(c)s.")
            % {"n": lists.applicants, "c": lists.checksum[:16]},
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return _back(round_)


@staff_required
@require_POST
def formula(request):
    round_ = _round(request)
    form = FormulaForm(request.POST)
    if form.is_valid():
        try:
            services.record_formula(request.user, round_, form.cleaned_data)
            messages.success(request, _("The formula is recorded."))
            return _back(round_)
        except ValidationError as exc:
            apply_errors(form, exc)
    errors_to_messages(request, ValidationError(form.errors))
    return _back(round_)


@staff_required
@require_POST
def build(request):
    round_ = _round(request)
    form = BuildForm(request.POST)
    form.is_valid()
    try:
        job = services.start_build(request.user, round_, reason=form.cleaned_data.get("reason", ""))
    except ValidationError as exc:
        errors_to_messages(request, exc)
        return _back(round_)
    return redirect("ranking:job", job.pk)


@staff_required
def job(request, pk):
    """The build running in the background: a page that follows it, then links the draft."""
    authorize(request.user, "ranking.view_all", NATIONAL)
    j = get_object_or_404(BuildJob.objects.select_related("round"), pk=pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": j.status,
                "done": j.done,
                "total": j.total,
                "phase": j.phase,
                "error": j.error,
            }
        )
    if j.status == "done" and j.ranking_id:
        if j.kind == "sign":
            messages.success(request, _("The ranking document is signed and sent."))
        else:
            messages.success(request, _("The ranking is built."))
        return redirect("ranking:detail", j.ranking_id)
    return render(request, "ranking/job.html", {"job": j, "running": j.is_active})


@staff_required
@require_POST
def lists_export(request, pk, fmt):
    """A26.3: the hand-over of the final lists to NAEC (JSON, or XLSX for reading), built by
    the queue (large for a national round); the job's page offers the file."""
    authorize(request.user, "ranking.view_all", NATIONAL)
    lists = get_object_or_404(FinalLists.objects.select_related("round"), pk=pk)
    if fmt not in lists_service.HANDOVER_TYPES:
        raise Http404
    back = reverse("ranking:home") + f"?round={lists.round_id}"
    job = lists_service.start_handover_export(request.user, lists, fmt, back=back)
    return redirect("operations:file_job", job.pk)


@staff_required
def detail(request, pk):
    authorize(request.user, "ranking.view_all", NATIONAL)
    ranking = get_object_or_404(Ranking.objects.select_related("round", "final_lists"), pk=pk)
    outcomes = ranking.programmes.select_related("programme__institution__organisation")
    only = request.GET.get("show")
    if only == "extra":
        outcomes = outcomes.filter(extra_places__gt=0)
    page = Paginator(outcomes, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "ranking/detail.html",
        {
            "ranking": ranking,
            "page": page,
            "show": only,
            "approval_due": rankings.approval_due(ranking.final_lists)
            if ranking.final_lists_id
            else None,
            "approve_form": ApproveForm(),
            "can_approve": ranking.status == RankingStatus.DRAFT
            and can(request.user, "ranking.approve", NATIONAL),
            "extra_total": sum(o.extra_places for o in ranking.programmes.all()),
            "can_sign": ranking.status == RankingStatus.APPROVED
            and can(request.user, "ranking.approve", NATIONAL),
            "can_enter": ranking.status == RankingStatus.APPROVED
            and ranking.documents_sent_at is not None
            and can(request.user, "ranking.enter", NATIONAL),
            "sending_due": documents.sending_due(ranking) if ranking.approved_at else None,
            "entry_due": documents.entry_due(ranking) if ranking.documents_sent_at else None,
        },
    )


@staff_required
@require_POST
def sign(request, pk):
    """A27.5: NAEC signs the approved ranking's documents (in the background)."""
    ranking = get_object_or_404(Ranking, pk=pk)
    try:
        job = documents.start_signing(request.user, ranking)
    except ValidationError as exc:
        errors_to_messages(request, exc)
        return redirect("ranking:detail", ranking.pk)
    return redirect("ranking:job", job.pk)


@staff_required
@require_POST
def enter(request, pk):
    """A27.6: EMIS enters the ranking into the management system, then confirms the entry."""
    ranking = get_object_or_404(Ranking, pk=pk)
    try:
        if request.POST.get("action") == "confirm":
            documents.confirm_entry(request.user, ranking)
            messages.success(request, _("The entry into the management system is confirmed."))
        else:
            documents.enter_into_management_system(request.user, ranking)
            messages.success(request, _("The ranking is sent to the management system."))
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("ranking:detail", ranking.pk)


def _documents_for(request, round_):
    ranking = selectors.approved(round_, stage="primary").filter(institution=None).first()
    if ranking is None:
        return None, SignedDocument.objects.none(), False
    qs = ranking.documents.select_related("programme__institution__organisation").defer("content")
    if can(request.user, "ranking.view_all", NATIONAL):
        return ranking, qs, True
    institution = Institution.objects.filter(organisation=request.user.organisation).first()
    if institution is None:
        raise PermissionDenied
    authorize(request.user, "ranking.view_own", institution.organisation)
    return ranking, qs.filter(programme__institution=institution), False


@staff_required
def documents_page(request):
    """A27.5: the signed ranking documents: an institution sees its programmes' lists."""
    round_ = _round(request)
    ranking, qs, national = _documents_for(request, round_)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "ranking/documents.html",
        {"round": round_, "ranking": ranking, "page": page, "national": national},
    )


@staff_required
def document_download(request, pk):
    doc = get_object_or_404(
        SignedDocument.objects.select_related("programme__institution__organisation", "ranking"),
        pk=pk,
    )
    if doc.programme_id is None or not can(
        request.user, "ranking.view_own", doc.programme.institution.organisation
    ):
        authorize(request.user, "ranking.view_all", NATIONAL)
    return _file(doc)


def _file(doc):
    if doc.kind == SignedDocument.Kind.XLSX:
        ctype, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    else:
        ctype, ext = "application/pdf", "pdf"
    name = doc.programme.code if doc.programme_id else doc.kind
    resp = HttpResponse(bytes(doc.content), content_type=ctype)
    resp["Content-Disposition"] = (
        f'attachment; filename="ranking-v{doc.ranking.version}-{name}.{ext}"'
    )
    return resp


def public_summary(request, round_pk):
    """Public: the round's signed national ranking summary (no personal data in it)."""
    round_ = get_object_or_404(Round, pk=round_pk)
    ranking = selectors.approved(round_, stage="primary").filter(institution=None).first()
    doc = ranking.documents.filter(kind=SignedDocument.Kind.SUMMARY).first() if ranking else None
    if doc is None:
        raise Http404
    return _file(doc)


@staff_required
def approve(request, pk):
    """A27.1: approve the draft (a confirmation first: it cannot be undone)."""
    authorize(request.user, "ranking.approve", NATIONAL)
    ranking = get_object_or_404(Ranking, pk=pk)
    form = ApproveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.approve_ranking(request.user, ranking)
            messages.success(request, _("The ranking is approved."))
            return redirect("ranking:detail", ranking.pk)
        except ValidationError as exc:
            errors_to_messages(request, exc)
    return render(request, "ranking/approve.html", {"ranking": ranking, "form": form})


@staff_required
def competition(request):
    """A9.3, A10.3: an institution uploads its competition results."""
    institution = Institution.objects.filter(organisation=request.user.organisation).first()
    if institution is None:
        raise Http404
    authorize(request.user, "competition.submit", institution.organisation)
    round_ = _round(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        fmt = "xlsx" if f.name.lower().endswith(".xlsx") else "csv"
        try:
            made = services.import_competition_results(
                request.user, institution, round_, f.read(), fmt
            )
            messages.success(request, _("%(n)s competition results taken in.") % {"n": len(made)})
            return redirect(reverse("ranking:competition") + f"?round={round_.pk}")
        except ImportRejected as exc:
            errors_to_messages(request, exc)
    rows = (
        CompetitionResult.objects.filter(round=round_, programme__institution=institution)
        .select_related("programme")
        .order_by("programme__code")
    )
    summary: dict = {}
    for r in rows:
        s = summary.setdefault(r.programme, {"n": 0, "late": False, "at": r.submitted_at})
        s["n"] += 1
        s["late"] = s["late"] or not r.on_time
    return render(
        request,
        "ranking/competition.html",
        {
            "form": form,
            "round": round_,
            "summary": summary,
            "due": deadline(round_, "competition").date,
            "columns": services.competition.COLUMNS,
        },
    )


def cutoffs(request, round_pk):
    """Public: per programme, places, applicants, admitted, cut-off and tie-rule extra places of
    the approved ranking."""
    round_ = get_object_or_404(Round, pk=round_pk)
    ranking = selectors.approved(round_, stage="primary").filter(institution=None).first()
    outcomes = (
        ranking.programmes.select_related("programme__institution__organisation") if ranking else []
    )
    page = Paginator(outcomes, 100).get_page(request.GET.get("page")) if ranking else None
    return render(
        request, "ranking/cutoffs.html", {"round": round_, "ranking": ranking, "page": page}
    )


# ---------------------------------------------------------------- A26.2: publication


@staff_required
@require_POST
def publish(request):
    """A26.2: EMIS publishes the round's results to the applicants (notices after commit),
    after a confirmation: the notices cannot be taken back."""
    round_ = _round(request)
    if not confirmed(request):
        authorize(request.user, "ranking.publish", NATIONAL)
        n = selectors.applicants_to_tell(round_)
        return confirmation(
            request,
            title=_("Publish the results of this round to the applicants?"),
            facts=[(_("Round"), str(round_)), (_("Applicants to be told"), str(n))],
            consequences=[
                ngettext(
                    "%(n)s applicant is told by email and SMS that the results are published.",
                    "Each of the %(n)s applicants is told by email and SMS that the results are "
                    "published.",
                    n,
                )
                % {"n": n},
                _(
                    "The applicants see their scores in their cabinets, and the public statistics "
                    "of the round are shown."
                ),
                _(
                    "In the re-ranking window, until %(d)s, the applicants may change the order "
                    "of their programmes."
                )
                % {"d": round_.reranking_closes.strftime("%d.%m.%Y")},
            ],
            button=_("Publish the results"),
            back=reverse("ranking:home") + f"?round={round_.pk}",
            keep=["round"],
            action=request.get_full_path(),  # the round may come in the query
        )
    try:
        pub = publication.publish_results(request.user, round_)
        messages.success(
            request,
            _("The results are published; %(n)s applicants are being told.") % {"n": pub.notified},
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return _back(round_)


def statistics(request, round_pk):
    """Public: per test, the applicants, the median and the distribution of the scores (A26.2),
    once the results are published."""
    round_ = get_object_or_404(Round, pk=round_pk)
    pub = publication.publication_of(round_)
    tests = publication.statistics_of(round_) if pub else []
    for t in tests:
        n = len(t["bands"])
        t["bar_width"] = max(8, 600 // max(n, 1) - 4)
        for i, b in enumerate(t["bands"]):
            b["x"] = 40 + i * (t["bar_width"] + 4)
            b["y"] = 10 + (100 - b["height"]) * 1.6
            b["h"] = b["height"] * 1.6
    return render(
        request, "ranking/statistics.html", {"round": round_, "publication": pub, "tests": tests}
    )


@staff_required
def earlier_cutoffs(request):
    """EMIS imports the published cut-offs of rounds before Kari (all or nothing)."""
    authorize(request.user, "ranking.cutoffs", NATIONAL)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        fmt = "xlsx" if f.name.lower().endswith(".xlsx") else "csv"
        try:
            n = publication.import_earlier_cutoffs(request.user, f.read(), fmt)
            messages.success(request, _("%(n)s cut-offs taken in.") % {"n": n})
            return redirect("ranking:earlier_cutoffs")
        except ImportRejected as exc:
            errors_to_messages(request, exc)
    rounds = [
        {**r, "season": Season(r["season"]).label}
        for r in EarlierCutoff.objects.values("year", "season")
        .annotate(n=Count("pk"))
        .order_by("-year", "season")
    ]
    return render(
        request,
        "ranking/earlier_cutoffs.html",
        {"form": form, "rounds": rounds, "columns": publication.CUTOFF_COLUMNS},
    )
