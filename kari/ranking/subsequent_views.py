"""A27.7-A27.8 pages: the institution head's subsequent-stage ranking document (scores entered
or uploaded, the draft, the submission to EMIS, the approval by act with the signed lists),
EMIS's check (the automatic checks, consent or return with reasons) and the public check page
of a signed list (its QR code)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kari.accounts.permissions import NATIONAL, authorize
from kari.catalogue.models import Institution, Stage, SubsequentSchedule
from kari.confirm import confirmation, confirmed
from kari.formerrors import apply_errors, errors_to_messages
from kari.staffauth import staff_required
from kari.tabular import ImportRejected

from .forms import ActForm, ReviewForm, UploadForm
from .models import Ranking, RankingStatus
from .services import subsequent
from .views import _round


def _institution(request) -> Institution:
    institution = (
        Institution.objects.filter(organisation=request.user.organisation)
        .select_related("organisation")
        .first()
    )
    if institution is None:
        raise Http404
    authorize(request.user, "ranking.subsequent", institution.organisation)
    return institution


def _home(round_) -> str:
    return reverse("ranking:subsequent") + f"?round={round_.pk}"


def _outcome(ranking):
    """Per programme of a document: its figures and the placed in score order."""
    if ranking is None:
        return []
    placed: dict[int, list] = {}
    for a in ranking.admissions.select_related("registration__applicant").order_by(
        "-score", "registration__applicant__last_name_ka"
    ):
        placed.setdefault(a.programme_id, []).append(a)
    return [
        {"o": o, "placed": placed.get(o.programme_id, [])}
        for o in ranking.programmes.select_related("programme")
    ]


@staff_required
def home(request):
    """The head's page: the stage's registrants and their scores, the document and its steps."""
    institution = _institution(request)
    round_ = _round(request)
    if request.GET.get("template"):
        resp = HttpResponse(subsequent.template_csv(institution, round_), content_type="text/csv")
        resp["Content-Disposition"] = (
            f'attachment; filename="subsequent-scores-{round_.year}-{round_.season}.csv"'
        )
        return resp
    groups = subsequent.registrants(institution, round_)
    errors: list[tuple[str, str]] = []  # the error summary's (anchor, message) items
    ranking = subsequent.current(institution, round_)
    if request.method == "POST":
        rows, anchors, who, shown = [], {}, {}, []
        for group in groups:
            p = group["programme"]
            shown.append(p.pk)
            for r in group["rows"]:
                name = f"score-{p.pk}-{r['registration']}"
                value = request.POST.get(name, "").strip()
                r["value"] = value
                if value:
                    rows.append(
                        {"registration": r["registration"], "programme": p.pk, "score": value}
                    )
                    anchors[len(rows)] = f"#{name}"
                    who[len(rows)] = f"{r['last_name']} {r['first_name']} ({p.code})"
        try:
            n = subsequent.enter_scores(request.user, institution, round_, rows, programmes=shown)
            messages.success(request, _("%(n)s scores saved.") % {"n": n})
            return redirect(_home(round_))
        except ImportRejected as exc:
            errors = [
                (
                    anchors.get(e.line, ""),
                    f"{who[e.line]}: {e.message}" if e.line in who else str(e.message),
                )
                for e in exc.errors
            ]
            bad = {anchors.get(e.line) for e in exc.errors}
            for group in groups:
                for r in group["rows"]:
                    r["error"] = f"#score-{group['programme'].pk}-{r['registration']}" in bad
        except ValidationError as exc:
            errors = [("", m) for m in exc.messages]
    schedule = SubsequentSchedule.objects.filter(institution=institution, round=round_).first()
    due = subsequent.submission_due(institution, round_) if schedule else None
    open_ = ranking is None or ranking.status in subsequent.OPEN
    submitted_late = bool(
        ranking and ranking.submitted_at and due and timezone.localdate(ranking.submitted_at) > due
    )
    return render(
        request,
        "ranking/subsequent.html",
        {
            "round": round_,
            "institution": institution,
            "schedule": schedule,
            "due": due,
            "late": bool(due and open_ and timezone.localdate() > due),
            "submitted_late": submitted_late,
            "groups": groups,
            "error_extra": errors,
            "editable": open_,
            "ranking": ranking,
            "outcome": _outcome(ranking),
            "review_due": subsequent.review_due(ranking)
            if ranking and ranking.status == RankingStatus.SUBMITTED
            else None,
            "documents": ranking.documents.select_related("programme").defer("content")
            if ranking and ranking.status == RankingStatus.APPROVED
            else [],
            "upload_form": UploadForm(),
        },
    )


@staff_required
@require_POST
def upload(request):
    """A27.7 by upload (CSV or XLSX): a job of the queue, all or nothing."""
    institution = _institution(request)
    round_ = _round(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors_to_messages(request, ValidationError(form.errors))
        return redirect(_home(round_))
    f = form.cleaned_data["file"]
    job = subsequent.start_scores_import(
        request.user, institution, round_, f.read(), f.name, back=_home(round_)
    )
    return redirect("operations:file_job", job.pk)


@staff_required
@require_POST
def build(request):
    institution = _institution(request)
    round_ = _round(request)
    try:
        subsequent.build_subsequent(request.user, institution, round_)
        messages.success(request, _("The draft is made: check it below, then submit it."))
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect(_home(round_) + "#document")


def _own(request, pk) -> Ranking:
    ranking = get_object_or_404(
        Ranking.objects.select_related("round", "institution__organisation"),
        pk=pk,
        stage=Stage.SUBSEQUENT,
    )
    authorize(request.user, "ranking.subsequent", ranking.institution.organisation)
    return ranking


@staff_required
@require_POST
def submit(request, pk):
    ranking = _own(request, pk)
    try:
        subsequent.submit_subsequent(request.user, ranking)
        messages.success(request, _("The document is submitted to the management system."))
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect(_home(ranking.round) + "#document")


@staff_required
def approve(request, pk):
    """A27.7: the head approves the agreed document by act; a confirmation first (it cannot be
    undone), then the lists are signed."""
    ranking = _own(request, pk)
    form = ActForm(request.POST or None)
    back = _home(ranking.round)
    if request.method == "POST" and form.is_valid():
        if not confirmed(request):
            return confirmation(
                request,
                title=_("Approve the subsequent-stage ranking document?"),
                facts=[
                    (_("Round"), str(ranking.round)),
                    (_("Number of the head's act"), form.cleaned_data["act_number"]),
                    (
                        _("Date of the head's act"),
                        form.cleaned_data["act_date"].strftime("%d.%m.%Y"),
                    ),
                    (_("Placed applicants"), str(ranking.admitted_count)),
                ],
                consequences=[
                    _("The document is approved by your act and never changes again."),
                    _(
                        "Each programme's list is signed with the institution's key and sent "
                        "to the management system."
                    ),
                ],
                button=_("Approve and sign"),
                back=reverse("ranking:subsequent_approve", args=[ranking.pk]),
                keep=["act_number", "act_date"],
            )
        try:
            subsequent.approve_subsequent(
                request.user,
                ranking,
                act_number=form.cleaned_data["act_number"],
                act_date=form.cleaned_data["act_date"],
            )
            messages.success(request, _("The document is approved and its lists are signed."))
            return redirect(back + "#documents")
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(
        request,
        "ranking/subsequent_approve.html",
        {"ranking": ranking, "form": form, "back": back},
    )


# ---------------------------------------------------------------- EMIS


@staff_required
def reviews(request):
    """EMIS: the institutions' subsequent-stage documents of the round, with the 5-day check."""
    authorize(request.user, "ranking.subsequent_review", NATIONAL)
    round_ = _round(request)
    items = []
    for r in (
        Ranking.objects.filter(round=round_, stage=Stage.SUBSEQUENT)
        .exclude(status=RankingStatus.DRAFT)
        .select_related("institution__organisation")
        .order_by("submitted_at")
    ):
        due = subsequent.review_due(r) if r.submitted_at else None
        try:
            submission_due = subsequent.submission_due(r.institution, round_)
        except ValidationError:  # the head's schedule was removed since
            submission_due = None
        items.append(
            {
                "r": r,
                "due": due,
                "submitted_late": bool(
                    r.submitted_at
                    and submission_due
                    and timezone.localdate(r.submitted_at) > submission_due
                ),
                "late": bool(
                    due and r.status == RankingStatus.SUBMITTED and timezone.localdate() > due
                ),
            }
        )
    return render(request, "ranking/subsequent_reviews.html", {"round": round_, "items": items})


@staff_required
def review(request, pk):
    """EMIS: the automatic checks, the document, and consent or return with reasons."""
    authorize(request.user, "ranking.subsequent_review", NATIONAL)
    ranking = get_object_or_404(
        Ranking.objects.select_related("round", "institution__organisation"),
        pk=pk,
        stage=Stage.SUBSEQUENT,
    )
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agree = form.cleaned_data["decision"] == "agree"
            subsequent.review_subsequent(
                request.user, ranking, agree=agree, reasons=form.cleaned_data["reasons"]
            )
            messages.success(
                request,
                _("You agreed to the document: the head may now approve it by act.")
                if agree
                else _("The document is returned to the institution with your reasons."),
            )
            return redirect(reverse("ranking:subsequent_reviews") + f"?round={ranking.round_id}")
        except ValidationError as exc:
            apply_errors(form, exc)
    problems = subsequent.check_document(ranking) if ranking.status != RankingStatus.DRAFT else []
    return render(
        request,
        "ranking/subsequent_review.html",
        {
            "ranking": ranking,
            "form": form,
            "problems": problems,
            "outcome": _outcome(ranking),
            "due": subsequent.review_due(ranking)
            if ranking.status == RankingStatus.SUBMITTED
            else None,
            "can_review": ranking.status == RankingStatus.SUBMITTED,
            "documents": ranking.documents.select_related("programme").defer("content")
            if ranking.status == RankingStatus.APPROVED
            else [],
        },
    )


def check(request, token):
    """Public: the check page of a signed list (its QR code): what it is, who approved it by
    which act, and its SHA-256; no personal data."""
    doc = subsequent.document_for_token(token)
    if doc is None:
        raise Http404
    return render(request, "ranking/subsequent_check.html", {"doc": doc, "ranking": doc.ranking})
