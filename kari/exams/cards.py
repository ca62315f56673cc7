"""A17.3: what an invitation card shows, built from an issued invitation (read-only).

``services.invitations`` renders the cards of a final distribution in bulk; the applicant's
download uses ``pdf_bytes``.
"""

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from kari.catalogue.models import ForeignLanguage
from kari.documents.invitation import InvitationCard, InvitationSitting, render_card

from .models import Invitation


def site_url(path: str) -> str:
    return settings.KARI_PUBLIC_URL.rstrip("/") + path


def _language(code: str) -> str:
    """The chosen foreign language, Georgian / English, for the card (A7.5)."""
    if code not in ForeignLanguage.values:
        return code
    names = []
    for lang in ("ka", "en"):
        with translation.override(lang):
            names.append(str(ForeignLanguage(code).label))
    return " / ".join(names)


def card_for(inv: Invitation) -> InvitationCard:
    a = inv.assignment
    reg, centre = inv.registration, a.centre
    person = reg.applicant
    sittings = [
        InvitationSitting(
            item_ka=s.session.test.name_ka,
            item_en=s.session.test.name_en or "",
            date=s.session.date,
            starts_at=s.session.starts_at,
            check_in_opens=s.session.check_in_opens,
            check_in_closes=s.session.check_in_closes,
            notes=(
                _language(reg.foreign_language)
                if s.session.subject_id and s.session.subject.code == "foreign_language"
                else ""
            ),
        )
        for s in a.sittings.all()
    ]
    r = reg.round
    return InvitationCard(
        number=inv.number,
        round_label=f"{r.year} {r.get_season_display()}",
        first_name=person.first_name_ka,
        last_name=person.last_name_ka,
        first_name_latin=person.first_name_en,
        last_name_latin=person.last_name_en,
        personal_number=person.personal_number,
        birth_date=person.birth_date,
        centre_name_ka=centre.name_ka,
        centre_name_en=centre.name_en,
        centre_address=centre.address,
        centre_municipality=centre.municipality.name_ka,
        sittings=sittings,
        verify_url=site_url(reverse("exams:verify", args=[inv.token])),
        issued_on=timezone.localdate(inv.issued_at),
        adapted_environment=reg.adapted_environment if centre.adapted else "",
    )


def with_card_data(qs):
    """Invitations with everything ``card_for`` reads, in a fixed number of queries."""
    return qs.select_related(
        "registration__applicant", "registration__round", "assignment__centre__municipality"
    ).prefetch_related(
        "assignment__sittings__session__skills_test", "assignment__sittings__session__subject"
    )


def pdf_bytes(inv: Invitation) -> bytes:
    """The issued card; rendered again from the same data if the file is missing."""
    if inv.pdf and Path(inv.pdf.path).exists():
        return Path(inv.pdf.path).read_bytes()
    return render_card(card_for(with_card_data(Invitation.objects).get(pk=inv.pk)))
