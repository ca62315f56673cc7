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


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kari.settings")
    import django

    django.setup()
    print(json.dumps(globals()[sys.argv[1]]()))
