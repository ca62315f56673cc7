"""Kari's printed documents (PDF): a plain package, not a Django app."""

from .certificate import certificate_pdf
from .printout import registration_printout

__all__ = ["certificate_pdf", "registration_printout"]
