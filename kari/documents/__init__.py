"""Kari's printed documents (PDF): a plain package, not a Django app."""

from .printout import registration_printout

__all__ = ["registration_printout"]
