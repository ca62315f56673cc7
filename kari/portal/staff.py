"""The staff home page: the current round and a card for each task the user's roles allow.

It links to every app's pages, so it lives here, above the apps (kari.accounts only signs
staff in; `LOGIN_REDIRECT_URL` brings them here).
"""

from django.shortcuts import render
from django.utils import timezone

from kari.appeals.selectors import overdue
from kari.catalogue.models import Institution
from kari.ranking.services import subsequent
from kari.rounds.deadlines import statutory_deadlines
from kari.rounds.services import current_round
from kari.staffauth import staff_required

# The permissions whose cards the page shows (each is checked by the page it links to).
CARDS = (
    "announcement.submit",
    "announcement.confirm",
    "round.schedule",
    "catalogue.import",
    "programme.import",
    "catalogue.export",
    "programme.edit",
    "registration.register",
    "cert.manage",
    "cert.review",
    "exams.view_all",
    "exam.check_in",
    "exam_centre.edit",
    "appeals.view",
    "operations.outbox",
    "ranking.view_all",
    "competition.submit",
    "ranking.subsequent",
    "ranking.subsequent_review",
    "enrolment.manage",
    "enrolment.view_all",
    "sen.register",
    "sen.documents",
    "sen.commission",
    "sen.trial",
    "sen.assess",
    "sen.view_all",
)


# The ranking card's statutory deadlines (kari.rounds.deadlines, from kari.workdays).
RANKING_DEADLINES = ("results", "final_lists", "ranking", "ranking_sent", "ranking_entered")


def deadline_cards(round_, keys) -> list[dict]:
    """The deadlines ``keys`` of the round, each with whether it has passed and the days left."""
    if round_ is None:
        return []
    today = timezone.localdate()
    return [
        {"d": d, "past": d.date < today, "days_left": (d.date - today).days}
        for d in statutory_deadlines(round_)
        if d.key in keys
    ]


@staff_required
def staff(request):
    user = request.user
    round_ = current_round()
    can_rank = user.has_kari_perm("ranking.view_all")
    return render(
        request,
        "portal/staff.html",
        {
            "round": round_,
            "complaints_overdue": overdue(round_) if user.has_kari_perm("appeals.view") else 0,
            "can": {p.replace(".", "_"): user.has_kari_perm(p) for p in CARDS},
            "ranking_deadlines": deadline_cards(round_, RANKING_DEADLINES) if can_rank else [],
            "subsequent_deadlines": (
                subsequent.head_deadlines(
                    Institution.objects.filter(organisation=user.organisation).first(), round_
                )
                if user.has_kari_perm("ranking.subsequent")
                else []
            ),
            "subsequent_reviews": (
                subsequent.review_deadlines()
                if user.has_kari_perm("ranking.subsequent_review")
                else []
            ),
            "competition_deadlines": (
                deadline_cards(round_, ("competition",))
                if user.has_kari_perm("competition.submit")
                else []
            ),
        },
    )
