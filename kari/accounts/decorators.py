"""Kept so that `kari.exams` (being split on another branch) keeps its import; new code
imports `kari.staffauth.staff_required`. Remove once nothing imports this module."""

from kari.staffauth import staff_required

__all__ = ["staff_required"]
