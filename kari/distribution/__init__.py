"""Distribution of registered applicants to exam centres and sessions (A17.2, A15.8, A12.3(e)).

Pure Python + numpy + scipy (HiGHS through ``scipy.optimize.milp``): no Django import is
allowed here (import-linter contract in ``pyproject.toml``).
"""

from kari.distribution.model import (
    Candidate,
    Centre,
    DistributionError,
    Session,
    distance_matrix,
)
from kari.distribution.plan import HISTOGRAM_BUCKETS, Placement, Plan, Stats, bucket, check
from kari.distribution.solver import SolverError, distribute

__all__ = [
    "HISTOGRAM_BUCKETS",
    "Candidate",
    "Centre",
    "DistributionError",
    "Placement",
    "Plan",
    "Session",
    "SolverError",
    "Stats",
    "bucket",
    "check",
    "distance_matrix",
    "distribute",
]
