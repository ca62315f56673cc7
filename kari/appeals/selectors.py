"""Read-only questions other pages ask about complaints (the staff home page's card)."""

from django.utils import timezone

from .models import Complaint, ComplaintStatus


def overdue(round_, now=None) -> int:
    """Complaints of ``round_`` past a deadline: not with the commission 24 hours after filing
    (A25.1), or received and undecided after the 5 days of A24.3."""
    if round_ is None:
        return 0
    now = now or timezone.now()
    today = timezone.localdate(now)
    n = 0
    for c in Complaint.objects.filter(round=round_).exclude(status=ComplaintStatus.DECIDED):
        late = now > c.handover_due if c.received_at is None else today > c.decision_due
        n += late
    return n
