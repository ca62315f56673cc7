"""``kari demo --phase simulated``: the demo shows a round that really happened.

Instead of building each state directly, the demo runs a whole simulated round
(:mod:`kari.simulation`) on its fresh database, through the services, on the simulated clock:
last spring's round (the one whose enrolment has ended by today), from the ministry's schedule
to enrolment, the SEN track included, with the checks at the end. The simulation's staff are
the demo's accounts (the demo password and a TOTP authenticator each, printed as usual), and
the round stays in the instance's own civil registry, media and audit witness, so it is served
afterwards like any demo round.
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from kari.demo.generator import Builder, DemoResult
from kari.simulation import runner
from kari.simulation.stages import schedule


def simulated_year(today: dt.date, seed: int = 1) -> int:
    """The latest spring whose round has ended (its enrolment window closed) by ``today``."""
    year = today.year
    while schedule(seed, year)["enrolment_ends"] >= today:
        year -= 1
    return year


def build(
    seed: int = 1,
    applicants: int = 400,
    progress: Callable[[str], None] | None = None,
    *,
    today: dt.date | None = None,
) -> DemoResult:
    today = today or timezone.localdate()
    year = simulated_year(today, seed)
    builder = Builder(seed, today, phase="simulated", applicants=applicants)
    out = runner.run(
        applicants,
        seed,
        settings.VAR_DIR / "simulation-demo",
        progress=progress,
        year=year,
        make_staff=builder.staff,
        instance=True,
    )
    result = builder.result
    if out.sim is None or out.sim.round is None or not out.passed:
        failed = [s.title for s in out.stages if s.status == "failed"]
        failed += [c["name"] for c in out.checks if not c["ok"]]
        raise RuntimeError(f"the simulated round did not pass: {', '.join(failed) or 'no round'}")
    result.round = out.sim.round
    result.counts = {
        "simulated round": f"spring {year}, seed {seed}, {applicants} applicants",
        **out.sim.flow,
        "checks passed": f"{sum(c['ok'] for c in out.checks)} of {len(out.checks)}",
        "simulated in": f"{out.seconds:.0f} s",
    }
    return result
