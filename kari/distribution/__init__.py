"""Distribution of registered applicants to exam centres and sessions (A17.2, A15.8, A12.3(e)).

Pure Python + numpy + scipy (HiGHS through ``scipy.optimize.milp``): no Django import is
allowed here (import-linter contract in ``pyproject.toml``). The steps: ``model`` (input
types, distances, validation), ``build`` (the integer model), ``solver`` (HiGHS and
``distribute``), ``expand`` (groups to individuals, then sessions), ``plan`` (the result,
its figures and an independent checker), ``reasons`` (why an applicant is unplaced).
"""

from kari.distribution.model import (
    Candidate,
    Centre,
    DistributionError,
    Session,
    SolverError,
    distance_matrix,
)
from kari.distribution.plan import (
    HISTOGRAM_BUCKETS,
    Figures,
    Placement,
    Plan,
    Stats,
    bucket,
    check,
    figures,
)
from kari.distribution.reasons import Reason, Unplaced
from kari.distribution.solver import distribute

__all__ = [
    "HISTOGRAM_BUCKETS",
    "Candidate",
    "Centre",
    "DistributionError",
    "Figures",
    "Placement",
    "Plan",
    "Reason",
    "Session",
    "SolverError",
    "Stats",
    "Unplaced",
    "bucket",
    "check",
    "distance_matrix",
    "distribute",
    "figures",
]
