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
    # The demo's own notices (its SEN registrants' codes and confirmations, issue 18) are not
    # part of the scenario: the tests count the invitation notices, one per applicant.
    from kari.outbox.models import Message

    Message.objects.all().delete()
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


def start_ranking_build():
    """NAEC's results for every registered applicant (scores spread so that programmes fill
    and some are left out), the final lists frozen after the re-ranking window, and a ranking
    build started as on the web: its job and task written, nothing run yet."""
    import datetime as dt
    import random
    from decimal import Decimal

    from django.utils import timezone

    from kari.accounts.models import User
    from kari.exams.models import Result, ResultImport
    from kari.ranking import services
    from kari.registration.models import Registration
    from kari.rounds.services import current_round

    r = current_round()
    naec, emis = User.objects.get(username="naec"), User.objects.get(username="emis")
    regs = list(Registration.objects.filter(round=r).order_by("pk"))
    rng = random.Random(13)
    imp = ResultImport.objects.create(
        round=r,
        number=1,
        at=timezone.now(),
        by=naec,
        filename="results.csv",
        sha256="0" * 64,
        rows=len(regs),
        on_time=True,
    )
    Result.objects.bulk_create(
        Result(
            result_import=imp,
            registration=reg,
            status="completed",
            skills_score=Decimal(rng.randint(20, 60)),
            subject_scores={},
        )
        for reg in regs
    )
    services.freeze_final_lists(emis, r, today=r.reranking_closes + dt.timedelta(days=1))
    job = services.start_build(naec, r)
    return {"job": job.pk, "round": r.pk, "expected": undisturbed_outcome()}


def undisturbed_outcome():
    """What an undisturbed build stores, computed afresh in this process (nothing stored)."""
    from kari.ranking import compute
    from kari.ranking.services.lists import document_of
    from kari.ranking.services.rankings import current_lists, formula_of, outcome_checksum
    from kari.rounds.services import current_round

    r = current_round()
    document = document_of(current_lists(r))
    outcome = compute.allocate(document, compute.build_instance(document, formula_of(r)))
    return {"checksum": outcome_checksum(outcome), "admitted": len(outcome.admitted)}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kari.settings")
    import django

    django.setup()
    print(json.dumps(globals()[sys.argv[1]]()))
