"""The outbox's staff page, the pages of imports and exports run by the queue, and the
health check."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kari.accounts.permissions import NATIONAL, authorize
from kari.formerrors import errors_to_messages
from kari.outbox.models import Message, Status
from kari.staffauth import staff_required
from kari.tasks.models import FileJob

from . import health, services


@never_cache
def healthz(request):
    facts = health.check()
    return JsonResponse(facts, status=200 if facts["ok"] else 503)


@staff_required
def outbox(request):
    """Notices by status, the undelivered first, each with its attempts and the answer."""
    authorize(request.user, "operations.outbox", NATIONAL)
    status = request.GET.get("status", Status.FAILED)
    if status not in Status.values:
        status = Status.FAILED
    counts = dict(Message.objects.values_list("status").annotate(n=Count("pk")))
    page = Paginator(Message.objects.filter(status=status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "operations/outbox.html",
        {
            "page": page,
            "status": status,
            "tabs": [(s, label, counts.get(s, 0)) for s, label in Status.choices],
            "failed": Status.FAILED,
        },
    )


@staff_required
@require_POST
def resend(request, pk):
    message = get_object_or_404(Message, pk=pk)
    try:
        services.resend(request.user, message)
        messages.success(request, _("The notice is queued to be sent again."))
    except ValidationError as exc:
        errors_to_messages(request, exc)
    return redirect("operations:outbox")


def _my_job(request, pk) -> FileJob:
    """A job is seen only by the person who started it."""
    return get_object_or_404(FileJob, pk=pk, started_by=request.user)


@never_cache
@staff_required
def file_job(request, pk):
    """An import or export run by the queue: a page that follows it, then shows its outcome
    (the refused rows with their reasons, or the file to download)."""
    job = _my_job(request, pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {"status": job.status if job.is_active else "done", "done": 0, "total": 0}
        )
    if job.status == "refused" and job.back and job.params.get("refusal_at_back"):
        # the page the upload came from shows this refusal in its own way
        sep = "&" if "?" in job.back else "?"
        return redirect(f"{job.back}{sep}job={job.pk}")
    if job.status == "done" and not job.output:
        messages.success(request, job.message)
        return redirect(job.back or "portal:staff")
    return render(request, "operations/file_job.html", {"job": job, "running": job.is_active})


@staff_required
def file_job_download(request, pk):
    job = _my_job(request, pk)
    if job.status != "done" or not job.output:
        return redirect("operations:file_job", job.pk)
    response = HttpResponse(bytes(job.output), content_type=job.content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.output_name}"'
    return response
