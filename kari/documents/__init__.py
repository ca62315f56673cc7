"""Kari's printed documents (PDF): a plain package, not a Django app."""

from .certificate import certificate_pdf
from .invitation import InvitationCard, InvitationSitting, render_card, render_many
from .printout import registration_printout

__all__ = [
    "InvitationCard",
    "InvitationSitting",
    "certificate_pdf",
    "registration_printout",
    "render_card",
    "render_many",
]
