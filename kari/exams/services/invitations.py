"""A17.3: issuing the invitations of a final distribution, and the job that renders the cards.

``start_invitations`` makes the distribution final and creates the invitations in one
transaction; ``run_job`` then renders the PDF cards (``kari.documents.invitation``) with
progress, and ``finish_invitations`` records the files and notifies the applicants.
"""

import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from kari import notify
from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.documents.invitation import render_card, render_many
from kari.errors import RuleError
from kari.sms import segments, sms_on_commit
from kari.tasks.errors import connection_lost

from .. import selectors
from ..cards import card_for, site_url, with_card_data
from ..models import (
    CentreQuota,
    Distribution,
    DistributionStatus,
    Invitation,
    InvitationJob,
    JobStatus,
)
from .common import STALE_JOB, lock_round
from .distribution import solver_inputs

log = logging.getLogger(__name__)
FOLDER = "invitations"
INVITATION_NOTICE = gettext_lazy(
    "Your exam invitation %(number)s is ready: download it in your cabinet, "
    "%(url)s, and bring it with your ID document (A17.3, A19.1)."
)


INVITATION_SMS = gettext_lazy(
    "Kari: your test %(date)s, come at %(time)s, %(centre)s. Invitation: %(url)s"
)


def new_token() -> str:
    return secrets.token_urlsafe(18)


@transaction.atomic
def start_invitations(actor, distribution: Distribution, *, queue: bool = True) -> InvitationJob:
    """A17.3: make the distribution final and create every applicant's invitation.

    Every registered applicant gets an invitation, so a distribution that left anyone unplaced
    cannot be issued. The cards are rendered by the job (``run_job``): queued for a worker in
    this transaction, or, with ``queue=False``, left to the caller (``kari exams invitations``
    renders them in its own process pool).
    """
    authorize(actor, "exams.invitations", NATIONAL)
    lock_round(distribution.round)
    d = Distribution.objects.select_for_update().get(pk=distribution.pk)
    latest = selectors.current_distribution(d.round)
    if latest.pk != d.pk:
        raise RuleError(_("Only the latest distribution can be issued."), citation="A17.3")
    if d.is_final:
        raise RuleError(
            _("The invitations of this distribution have already been issued."), citation="A17.3"
        )
    if d.unplaced:
        raise RuleError(
            _(
                "%(n)s applicants have no exam centre: every registered applicant gets "
                "an invitation, so add capacity and re-run the distribution first."
            )
            % {"n": len(d.unplaced)},
            citation="A17.3",
        )
    if d.naec_agreed_at is None and not CentreQuota.objects.filter(round=d.round).exists():
        raise RuleError(
            _(
                "The distribution is made in agreement with NAEC: take in NAEC's numbers per "
                "exam centre, or ask NAEC to agree to this distribution on its page, first."
            ),
            citation="A17.2",
        )
    if solver_inputs(d.round).digest != d.inputs_hash:
        raise RuleError(
            _(
                "Registrations, exam centres, sessions or NAEC's numbers changed after "
                "this distribution was run: run it again first."
            ),
            citation="A17.3",
        )
    d.status = DistributionStatus.FINAL
    d.save(update_fields=["status"])
    now = timezone.now()
    r = d.round
    Invitation.objects.bulk_create(
        [
            Invitation(
                registration_id=a.registration_id,
                assignment=a,
                issued_at=now,
                token=new_token(),
                number=f"INV-{r.year}-{r.season[:1].upper()}-{a.registration_id:06d}",
            )
            for a in d.assignments.order_by("registration_id")
        ],
        batch_size=2000,
    )
    job = InvitationJob.objects.create(
        distribution=d, total=d.assignments.count(), started_by=actor
    )
    if queue:
        invitation_task.enqueue(job.pk)
    record(
        actor,
        "invitations.issue",
        d,
        after={"invitations": job.total},
        reason=_("Invitations (A17.3)"),
    )
    return job


@transaction.atomic
def resume_invitations(actor, job: InvitationJob, *, queue: bool = True) -> InvitationJob:
    """Run a failed (or stalled) invitation job again: the cards are rendered anew and the
    applicants told when it finishes (A17.3). Nothing else about the distribution changes."""
    authorize(actor, "exams.invitations", NATIONAL)
    job = InvitationJob.objects.select_for_update().get(pk=job.pk)
    stalled = (
        job.is_active and (job.started_at or job.distribution.run_at) < timezone.now() - STALE_JOB
    )
    if job.status != JobStatus.FAILED and not stalled:
        raise RuleError(
            _("This job has not failed: it is %(status)s.") % {"status": job.get_status_display()},
            citation="A17.3",
        )
    before = {"status": job.status, "done": job.done, "error": job.error[:200]}
    job.status, job.done, job.error, job.started_by = JobStatus.QUEUED, 0, "", actor
    job.save(update_fields=["status", "done", "error", "started_by"])
    if queue:
        invitation_task.enqueue(job.pk)
    record(
        actor,
        "invitations.resume",
        job.distribution,
        before=before,
        after={"job": job.pk},
        reason=_("Invitations (A17.3)"),
    )
    return job


def invitations_of(job: InvitationJob):
    return with_card_data(
        Invitation.objects.filter(assignment__distribution=job.distribution)
    ).order_by("number")


def relative_path(job: InvitationJob, number: str) -> str:
    return f"{FOLDER}/{job.distribution.round_id}/{number}.pdf"


def run_job(job_id: int, *, workers: int | None = None, progress=None) -> InvitationJob:
    """Render every card of the job into MEDIA_ROOT, updating the job's progress as it goes.

    Idempotent and resumable: a finished job is left as it is, and a job that was RUNNING
    (its worker died; the queue runs it again) renders only the cards not yet on disk (a card
    file appears whole or not at all). ``finish_invitations`` notifies once per job.
    """
    job = InvitationJob.objects.select_related("distribution").get(pk=job_id)
    if job.status == JobStatus.DONE:
        return job
    resumed = job.status == JobStatus.RUNNING
    job.status, job.started_at = JobStatus.RUNNING, job.started_at or timezone.now()
    job.save(update_fields=["status", "started_at"])
    try:
        out = Path(settings.MEDIA_ROOT) / FOLDER / str(job.distribution.round_id)
        invs = invitations_of(job)
        if resumed:
            invs = [inv for inv in invs if not (out / f"{inv.number}.pdf").exists()]
            log.warning("invitation job %s resumed: %s cards left", job.pk, len(invs))
        cards = [card_for(inv) for inv in invs]
        already = job.total - len(cards)
        last = [0.0]

        def step(done, total):
            done, total = done + already, total + already
            now = timezone.now().timestamp()
            if done == total or now - last[0] > 0.5:  # a lively page without a write per card
                last[0] = now
                InvitationJob.objects.filter(pk=job.pk).update(done=done)
            if progress:
                progress(done, total)

        render_many(cards, out, workers=workers or settings.KARI_PDF_WORKERS, progress=step)
        return finish_invitations(job.pk)
    except Exception as exc:
        if connection_lost(exc):  # not a failure: the worker runs the task again
            raise
        log.exception("invitation job %s failed", job.pk)
        InvitationJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise


@task()
def invitation_task(job_id: int) -> None:
    """The queue's task: render the job's cards in the worker's own process, then notify."""
    run_job(job_id, workers=1)


@task()
def rerender_task(pks: list[int]) -> None:
    """The queue's task: render the given issued invitations again (after A18.2)."""
    rerender(pks)


@transaction.atomic
def finish_invitations(job_id: int) -> InvitationJob:
    """Record the rendered cards and tell every applicant, by email and SMS, on commit."""
    job = InvitationJob.objects.select_for_update().select_related("distribution").get(pk=job_id)
    if job.status == JobStatus.DONE:  # finished by an earlier run: the notices went then
        return job
    invs = list(
        invitations_of(job)
        .select_related(None)
        .select_related("registration__applicant", "assignment__centre")
        .prefetch_related("assignment__sittings__session")
    )
    for inv in invs:
        inv.pdf.name = relative_path(job, inv.number)
    Invitation.objects.bulk_update(invs, ["pdf"], batch_size=2000)
    job.status, job.done, job.finished_at = JobStatus.DONE, job.total, timezone.now()
    job.save(update_fields=["status", "done", "finished_at"])
    record(
        job.started_by,
        "invitations.rendered",
        job.distribution,
        after={"cards": len(invs)},
        reason=_("Invitations (A17.3)"),
    )
    cabinet = site_url("/cabinet/")
    for inv in invs:
        person = inv.registration.applicant
        text = notify.bilingual(INVITATION_NOTICE, number=inv.number, url=cabinet)
        notify.email_on_commit([person.email], f"Kari: {inv.number}", text)
        sms_on_commit(person.phone, invitation_sms(inv, cabinet))
    return job


def invitation_sms(inv: Invitation, url: str) -> str:
    """The invitation SMS (issue 19, point 4): the first sitting's day and check-in time, the
    centre and the link, in Georgian, in at most two messages (the centre's name is shortened
    if it must be)."""
    sittings = sorted(
        inv.assignment.sittings.all(),
        key=lambda s: (s.session.date, s.session.check_in_opens),
    )
    with translation.override("ka"):
        values = {"url": url, "date": "", "time": ""}
        if sittings:
            first = sittings[0].session
            values |= {"date": f"{first.date:%d.%m.%Y}", "time": f"{first.check_in_opens:%H:%M}"}
        centre = inv.assignment.centre.name_ka
        text = str(INVITATION_SMS) % (values | {"centre": centre})
        while segments(text) > 2 and len(centre) > 12:
            centre = centre[:-1]
            text = str(INVITATION_SMS) % (values | {"centre": centre.rstrip() + "…"})
    return text


def rerender(pks: list[int]) -> None:
    """Render the given issued invitations again, in place (after a change such as A18.2)."""
    for inv in with_card_data(Invitation.objects.filter(pk__in=pks).exclude(pdf="")):
        path = Path(settings.MEDIA_ROOT) / inv.pdf.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_card(card_for(inv)))
