"""Distributions stored before reason codes: each unplaced applicant's reason, then English
text from the solver (or the service's own text in the language of the run), becomes
``{"code": ..., "items": [...]}``; the figures gain ``centre_preferred`` (the distribution
page's "from this municipality" column, now read from the figures)."""

import re

from django.db import migrations
from django.db.models import Count, Q

# The texts the solver wrote before codes (kari/distribution/solver.py until this change).
TEXTS = [
    (r"no session for item (?P<one>\S+)", "no_session"),
    (r"no adapted centre", "no_adapted_centre"),
    (r"no centre with seats", "no_centre_with_seats"),
    (r"no adapted centre hosts item (?P<one>\S+)", "no_adapted_centre_hosts_item"),
    (r"no centre hosts item (?P<one>\S+)", "no_centre_hosts_item"),
    (r"no adapted centre hosts all of: (?P<all>.+)", "no_adapted_centre_hosts_all"),
    (r"no centre hosts all of: (?P<all>.+)", "no_centre_hosts_all"),
    (r"no capacity for item (?P<one>\S+)", "no_capacity_for_item"),
    (r"centre quotas reached", "centre_quotas_reached"),
    (r"no capacity: .*", "no_capacity"),
]


def reason_code(text: str) -> dict:
    for pattern, code in TEXTS:
        m = re.fullmatch(pattern, text)
        if m:
            groups = m.groupdict()
            if groups.get("one"):
                items = [groups["one"]]
            elif groups.get("all"):
                items = [i.strip() for i in groups["all"].split(",")]
            else:
                items = []
            return {"code": code, "items": items}
    if "A15.3(c)" in text:  # the service's own reasons, in either language
        return {"code": "no_municipality", "items": []}
    if "A15.3(d)" in text:
        return {"code": "no_tests", "items": []}
    return {"code": "unknown", "items": []}


def forwards(apps, schema_editor):
    Distribution = apps.get_model("exams", "Distribution")
    Assignment = apps.get_model("exams", "Assignment")
    for d in Distribution.objects.all().iterator():
        unplaced = {
            k: reason_code(v) if isinstance(v, str) else v for k, v in d.unplaced.items()
        }
        stats = dict(d.stats)
        if "centre_preferred" not in stats:
            rows = (
                Assignment.objects.filter(distribution=d)
                .values("centre")
                .annotate(n=Count("pk", filter=Q(preferred=True)))
            )
            home = {str(r["centre"]): r["n"] for r in rows}
            stats["centre_preferred"] = {c: home.get(c, 0) for c in stats.get("centre_load", {})}
        if unplaced != d.unplaced or stats != d.stats:
            Distribution.objects.filter(pk=d.pk).update(unplaced=unplaced, stats=stats)


class Migration(migrations.Migration):
    dependencies = [("exams", "0002_distributionjob")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
