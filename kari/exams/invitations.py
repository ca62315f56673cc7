"""A17.3: building the invitation cards of a final distribution, and running the bulk job.

``services.start_invitations`` makes the distribution final and creates the invitations in one
transaction; ``run_job`` then renders the PDF cards (``kari.documents.invitation``) with
progress, and ``services.finish_invitations`` records the files and notifies the applicants.
"""

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone, translation

from kari.catalogue.models import ForeignLanguage
from kari.documents.invitation import InvitationCard, InvitationSitting, render_card, render_many

from .models import Invitation, InvitationJob, JobStatus

log = logging.getLogger(__name__)
FOLDER = "invitations"


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


def invitations_of(job: InvitationJob):
    return with_card_data(
        Invitation.objects.filter(assignment__distribution=job.distribution)
    ).order_by("number")


def relative_path(job: InvitationJob, number: str) -> str:
    return f"{FOLDER}/{job.distribution.round_id}/{number}.pdf"


def run_job(job_id: int, *, workers: int | None = None, progress=None) -> InvitationJob:
    """Render every card of the job into MEDIA_ROOT, updating the job's progress as it goes."""
    from . import services

    job = InvitationJob.objects.select_related("distribution").get(pk=job_id)
    job.status, job.started_at = JobStatus.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    try:
        cards = [card_for(inv) for inv in invitations_of(job)]
        out = Path(settings.MEDIA_ROOT) / FOLDER / str(job.distribution.round_id)
        last = [0.0]

        def step(done, total):
            now = timezone.now().timestamp()
            if done == total or now - last[0] > 0.5:  # a lively page without a write per card
                last[0] = now
                InvitationJob.objects.filter(pk=job.pk).update(done=done)
            if progress:
                progress(done, total)

        render_many(cards, out, workers=workers or settings.KARI_PDF_WORKERS, progress=step)
        return services.finish_invitations(job.pk)
    except Exception as exc:
        log.exception("invitation job %s failed", job.pk)
        InvitationJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise


def run_in_background(job_id: int, run=None) -> None:
    """The web's way to run a job: a thread, so the page can show progress meanwhile.

    ``run`` defaults to rendering invitation job ``job_id`` in one process."""
    run = run or (lambda pk: run_job(pk, workers=1))

    def target():
        close_old_connections()
        try:
            run(job_id)
        except Exception:  # recorded on the job (FAILED, with the error); the page shows it
            log.warning("background job %s stopped with an error", job_id)
        finally:
            close_old_connections()

    threading.Thread(target=target, name=f"kari-job-{job_id}", daemon=True).start()


def rerender(pks: list[int]) -> None:
    """Render the given issued invitations again, in place (after a change such as A18.2)."""
    for inv in with_card_data(Invitation.objects.filter(pk__in=pks).exclude(pdf="")):
        path = Path(settings.MEDIA_ROOT) / inv.pdf.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_card(card_for(inv)))


def pdf_bytes(inv: Invitation) -> bytes:
    """The issued card; rendered again from the same data if the file is missing."""
    if inv.pdf and Path(inv.pdf.path).exists():
        return Path(inv.pdf.path).read_bytes()
    return render_card(card_for(with_card_data(Invitation.objects).get(pk=inv.pk)))
