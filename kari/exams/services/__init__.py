"""Write operations of the exam stage (A12.3, A12.7, A15.8, A17-A22, A26.1), one module a
subject:

- ``centres``: exam centres (A12.3(e), A12.7)
- ``sessions``: the round's sessions and moving one (A18, A19.4)
- ``distribution``: the distribution to centres and sessions, and moves (A17.2, A15.8)
- ``invitations``: issuing the invitations and rendering the cards (A17.3)
- ``checkin``: check-in, breaches and presence on test day (A19-A22)
- ``handovers``: the EMIS-NAEC hand-overs (A12.3(c), A17.2(a)-(b), A17.4)
- ``results``: NAEC's results (A26.1)

Each function runs in one transaction, checks permissions, enforces the rules, writes the
audit log and notifies on commit. The modules import downwards only (``common`` at the
bottom; ``sessions`` uses ``invitations``, which uses ``distribution``). The names below are
re-exported so that callers can write ``services.distribute(...)``.
"""

from . import centres, checkin, distribution, handovers, invitations, results, sessions
from .centres import CENTRE_FIELDS, HOST_KINDS, save_centre
from .checkin import (
    admit,
    find_sitting,
    mark_no_shows,
    record_presence,
    refuse_entry,
    report_breach,
)
from .common import STALE_JOB
from .distribution import (
    SOLVER_SECONDS,
    agree_distribution,
    distribute,
    move_applicant,
    run_distribution_job,
    solver_inputs,
    start_distribution,
)
from .invitations import finish_invitations, new_token, resume_invitations, start_invitations
from .sessions import delete_session, reschedule_session, save_session

__all__ = [
    "agree_distribution",
    "CENTRE_FIELDS",
    "HOST_KINDS",
    "SOLVER_SECONDS",
    "STALE_JOB",
    "admit",
    "centres",
    "checkin",
    "delete_session",
    "distribute",
    "distribution",
    "find_sitting",
    "finish_invitations",
    "handovers",
    "invitations",
    "mark_no_shows",
    "move_applicant",
    "new_token",
    "record_presence",
    "refuse_entry",
    "report_breach",
    "reschedule_session",
    "results",
    "resume_invitations",
    "run_distribution_job",
    "save_centre",
    "save_session",
    "sessions",
    "solver_inputs",
    "start_distribution",
    "start_invitations",
]
