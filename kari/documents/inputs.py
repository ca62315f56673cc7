"""What the documents print: frozen dataclasses, one per document, built by the callers.

Every renderer in :mod:`kari.documents` takes one of these and returns PDF bytes. The values are
display-ready strings (names, numbers, the caller's formatted dates and times), except where a
field says otherwise. The renderers' own labels are fixed bilingual strings, Georgian first
(``"ქართული / English"``): a printed document is the same in every interface language, so no
translation happens here and the package needs no Django.

A value that is itself bilingual (a round's name, a signatory's role) may be written the same way,
``"ქართული / English"``: the renderers print the English half smaller and grey.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "CertificateData",
    "Incident",
    "InvitationCard",
    "InvitationSitting",
    "Printout",
    "ProgrammeChoice",
    "RemovalProtocol",
    "Signatory",
]


# --- The exam invitation card (A17.3) -----------------------------------------------------------


@dataclass(frozen=True)
class InvitationSitting:
    """One test the applicant sits: a skills test or a subject, in one session (A18)."""

    item_ka: str  # e.g. "მექანიკური უნარები"
    item_en: str  # e.g. "Mechanical skills"
    date: dt.date
    starts_at: dt.time
    check_in_opens: dt.time
    check_in_closes: dt.time
    room: str = ""
    notes: str = ""


@dataclass(frozen=True)
class InvitationCard:
    """Everything printed on one invitation card (A17.3), display-ready except dates and times."""

    number: str  # e.g. "INV-2026-A-000123": also the file name in render_many
    round_label: str  # e.g. "2026 შემოდგომა / 2026 autumn"
    first_name: str  # Georgian
    last_name: str
    personal_number: str
    birth_date: dt.date
    centre_name_ka: str
    centre_name_en: str
    centre_address: str
    centre_municipality: str
    sittings: Sequence[InvitationSitting]
    verify_url: str  # absolute, encoded in the QR code
    issued_on: dt.date  # also the PDF's creation date, for identical bytes on every run
    first_name_latin: str = ""
    last_name_latin: str = ""
    adapted_environment: str = ""  # "" when none was granted


# --- The registration printout (A15.4) ----------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeChoice:
    """One programme of the applicant's ranked list."""

    rank: int
    code: str
    name: str
    institution: str


@dataclass(frozen=True)
class Printout:
    """The registration printout (A15.4, "ამონაბეჭდი") handed over at a registration centre."""

    number: str
    round_label: str
    stage: str  # "primary" or "subsequent" (printed bilingually), else printed as it is
    applicant_name: str
    personal_number: str
    birth_date: str
    phone: str
    email: str
    exam_municipality: str
    test_language: str
    foreign_language: str
    skills_test: str
    subject_group: str
    adapted_environment: str  # "" prints "not requested"
    registered_at: str
    version: int
    channel: str
    clerk_name: str
    centre_name: str
    printed_at: str
    verify_url: str  # absolute, encoded in the QR code
    programmes: Sequence[ProgrammeChoice] = ()  # printed in rank order
    documents: Sequence[str] = ()  # documents to bring, if any


# --- The protocol of removal from the test (A21) ------------------------------------------------


@dataclass(frozen=True)
class Incident:
    """One recorded breach or measure (A20.6, A21)."""

    at: dt.datetime | str  # a datetime prints as dd.mm.yyyy HH:MM, a string as it is
    measure: str
    breach: str
    note: str
    by: str


@dataclass(frozen=True)
class RemovalProtocol:
    """The protocol of an applicant's removal from the test (A21), on NAEC's form."""

    number: str
    applicant: str
    personal_number: str
    registration: str
    centre: str
    session: str
    incidents: Sequence[Incident] = ()


# --- The individual-certification certificate (C4-C5) -------------------------------------------


@dataclass(frozen=True)
class Signatory:
    name: str
    role: str  # bilingual, "ქართული / English"


@dataclass(frozen=True)
class CertificateData:
    """The certificate (C4-C5), handed over at the Fund's conference.

    ``status_note`` (e.g. "REVOKED"), when given, is stamped large and red across the page and
    printed once more in plain text by the number.
    """

    number: str  # e.g. "SF-2026-0007"
    holder_name: str  # Georgian
    verify_url: str  # absolute, encoded in the QR code
    holder_name_en: str = ""  # Latin
    programme: str = ""
    programme_en: str = ""
    title_ka: str = ""
    title_en: str = ""
    achievement_ka: str = ""  # one sentence
    achievement_en: str = ""
    organisation: str = ""
    organisation_en: str = ""
    issued_on: str = ""  # dd.mm.yyyy
    signatories: Sequence[Signatory] = ()
    status_note: str = ""
