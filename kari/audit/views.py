from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from kari.staffauth import staff_required

from .display import action_label, changes
from .models import AuditEntry
from .services import visible_entries


def _in_words(page):
    """Each entry's action and changes in people's words (``kari.audit.display``)."""
    for e in page:
        e.action_label = action_label(e.action)
        e.change_rows = changes(e)
    return page


@staff_required
def log(request):
    qs = visible_entries(request.user).select_related("organisation").order_by("-seq")
    page = _in_words(Paginator(qs, 50).get_page(request.GET.get("page")))
    return render(request, "audit/log.html", {"page": page, "title_object": None})


@staff_required
def object_history(request, object_type, object_id):
    qs = AuditEntry.objects.filter(object_type=object_type, object_id=object_id)
    if not qs.exists():
        raise Http404
    entries = visible_entries(request.user, qs).select_related("organisation").order_by("-seq")
    if not entries.exists():
        raise Http404
    page = _in_words(Paginator(entries, 50).get_page(request.GET.get("page")))
    return render(request, "audit/log.html", {"page": page, "title_object": entries[0].object_repr})
