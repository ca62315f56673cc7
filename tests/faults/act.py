"""Acts on a fault test's Kari database, run as a separate process (`python act.py NAME`) with
the test's environment; prints JSON. Kept apart from the tests so that the test process never
opens Django on that database."""

import hashlib
import json
import os
import sys


def start_invitations():
    from kari.accounts.models import User
    from kari.exams import selectors, services
    from kari.rounds.services import current_round

    emis = User.objects.get(username="emis")
    d = selectors.current_distribution(current_round())
    if d.naec_agreed_at is None:  # A17.2: NAEC agrees first (the demo leaves it to NAEC)
        services.agree_distribution(User.objects.get(username="naec"), d)
        d.refresh_from_db()
    job = services.start_invitations(emis, d)
    return {"job": job.pk, "total": job.total}


def card_hashes():
    """What an undisturbed run renders: every issued card, rendered afresh in this process."""
    from kari.documents.invitation import render_card
    from kari.exams.cards import card_for, with_card_data
    from kari.exams.models import Invitation

    return {
        inv.number: hashlib.sha256(render_card(card_for(inv))).hexdigest()
        for inv in with_card_data(Invitation.objects.all())
    }


def registration_plan():
    """What a registering applicant fills in: a municipality, programmes sharing one skills test
    and subject group, and people of the civil registry not yet registered."""
    from collections import defaultdict
    from pathlib import Path

    from django.conf import settings

    from kari.catalogue.models import Municipality
    from kari.registration.models import Applicant
    from kari.registration.rules import offered_programmes
    from kari.rounds.services import current_round

    r = current_round()
    groups = defaultdict(list)
    for p in offered_programmes(r).filter(foreign_language__in=["any", "en"]).order_by("code"):
        groups[(p.skills_test_id, p.subject_group_id)].append(p.code)
    registry = json.loads(Path(settings.KARI_CIVIL_REGISTRY["PATH"]).read_text("utf-8"))
    taken = set(Applicant.objects.values_list("personal_number", flat=True))
    return {
        "round": r.pk,
        "municipality": Municipality.objects.order_by("code").values_list("code", flat=True)[0],
        "programmes": max(groups.values(), key=len)[:3],
        "people": [p["personal_number"] for p in registry if p["personal_number"] not in taken],
        # online registration checks the ID card number against the civil registry (issue 11)
        "documents": {p["personal_number"]: p.get("document_number", "") for p in registry},
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kari.settings")
    import django

    django.setup()
    print(json.dumps(globals()[sys.argv[1]]()))
