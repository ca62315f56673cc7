"""Kari's printed documents (PDF): a plain package, no Django.

Each renderer takes one frozen dataclass of :mod:`.inputs`, built by the caller, and returns PDF
bytes. They share :mod:`.pdf` (pages, text, bilingual labels, tables, QR codes) and :mod:`.fonts`
(DejaVu, and the fast path of the bulk invitation cards). Document signing (PAdES) will sit beside
them, in ``signing.py``, taking the bytes a renderer returns.
"""

from .certificate import certificate_pdf
from .inputs import (
    CertificateData,
    Incident,
    InvitationCard,
    InvitationSitting,
    Printout,
    ProgrammeChoice,
    RemovalProtocol,
    Signatory,
)
from .invitation import render_card, render_many
from .printout import registration_printout
from .protocol import render_protocol

__all__ = [
    "CertificateData",
    "Incident",
    "InvitationCard",
    "InvitationSitting",
    "Printout",
    "ProgrammeChoice",
    "RemovalProtocol",
    "Signatory",
    "certificate_pdf",
    "registration_printout",
    "render_card",
    "render_many",
    "render_protocol",
]
