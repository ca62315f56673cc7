"""`kari demo --phase simulated`: the demo starts from a round that really happened.

The round itself is the simulation's (300 applicants in test_simulation.py, on both
databases); here only the demo's wiring, without a second whole round: which spring, the
instance's own paths, the demo's accounts (password and authenticator) for the simulation's
staff, and what the demo reports.
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from kari.accounts import services as accounts
from kari.accounts.models import User
from kari.accounts.roles import OrgKind, Role
from kari.demo import simulated
from kari.demo.generator import DEMO_PASSWORD
from kari.demo.management.commands.demo import Command
from kari.rounds.models import Round
from kari.simulation import runner
from kari.simulation.stages import schedule


def test_the_simulated_round_is_last_spring_s_and_over_by_today():
    assert simulated.simulated_year(dt.date(2026, 12, 3)) == 2026
    assert simulated.simulated_year(dt.date(2027, 3, 1)) == 2026  # spring 2027 not over
    assert simulated.simulated_year(dt.date(2027, 8, 1)) == 2027
    for seed in (1, 2, 3):
        year = simulated.simulated_year(dt.date(2026, 12, 3), seed)
        assert schedule(seed, year)["enrolment_ends"] < dt.date(2026, 12, 3)
    assert Command().create_parser("kari", "demo").parse_args(["--phase", "simulated"])


@pytest.mark.django_db
def test_demo_phase_simulated_runs_the_simulation_with_the_demo_s_accounts(monkeypatch):
    called = {}

    def fake_run(applicants, seed, directory, **kw):
        called.update(kw, applicants=applicants, seed=seed)
        org = accounts.create_organisation(
            None, code="ministry", kind=OrgKind.MINISTRY, name_ka="სამინისტრო"
        )
        kw["make_staff"]("ministry", org, [Role.MINISTRY_OFFICER])
        round_ = Round.objects.create(year=kw["year"], season="spring", **schedule(seed, 2026))
        out = runner.Outcome(applicants, seed, "sqlite")
        out.sim = SimpleNamespace(round=round_, flow={"registered": applicants})
        out.checks = [{"name": "conservation", "ok": True, "detail": "", "problems": []}]
        return out

    monkeypatch.setattr(simulated.runner, "run", fake_run)
    result = simulated.build(seed=1, applicants=300, today=dt.date(2026, 12, 3))
    assert called["applicants"] == 300 and called["seed"] == 1
    assert called["year"] == 2026 and called["instance"] is True  # served afterwards
    user = User.objects.get(username="ministry")
    assert user.check_password(DEMO_PASSWORD)
    assert accounts.confirmed_device(user) is not None
    assert [a["username"] for a in result.accounts] == ["ministry"]
    assert result.accounts[0]["totp_secret"]
    assert result.round.year == 2026
    assert result.counts["registered"] == 300
    assert result.counts["checks passed"] == "1 of 1"

    def failing_run(applicants, seed, directory, **kw):
        out = runner.Outcome(applicants, seed, "sqlite")
        out.checks = [{"name": "conservation", "ok": False, "detail": "", "problems": []}]
        out.sim = SimpleNamespace(round=Round.objects.first(), flow={})
        return out

    monkeypatch.setattr(simulated.runner, "run", failing_run)
    with pytest.raises(RuntimeError, match="conservation"):
        simulated.build(seed=1, applicants=300, today=dt.date(2026, 12, 3))
