"""The outbox's staff page and the health check."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kari.accounts.permissions import NATIONAL, authorize
from kari.formerrors import errors_to_messages
from kari.outbox.models import Message, Status
from kari.staffauth import staff_required

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
