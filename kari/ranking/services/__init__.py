"""Every write of the ranking app: final lists (A26.3), the build (A27.1-A27.4, A27.9), approval
(A27.1) with the next-intake adjustments (A27.10), corrections, competition results (A9.3,
A10.3) and NAEC's formula."""

from . import rankings
from .competition import import_competition_results
from .lists import document_of, freeze_final_lists, handover_xlsx
from .rankings import (
    approval_due,
    approve_ranking,
    build_ranking,
    record_formula,
    run_build_job,
    start_build,
)

__all__ = [
    "rankings",
    "approval_due",
    "approve_ranking",
    "build_ranking",
    "document_of",
    "freeze_final_lists",
    "handover_xlsx",
    "import_competition_results",
    "record_formula",
    "run_build_job",
    "start_build",
]
