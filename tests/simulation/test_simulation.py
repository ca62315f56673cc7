"""`kari simulate`: a whole round through the services, and the checks at the end (issue 20).

One simulated round of 300 applicants runs here on the test database (SQLite, and PostgreSQL
in the second pass of `make test`); then its stored outcome is tampered with, and the checks
must fail and name what broke.
"""

import json

import pytest
from django.db import connection

from kari.audit.models import AuditEntry
from kari.exams.models import Handover
from kari.ranking.models import Admission, Explanation, ProgrammeOutcome
from kari.simulation import checks, runner
from kari.simulation.management.commands.simulate import report_files

APPLICANTS = 300


def _by_name(results):
    return {c["name"]: c for c in results}


def _disable_audit_guard():
    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("DROP TRIGGER audit_no_update")
            c.execute("DROP TRIGGER audit_no_delete")
        else:
            c.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_no_change")


def place_beyond_reserve(round_):
    """SEN placements of the minister's act moved onto the programme with the smallest
    reserve, at least one more than it holds."""
    from kari.catalogue.models import AnnouncementLine
    from kari.sen.models import Placement

    line = (
        AnnouncementLine.objects.filter(announcement__round=round_, sen_places__gt=0)
        .order_by("sen_places", "programme__code")
        .select_related("programme")
        .first()
    )
    placements = list(Placement.objects.filter(act__round=round_).order_by("pk"))
    assert len(placements) > line.sen_places, "too few SEN placements to tamper with"
    moved = [p.pk for p in placements[: line.sen_places + 1]]
    Placement.objects.filter(pk__in=moved).update(programme=line.programme)
    now = Placement.objects.filter(act__round=round_, programme=line.programme).count()
    return line.programme.code, now, line.sen_places


def move_below_cutoff(ranking):
    """An applicant admitted to a lower choice is moved to a programme they ranked higher,
    where their score is below the cut-off."""
    for e in Explanation.objects.filter(ranking=ranking, choice__gt=1).order_by("pk"):
        item = next((i for i in e.items if i.get("reason") == "below_cutoff"), None)
        if item is None:
            continue
        target = ProgrammeOutcome.objects.get(ranking=ranking, programme__code=item["programme"])
        Admission.objects.filter(ranking=ranking, registration=e.registration_id).update(
            programme=target.programme
        )
        return e.registration_id, item["programme"]
    raise AssertionError("no applicant admitted below a higher choice to move")


@pytest.mark.django_db
def test_simulated_round_passes_every_check_and_tampering_is_named(tmp_path):
    lines = []
    out = runner.run(APPLICANTS, seed=1, directory=tmp_path, progress=lines.append)
    failed = [s for s in out.stages if s.status == "failed"]
    assert not failed, failed
    results = _by_name(out.checks)
    assert all(c["ok"] for c in out.checks), [c for c in out.checks if not c["ok"]]
    assert out.passed
    # every stage ran on its statutory day, in order, and is timed
    days = [s.sim_day for s in out.stages if s.sim_day]
    assert days == sorted(days) and days[0].startswith("2027-01")
    assert {s.name for s in out.stages} >= {n for n, *_rest in runner.STAGES}
    flow = out.sim.flow
    assert flow["registered"] == APPLICANTS
    assert flow["admitted"] + flow["not admitted"] == flow["ranked"]
    assert "conservation" in results and "registered 300" in results["conservation"]["detail"]
    # the SEN track ran to the minister's act, before the final lists, within the reserve
    assert "SEN placed by the act" in results["conservation"]["detail"]
    assert flow["SEN placed by the act"] >= 2
    assert results["SEN within the reserve"]["ok"] and not results["SEN within the reserve"].get(
        "skipped"
    )
    assert results["nobody placed twice"]["ok"]
    assert "sen.conclusion_issued" in results["deadlines"]["detail"]
    assert "sen" not in out.missing
    assert any("Test days" in line for line in lines)  # progress per stage
    html, js = report_files(out, tmp_path / "report")
    data = json.loads(js.read_text("utf-8"))
    assert data["passed"] and data["applicants"] == APPLICANTS
    assert "<svg" in html.read_text("utf-8")
    assert "SEN track" in html.read_text("utf-8") and data["sen"]["placed"] >= 2

    # -- tampering with the stored outcome after the ranking
    sim = out.sim
    reg, code = move_below_cutoff(sim.ranking)
    late = Handover.objects.get(round=sim.round, kind="centres_to_naec")
    Handover.objects.filter(pk=late.pk).update(on_time=True)
    _disable_audit_guard()
    entry = AuditEntry.objects.filter(
        action="registration.create", object_id=str(sim.people[5].registration_id)
    ).get()
    AuditEntry.objects.filter(pk=entry.pk).delete()
    sen_code, sen_placed, sen_reserve = place_beyond_reserve(sim.round)

    broken = _by_name(checks.run_all(sim))
    law = broken["law (allocation checker)"]
    assert not law["ok"] and f"R-{reg:06d}" in law["detail"] or code in law["detail"]
    assert not broken["extra places only from ties"]["ok"] or not law["ok"]
    assert not broken["deadlines"]["ok"]
    assert f"not stamped late: handover.centres_to_naec {late.pk}" in broken["deadlines"]["detail"]
    assert not broken["audit verify"]["ok"]
    assert f"entries {entry.seq}..{entry.seq}" in broken["audit verify"]["detail"]
    coverage = broken["every state change in the log"]
    assert not coverage["ok"]
    assert f"registration {sim.people[5].registration_id}: its creation" in coverage["detail"]
    sen = broken["SEN within the reserve"]
    assert not sen["ok"]
    assert f"{sen_code}: {sen_placed} SEN placements, reserve {sen_reserve}" in sen["detail"]


def test_simulate_refuses_outside_development_and_kari_s_own_database(settings, monkeypatch):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="KARI_DEBUG=1"):
        call_command("simulate", "--applicants", "10")
    settings.DEBUG = True
    # the refusals come before any database is touched
    monkeypatch.setitem(settings.DATABASES["default"], "NAME", "kari_production")
    with pytest.raises(CommandError, match="own database"):
        call_command("simulate", "--database", "postgres://x@h:5432/kari_production", "--fresh")
    with pytest.raises(CommandError, match="--fresh"):
        call_command("simulate", "--database", "postgres://x@h:5432/kari_other")
