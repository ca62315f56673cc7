"""Demo data of the ranking (``kari demo --phase final-lists`` and ``--phase ranking``).

Both start from the results phase (test days over, NAEC's results in, the complaints decided)
moved on in time: EMIS published the results with notices to the applicants (A26.2), the
re-ranking window closed yesterday, and in it the applicants of the busiest skills test put the
demo college's programme of that test first (so that it has a cut-off and a tie, and its
explanations say something). Then, through the services:

- ``final-lists``: EMIS froze the final lists today (A26.3) and NAEC recorded the round's
  formula; the ranking is for NAEC to build and approve (the browser journey does);
- ``ranking``: NAEC built the ranking and approved it (A27.1) and signed its documents (A27.5):
  a PDF per programme that had applicants, the national summary and the XLSX.

The output names the round's id and the applicant ranked lowest on the busiest programme (to
sign in as and read the explanation).
"""

import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from kari import workdays
from kari.catalogue.models import AnnouncementLine
from kari.ranking import inputs, services
from kari.ranking.models import Admission, FinalLists
from kari.ranking.services import publication
from kari.registration.models import Choice, Registration


def schedule(sched: dict, anchor: dt.date) -> dict:
    """The exams phase's schedule with the re-ranking window closed on the working day before
    ``anchor`` (so the lists frozen on ``anchor`` are on time, A26.3) and NAEC's ranking date
    seven days on (A27.1)."""
    closes = workdays.on_or_before(anchor - dt.timedelta(days=1))
    sched["reranking_closes"] = max(closes, sched["reranking_opens"])
    sched["ranking_date"] = workdays.within_days(anchor, 7)
    sched["enrolment_starts"] = workdays.on_or_after(sched["ranking_date"] + dt.timedelta(days=3))
    sched["enrolment_ends"] = workdays.on_or_after(
        sched["enrolment_starts"] + dt.timedelta(days=10)
    )
    return sched


@transaction.atomic
def rerank(round_, institution) -> str:
    """Demo data of the re-ranking window (A26.2): every applicant of the busiest skills test
    and subject group puts the demo college's programme of that test first; its places are a
    third of them, so that it has a cut-off. Returns the programme's code."""
    busiest = (
        Registration.objects.filter(round=round_, stage="primary")
        .values("skills_test_id", "subject_group_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "skills_test_id")
    )
    for group in busiest:
        line = (
            AnnouncementLine.objects.filter(
                announcement__round=round_,
                announcement__institution=institution,
                programme__skills_test_id=group["skills_test_id"],
                programme__subject_group_id=group["subject_group_id"],
                programme__stage="primary",
                programme__work_based=False,
                programme__art_sport_tourism=False,
            )
            .select_related("programme")
            .order_by("programme__code")
            .first()
        )
        if line is not None:
            break
    else:
        return ""
    programme = line.programme
    regs = Registration.objects.filter(
        round=round_,
        stage="primary",
        skills_test_id=programme.skills_test_id,
        subject_group_id=programme.subject_group_id,
    )
    for reg in regs:
        chosen = [c.programme_id for c in reg.choices.order_by("rank")]
        order = [programme.pk] + [p for p in chosen if p != programme.pk]
        reg.choices.all().delete()
        Choice.objects.bulk_create(
            [Choice(registration=reg, rank=k, programme_id=p) for k, p in enumerate(order, 1)]
        )
    line.places = max(2, regs.count() // 3)
    line.save(update_fields=["places"])
    return programme.code


def _lowest_first_choice(round_, code: str) -> str:
    """The personal number of the lowest-scored applicant who put ``code`` first (with a third
    as many places as such applicants, below the cut-off: their cabinet explains why)."""
    scores = inputs.scores(round_)
    firsts = Choice.objects.filter(
        registration__round=round_, rank=1, programme__code=code
    ).values_list("registration_id", "registration__applicant__personal_number")
    ranked = [(scores[r].score, pn) for r, pn in firsts if r in scores and scores[r].score]
    return min(ranked)[1] if ranked else ""


def build(round_, users: dict, institution, anchor: dt.date, *, approve: bool) -> dict:
    """``users``: emis, naec. See the module docstring."""
    emis, naec = users["emis"], users["naec"]
    published = timezone.make_aware(dt.datetime.combine(round_.results_published, dt.time(12)))
    publication.publish_results(emis, round_, now=published)
    code = rerank(round_, institution)
    lists = services.freeze_final_lists(emis, round_, today=anchor)
    services.record_formula(
        naec,
        round_,
        {"act_number": "01/318", "act_date": round_.reranking_closes, "minimum": None},
    )
    out = {
        "ranking round id": round_.pk,
        "final lists": f"{lists.applicants} applicants, {lists.programmes} programmes",
        "busiest programme (cut-off and explanations)": code,
    }
    below = _lowest_first_choice(round_, code)
    if below:
        out["applicant below its cut-off"] = below
    if not approve:
        return out
    ranking = services.build_ranking(naec, round_)
    ranking = services.approve_ranking(naec, ranking, today=anchor)
    services.documents.sign_documents(naec, ranking)
    out["ranking"] = (
        f"approved, {ranking.admitted_count} of {ranking.applicants} admitted, "
        f"{ranking.documents.count()} signed documents"
    )
    out["admissions"] = Admission.objects.filter(ranking=ranking).count()
    assert FinalLists.objects.filter(round=round_, current=True).exists()
    return out
