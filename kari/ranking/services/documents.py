"""A27.5, A27.6: the signed ranking document, its delivery and its entry into the VET
management system.

NAEC signs (PAdES, its own document key: ``kari.accounts.signing``) one PDF per programme and a
national summary that carries the SHA-256 of the national XLSX. Rendering and signing run in
worker processes (forked, each with NAEC's key; no database in them). The electronic copy goes
to the institutions and EMIS within 2 days of approval (A27.5): download pages and notices,
stamped late if late. EMIS enters the ranking into the management system through the one
adapter (``kari.management_system``) within 3 days of receiving it (A27.6) and confirms it.
"""

import hashlib
import multiprocessing
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from kari import management_system, notify, workdays
from kari.accounts.models import Organisation
from kari.accounts.permissions import NATIONAL, authorize
from kari.accounts.roles import OrgKind
from kari.accounts.signing import identity_for
from kari.audit.log import record
from kari.documents import ranking as docs
from kari.documents import signing as pades
from kari.errors import RuleError
from kari.ranking.models import BuildJob, Ranking, RankingStatus, SignedDocument
from kari.tabular import write_table

from .rankings import fail_job

REASON = "A27.5 რანჟირების დოკუმენტი / ranking document"
BODY = "შეფასებისა და გამოცდების ეროვნული ცენტრი"

_worker: dict = {}


def _init_worker(identity, location) -> None:
    _worker["identity"], _worker["location"] = identity, location


def _render_and_sign(sheet: docs.RankingSheet) -> bytes:
    pdf = docs.ranking_sheet(sheet)
    return pades.sign_pdf(pdf, _worker["identity"], reason=REASON, location=_worker["location"])


def _render_and_sign_at(job: tuple[int, docs.RankingSheet]) -> tuple[int, bytes]:
    return job[0], _render_and_sign(job[1])


def _number(d: Decimal | None) -> str:
    return "—" if d is None else f"{d.normalize():f}"


def sheets(ranking: Ranking, signatory: str) -> list[tuple[int, docs.RankingSheet]]:
    """Programme id and its part of the ranking document, for every programme."""
    admitted: dict[int, list] = {}
    rows = ranking.admissions.order_by(
        "programme_id", "-score", "registration__applicant__last_name_ka"
    ).values_list(
        "programme_id",
        "registration__applicant__personal_number",
        "registration__applicant__last_name_ka",
        "registration__applicant__first_name_ka",
        "score",
        "choice",
        "by_tie_rule",
    )  # a national ranking admits about 90,000: tuples, not model instances
    for programme_id, personal_number, last, first, score, choice, tie in rows.iterator(
        chunk_size=5000
    ):
        admitted.setdefault(programme_id, []).append(
            docs.RankedApplicant(
                personal_number=personal_number,
                name=f"{last} {first}",
                score=_number(score),
                choice=choice,
                by_tie_rule=tie,
            )
        )
    approved_on = timezone.localtime(ranking.approved_at).date()
    out = []
    for o in ranking.programmes.select_related("programme__institution__organisation"):
        out.append(
            (
                o.programme_id,
                docs.RankingSheet(
                    round_label=str(ranking.round),
                    stage_label=ranking.get_stage_display(),
                    version=ranking.version,
                    approved_on=approved_on,
                    body=BODY,
                    signatory=signatory,
                    institution=o.programme.institution.organisation.name_ka,
                    programme_code=o.programme.code,
                    programme_name=o.programme.name_ka,
                    places=o.places,
                    cutoff=_number(o.cutoff),
                    extra_places=o.extra_places,
                    admitted=admitted.get(o.programme_id, []),
                    reason=ranking.reason,
                ),
            )
        )
    return out


def national_xlsx(ranking: Ranking) -> bytes:
    rows = [
        [
            a.programme.institution.organisation.code,
            a.programme.code,
            a.registration.applicant.personal_number,
            a.registration.applicant.last_name_ka,
            a.registration.applicant.first_name_ka,
            str(a.score),
            a.choice,
            "1" if a.by_tie_rule else "0",
        ]
        for a in ranking.admissions.select_related(
            "programme__institution__organisation", "registration__applicant"
        ).order_by("programme__code", "-score")
    ]
    headers = [
        "institution",
        "programme",
        "personal_number",
        "last_name",
        "first_name",
        "score",
        "choice",
        "tie_rule",
    ]
    return write_table(headers, rows, "xlsx")


def sending_due(ranking: Ranking):
    """A27.5: the electronic copy within 2 days of approval."""
    return workdays.within_days(timezone.localtime(ranking.approved_at).date(), 2)


def entry_due(ranking: Ranking):
    """A27.6: entered into the management system within 3 days of receiving the document."""
    return workdays.within_days(timezone.localtime(ranking.documents_sent_at).date(), 3)


def sign_documents(
    actor,
    ranking: Ranking,
    *,
    workers: int = 2,
    progress: Callable[[str, int, int], None] | None = None,
    job_id: int | None = None,
) -> Ranking:
    """Render and sign the approved ranking's documents, store them and send them (A27.5);
    with ``job_id``, that job ends in the same transaction."""
    authorize(actor, "ranking.approve", NATIONAL)
    if ranking.status != RankingStatus.APPROVED:
        raise RuleError(_("Only an approved ranking is signed."), citation="A27.5")
    naec = actor.organisation
    signatory = actor.display_name if hasattr(actor, "display_name") else str(actor)
    step = progress or (lambda phase, done, total: None)
    everything = sheets(ranking, signatory)
    # A PDF for every programme that had applicants; the national summary lists them all.
    chosen = set(ranking.programmes.filter(applicants__gt=0).values_list("programme_id", flat=True))
    parts = [(pid, s) for pid, s in everything if pid in chosen]
    identity = identity_for(naec)
    location = "თბილისი"
    signed: list[bytes] = []
    total = len(parts) + 1
    step("sign", 0, total)
    if workers > 1 and len(parts) > 20:
        # The longest lists first, one at a time, so that no process is left with a long list
        # at the end while the others wait; the PDFs are put back in the programmes' order.
        order = sorted(range(len(parts)), key=lambda k: -len(parts[k][1].admitted))
        by_index: list[bytes] = [b""] * len(parts)
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers, initializer=_init_worker, initargs=(identity, location)) as pool:
            for n, (k, pdf) in enumerate(
                pool.imap_unordered(_render_and_sign_at, [(k, parts[k][1]) for k in order]),
                start=1,
            ):
                by_index[k] = pdf
                if n % 50 == 0:
                    step("sign", n, total)
        signed = by_index
    else:
        _init_worker(identity, location)
        for n, (_pid, s) in enumerate(parts, start=1):
            signed.append(_render_and_sign(s))
            if n % 50 == 0:
                step("sign", n, total)
    xlsx = national_xlsx(ranking)
    xlsx_sha = hashlib.sha256(xlsx).hexdigest()
    summary = docs.RankingSummary(
        round_label=str(ranking.round),
        version=ranking.version,
        approved_on=timezone.localtime(ranking.approved_at).date(),
        body=BODY,
        signatory=signatory,
        lines=[
            docs.SummaryLine(
                institution=s.institution,
                programme_code=s.programme_code,
                programme_name=s.programme_name,
                places=s.places,
                admitted=len(s.admitted),
                cutoff=s.cutoff,
                extra_places=s.extra_places,
            )
            for _pid, s in everything
        ],
        xlsx_sha256=xlsx_sha,
        reason=ranking.reason,
    )
    summary_pdf = pades.sign_pdf(docs.ranking_summary(summary), identity, reason=REASON)
    step("store", total - 1, total)
    _store(actor, ranking, parts, signed, summary_pdf, xlsx, job_id=job_id)
    step("done", total, total)
    ranking.refresh_from_db()
    return ranking


@transaction.atomic
def _store(actor, ranking, parts, signed, summary_pdf, xlsx, *, job_id=None) -> None:
    ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
    if job_id is not None:
        job = BuildJob.objects.select_for_update().get(pk=job_id)
        if job.status == "done":  # stored (and sent) by an earlier run of the job
            return
    now = timezone.now()
    ranking.documents.all().delete()
    SignedDocument.objects.bulk_create(
        [
            SignedDocument(
                ranking=ranking,
                kind=SignedDocument.Kind.PROGRAMME,
                programme_id=programme_id,
                content=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                signed_at=now,
            )
            for (programme_id, _sheet), pdf in zip(parts, signed, strict=True)
        ]
        + [
            SignedDocument(
                ranking=ranking,
                kind=kind,
                content=data,
                sha256=hashlib.sha256(data).hexdigest(),
                signed_at=now,
            )
            for kind, data in (
                (SignedDocument.Kind.SUMMARY, summary_pdf),
                (SignedDocument.Kind.XLSX, xlsx),
            )
        ],
        batch_size=200,
    )
    due = sending_due(ranking)
    late = timezone.localdate() > due
    ranking.documents_sent_at = now
    ranking.save(update_fields=["documents_sent_at"])
    record(
        actor,
        "ranking.documents",
        ranking,
        after={
            "programmes": len(parts),
            "summary_sha256": hashlib.sha256(summary_pdf).hexdigest(),
            "xlsx_sha256": hashlib.sha256(xlsx).hexdigest(),
            "deadline": due.isoformat(),
            "on_time": not late,
        },
        reason=_("Signed ranking document sent (A27.5)"),
    )
    subject = _("Kari: the signed ranking document (%(round)s)") % {"round": ranking.round}
    body = _(
        "NAEC approved and signed the ranking document of %(round)s. Download your "
        "programmes' lists on the ranking documents page."
    ) % {"round": ranking.round}
    institutions = Organisation.objects.filter(
        institution__programmes__pk__in=[pid for pid, _sheet in parts]
    ).distinct()
    for org in institutions:
        notify.notify_organisation(org, subject, body)
    for org in Organisation.objects.filter(kind=OrgKind.EMIS):
        notify.notify_organisation(org, subject, body)
    if job_id is not None:
        BuildJob.objects.filter(pk=job_id).update(
            status="done",
            phase="done",
            done=len(parts) + 1,
            total=len(parts) + 1,
            finished_at=now,
        )


@transaction.atomic
def start_signing(actor, ranking: Ranking) -> BuildJob:
    """Queue the signing of an approved ranking's documents (A27.5): the job row and its task
    commit together; the page follows the job's progress."""
    authorize(actor, "ranking.approve", NATIONAL)
    if ranking.status != RankingStatus.APPROVED:
        raise RuleError(_("Only an approved ranking is signed."), citation="A27.5")
    if BuildJob.objects.filter(round=ranking.round, status__in=("queued", "running")).exists():
        raise RuleError(_("A build of this round is already running."))
    job = BuildJob.objects.create(
        round=ranking.round,
        kind="sign",
        ranking=ranking,
        started_at=timezone.now(),
        started_by=actor,
    )
    record(actor, "ranking.sign_started", job, after={"ranking": ranking.pk})
    sign_task.enqueue(job.pk)
    return job


@task()
def sign_task(job_id: int) -> None:
    """The queue's task: sign the job's documents (idempotent), rendering and signing in a
    pool of ``KARI_PDF_WORKERS`` processes forked from the worker (one per core by default:
    a national round's 2,000 programme PDFs take minutes of CPU). The pool's processes only
    render and sign; the database is written by the worker's own process."""
    run_sign_job(job_id, workers=settings.KARI_PDF_WORKERS)


def run_sign_job(job_id: int, *, workers: int = 2) -> BuildJob:
    """Run a queued signing job. Idempotent and resumable: the documents, their notices (to
    the outbox) and the job's end are stored in one transaction, so a run cut short stores
    nothing and is run again whole; a finished job is left as it is."""
    job = BuildJob.objects.select_related("ranking", "started_by").get(pk=job_id)
    if not job.is_active:
        return job
    BuildJob.objects.filter(pk=job_id).update(status="running")

    def progress(phase: str, done: int, total: int) -> None:
        BuildJob.objects.filter(pk=job_id).update(phase=phase, done=done, total=total)

    try:
        sign_documents(
            job.started_by, job.ranking, workers=workers, progress=progress, job_id=job_id
        )
    except ValidationError as exc:  # a rule refused it: the page says why
        fail_job(job_id, exc)
    except Exception as exc:
        fail_job(job_id, exc)
        raise
    job.refresh_from_db()
    return job


def ranking_document(ranking: Ranking) -> management_system.RankingDocument:
    """The approved ranking as the management system takes it (A27.6)."""
    by_programme: dict[int, list] = {}
    for a in ranking.admissions.select_related("registration__applicant").order_by(
        "programme_id", "-score"
    ):
        p = a.registration.applicant
        by_programme.setdefault(a.programme_id, []).append(
            management_system.AdmittedApplicant(
                personal_number=p.personal_number,
                last_name=p.last_name_ka,
                first_name=p.first_name_ka,
                score=a.score,
                choice=a.choice,
                tie=a.by_tie_rule,
            )
        )
    digests = dict(
        ranking.documents.filter(kind=SignedDocument.Kind.PROGRAMME).values_list(
            "programme_id", "sha256"
        )
    )
    return management_system.RankingDocument(
        round=str(ranking.round),
        stage=ranking.stage,
        version=ranking.version,
        approved_at=ranking.approved_at,
        reason=ranking.reason,
        programmes=tuple(
            management_system.ProgrammeRanking(
                institution_code=o.programme.institution.organisation.code,
                programme_code=o.programme.code,
                programme_name=o.programme.name_ka,
                places=o.places,
                cutoff=o.cutoff,
                admitted=tuple(by_programme.get(o.programme_id, ())),
                extra_places=o.extra_places,
                document_sha256=digests.get(o.programme_id, ""),
            )
            for o in ranking.programmes.select_related("programme__institution__organisation")
        ),
    )


@transaction.atomic
def enter_into_management_system(actor, ranking: Ranking, *, today=None) -> Ranking:
    """A27.6: EMIS enters the approved, signed ranking into the VET management system."""
    authorize(actor, "ranking.enter", NATIONAL)
    ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
    if ranking.status != RankingStatus.APPROVED or ranking.documents_sent_at is None:
        raise RuleError(
            _("Only an approved ranking whose signed document was received is entered."),
            citation="A27.6",
        )
    try:
        receipt = management_system.get_management_system().submit_ranking(
            ranking_document(ranking)
        )
    except management_system.SubmissionError as exc:
        raise RuleError(str(exc), citation="A27.6") from exc
    due = entry_due(ranking)
    today = today or timezone.localdate()
    ranking.entry_receipt = receipt.id
    ranking.entry_submitted_at = timezone.now()
    ranking.save(update_fields=["entry_receipt", "entry_submitted_at"])
    record(
        actor,
        "ranking.enter",
        ranking,
        after={
            "receipt": receipt.id,
            "records": receipt.records,
            "sha256": receipt.sha256,
            "deadline": due.isoformat(),
            "on_time": today <= due,
        },
        reason=_("Ranking entered into the management system (A27.6)"),
    )
    return ranking


@transaction.atomic
def confirm_entry(actor, ranking: Ranking) -> Ranking:
    """A27.6: EMIS confirms the entry once the management system took it (not rejected)."""
    authorize(actor, "ranking.enter", NATIONAL)
    ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
    if not ranking.entry_receipt:
        raise RuleError(_("Enter the ranking first."), citation="A27.6")
    status = management_system.get_management_system().status(ranking.entry_receipt)
    if status.state == management_system.State.REJECTED:
        raise RuleError(
            _("The management system refused the entry: %(d)s") % {"d": status.detail},
            citation="A27.6",
        )
    ranking.entry_confirmed_at = timezone.now()
    ranking.save(update_fields=["entry_confirmed_at"])
    record(
        actor,
        "ranking.entry_confirmed",
        ranking,
        after={"receipt": ranking.entry_receipt, "state": str(status.state)},
    )
    return ranking
