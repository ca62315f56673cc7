"""Exam centres (A12.3(e), A12.7): EMIS selects them; a host's manager keeps its own."""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.permissions import NATIONAL, authorize, authorize_any, can
from kari.accounts.roles import OrgKind
from kari.audit.log import record
from kari.errors import ValidationError

from ..models import ExamCentre, Sitting

CENTRE_FIELDS = [
    "code",
    "name_ka",
    "name_en",
    "host",
    "municipality",
    "address",
    "seats",
    "sessions_per_day",
    "adapted",
    "active",
]
HOST_KINDS = {OrgKind.EXAM_HOST, OrgKind.INSTITUTION}


def snapshot(obj, fields) -> dict:
    """The fields' values for the audit log (a related object by its code)."""
    out = {}
    for f in fields:
        v = getattr(obj, f)
        out[f] = getattr(v, "code", v) if hasattr(v, "_meta") else v
    return out


@transaction.atomic
def save_centre(
    actor, data: dict, centre: ExamCentre | None = None, *, reason: str = ""
) -> ExamCentre:
    """EMIS selects the centres (A12.3(e)).

    The host's manager keeps its own centre's data (A12.7).
    """
    if centre is None:
        authorize(actor, "exams.centres", NATIONAL)
        centre = ExamCentre()
        before = None
    else:
        # A fresh copy: a bound ModelForm has already written the posted values onto `centre`.
        centre = ExamCentre.objects.select_for_update().get(pk=centre.pk)
        authorize_any(actor, ("exams.centres", NATIONAL), ("exam_centre.edit", centre.host))
        before = snapshot(centre, CENTRE_FIELDS)
        # a host manager may not hand the centre to another host
        if not can(actor, "exams.centres", NATIONAL):
            data = {**data, "host": centre.host, "code": centre.code}
    errors = _in_use_errors(centre, data) if centre.pk else {}
    host = data.get("host")
    if host is None or host.kind not in HOST_KINDS:
        errors["host"] = [_("The host must be a VET institution or an exam-centre host (A12.7).")]
    muni = data.get("municipality")
    if muni is None or getattr(muni, "occupied", False):
        errors["municipality"] = [_("Choose a municipality.")]
    if not str(data.get("address") or "").strip():
        errors["address"] = [_("Enter the address applicants will travel to.")]
    if not str(data.get("code") or "").strip():
        errors["code"] = [_("Enter a code.")]
    elif ExamCentre.objects.filter(code=data["code"]).exclude(pk=centre.pk).exists():
        errors["code"] = [_("Another exam centre has this code.")]
    if not str(data.get("name_ka") or "").strip():
        errors["name_ka"] = [_("Enter the name in Georgian.")]
    if int(data.get("seats") or 0) < 1:
        errors["seats"] = [_("A centre needs at least one seat (computer).")]
    if not 1 <= int(data.get("sessions_per_day") or 0) <= 6:
        errors["sessions_per_day"] = [_("Between 1 and 6 sessions per test day.")]
    if errors:
        raise ValidationError(errors)
    for f in CENTRE_FIELDS:
        if f in data:
            setattr(centre, f, data[f])
    centre.save()
    record(
        actor,
        "exam_centre.save",
        centre,
        before=before,
        after=snapshot(centre, CENTRE_FIELDS),
        reason=reason,
    )
    return centre


def _in_use_errors(centre: ExamCentre, data: dict) -> dict:
    """Once invitations name this centre (A17.3) and the test is not over, its place may not
    change under the applicants, and its seats may not drop below a session's load."""
    live = Sitting.objects.issued().filter(
        assignment__centre=centre, session__date__gte=timezone.localdate()
    )
    if not live.exists():
        return {}
    errors = {}
    message = _("Invitations name this exam centre for a test still to come: this cannot change.")
    muni = data.get("municipality")
    if muni is not None and muni.pk != centre.municipality_id:
        errors["municipality"] = [message]
    if str(data.get("address", centre.address)).strip() != centre.address:
        errors["address"] = [message]
    if "active" in data and not data["active"]:
        errors["active"] = [message]
    load = max(
        live.values("session").annotate(n=Count("pk")).values_list("n", flat=True), default=0
    )
    if int(data.get("seats") or 0) < load:
        errors["seats"] = [_("A session here already has %(n)s applicants.") % {"n": load}]
    return errors
