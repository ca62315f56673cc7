"""The staff home page: the current round and a card for each task the user's roles allow.

It links to every app's pages, so it lives here, above the apps (kari.accounts only signs
staff in; `LOGIN_REDIRECT_URL` brings them here).
"""

from django.shortcuts import render

from kari.appeals.selectors import overdue
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
    "enrolment.manage",
    "enrolment.view_all",
    "sen.register",
    "sen.documents",
    "sen.commission",
    "sen.trial",
    "sen.assess",
    "sen.view_all",
)


@staff_required
def staff(request):
    user = request.user
    round_ = current_round()
    return render(
        request,
        "portal/staff.html",
        {
            "round": round_,
            "complaints_overdue": overdue(round_) if user.has_kari_perm("appeals.view") else 0,
            "can": {p.replace(".", "_"): user.has_kari_perm(p) for p in CARDS},
        },
    )
