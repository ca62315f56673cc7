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
import time
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
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

from .rankings import _insert, fail_job

REASON = "A27.5 რანჟირების დოკუმენტი / ranking document"
BODY = "შეფასებისა და გამოცდების ეროვნული ცენტრი"

POOL_FROM = 20  # programme PDFs from which they are rendered and signed in a pool
_worker: dict = {}


def _init_worker(identity, location, parts=()) -> None:
    # Forked: ``parts`` is the parent's list, inherited, not pickled; a task is its index.
    _worker["identity"], _worker["location"], _worker["parts"] = identity, location, parts


def _render_and_sign(sheet: docs.RankingSheet) -> bytes:
    pdf = docs.ranking_sheet(sheet)
    return pades.sign_pdf(pdf, _worker["identity"], reason=REASON, location=_worker["location"])


def _render_and_sign_at(k: int) -> tuple[int, bytes]:
    return k, _render_and_sign(_worker["parts"][k][1])


def _number(d: Decimal | None) -> str:
    return "—" if d is None else f"{d.normalize():f}"


XLSX_HEADERS = [
    "institution",
    "programme",
    "personal_number",
    "last_name",
    "first_name",
    "score",
    "choice",
    "tie_rule",
]


class _Read:
    """What the documents need from the database, read once as tuples (a national ranking
    admits about 90,000: model instances would cost more than the rest of the reading): the
    programmes' sheets in the programmes' order, whether each had applicants, and the national
    XLSX's rows (by programme code, then score, highest first)."""

    def __init__(self, ranking: Ranking, signatory: str):
        programmes = list(
            ranking.programmes.order_by("programme__code").values_list(
                "programme_id",
                "programme__code",
                "programme__name_ka",
                "programme__institution__organisation__name_ka",
                "programme__institution__organisation__code",
                "places",
                "cutoff",
                "extra_places",
                "applicants",
            )
        )
        admitted: dict[int, list[docs.RankedApplicant]] = {}
        self.xlsx_rows: list[list] = []
        institution_code = {p[0]: p[4] for p in programmes}
        rows = ranking.admissions.order_by(
            "programme__code",
            "-score",
            "registration__applicant__last_name_ka",
            "registration__applicant__personal_number",
        ).values_list(
            "programme_id",
            "programme__code",
            "registration__applicant__personal_number",
            "registration__applicant__last_name_ka",
            "registration__applicant__first_name_ka",
            "score",
            "choice",
            "by_tie_rule",
        )
        add_row = self.xlsx_rows.append
        # Fetched whole (about 10 MB): through a server-side cursor (``iterator()``) PostgreSQL
        # plans for the first rows and took 18 s of CPU instead of 0.5 s.
        for pid, code, personal_number, last, first, score, choice, tie in rows:
            admitted.setdefault(pid, []).append(
                docs.RankedApplicant(
                    personal_number=personal_number,
                    name=f"{last} {first}",
                    score=_number(score),
                    choice=choice,
                    by_tie_rule=tie,
                )
            )
            add_row(
                [
                    institution_code[pid],
                    code,
                    personal_number,
                    last,
                    first,
                    str(score),
                    choice,
                    "1" if tie else "0",
                ]
            )
        approved_on = timezone.localtime(ranking.approved_at).date()
        round_label, stage_label = str(ranking.round), ranking.get_stage_display()
        self.sheets: list[tuple[int, docs.RankingSheet]] = []
        self.chosen: list[tuple[int, docs.RankingSheet]] = []  # the programmes with applicants
        for pid, code, name, institution, _org, places, cutoff, extra, applicants in programmes:
            sheet = docs.RankingSheet(
                round_label=round_label,
                stage_label=stage_label,
                version=ranking.version,
                approved_on=approved_on,
                body=BODY,
                signatory=signatory,
                institution=institution,
                programme_code=code,
                programme_name=name,
                places=places,
                cutoff=_number(cutoff),
                extra_places=extra,
                admitted=admitted.get(pid, []),
                reason=ranking.reason,
            )
            self.sheets.append((pid, sheet))
            if applicants > 0:
                self.chosen.append((pid, sheet))


def sheets(ranking: Ranking, signatory: str) -> list[tuple[int, docs.RankingSheet]]:
    """Programme id and its part of the ranking document, for every programme."""
    return _Read(ranking, signatory).sheets


def national_xlsx(ranking: Ranking) -> bytes:
    """The national list: one row per admitted applicant (A27.5)."""
    return write_table(XLSX_HEADERS, _Read(ranking, "").xlsx_rows, "xlsx")


def sending_due(ranking: Ranking):
    """A27.5: the electronic copy within 2 days of approval."""
    return workdays.within_days(timezone.localtime(ranking.approved_at).date(), 2)


def entry_due(ranking: Ranking):
    """A27.6: entered into the management system within 3 days of receiving the document."""
    return workdays.within_days(timezone.localtime(ranking.documents_sent_at).date(), 3)


class _Clock:
    """Wall and CPU seconds of this process per phase, into ``timings`` (the benchmark's)."""

    def __init__(self, timings: dict | None):
        self.timings = timings
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self, phase: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        if self.timings is not None:
            self.timings[phase] = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu


def sign_documents(
    actor,
    ranking: Ranking,
    *,
    workers: int = 2,
    progress: Callable[[str, int, int], None] | None = None,
    job_id: int | None = None,
    timings: dict | None = None,
) -> Ranking:
    """Render and sign the approved ranking's documents, store them and send them (A27.5);
    with ``job_id``, that job ends in the same transaction. ``timings``, if given, gets each
    phase's wall and CPU seconds of this process."""
    authorize(actor, "ranking.approve", NATIONAL)
    if ranking.status != RankingStatus.APPROVED:
        raise RuleError(_("Only an approved ranking is signed."), citation="A27.5")
    clock = _Clock(timings)
    naec = actor.organisation
    signatory = actor.display_name if hasattr(actor, "display_name") else str(actor)
    step = progress or (lambda phase, done, total: None)
    read = _Read(ranking, signatory)
    # A PDF for every programme that had applicants; the national summary lists them all.
    parts = read.chosen
    identity = identity_for(naec)
    location = "თბილისი"
    total = len(parts) + 1
    step("sign", 0, total)
    clock.lap("read")
    signed: list[bytes] = [b""] * len(parts)
    if workers > 1 and len(parts) > POOL_FROM:
        # The pool is forked after the sheets are read, so a task is only an index. The longest
        # lists go first, so that no process is left with a long list at the end while the
        # others wait; meanwhile this process writes the XLSX and the summary.
        order = sorted(range(len(parts)), key=lambda k: -len(parts[k][1].admitted))
        chunk = max(1, min(8, len(parts) // (workers * 50)))
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(
            workers, initializer=_init_worker, initargs=(identity, location, parts)
        ) as pool:
            results = pool.imap_unordered(_render_and_sign_at, order, chunksize=chunk)
            clock.lap("fork")
            xlsx, summary_pdf = _national(read, ranking, signatory, identity, clock)
            for n, (k, pdf) in enumerate(results, start=1):
                signed[k] = pdf
                if n % 50 == 0:
                    step("sign", n, total)
            clock.lap("wait")
    else:
        _init_worker(identity, location, parts)
        for k in range(len(parts)):
            signed[k] = _render_and_sign_at(k)[1]
            if (k + 1) % 50 == 0:
                step("sign", k + 1, total)
        clock.lap("sign")
        xlsx, summary_pdf = _national(read, ranking, signatory, identity, clock)
    _worker.clear()
    step("store", total - 1, total)
    _store(actor, ranking, [pid for pid, _s in parts], signed, summary_pdf, xlsx, job_id=job_id)
    clock.lap("store")
    step("done", total, total)
    ranking.refresh_from_db()
    return ranking


def _national(read: _Read, ranking: Ranking, signatory: str, identity, clock: _Clock):
    """The national XLSX, and the signed national summary that carries its SHA-256."""
    xlsx = write_table(XLSX_HEADERS, read.xlsx_rows, "xlsx")
    clock.lap("xlsx")
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
            for _pid, s in read.sheets
        ],
        xlsx_sha256=hashlib.sha256(xlsx).hexdigest(),
        reason=ranking.reason,
    )
    summary_pdf = pades.sign_pdf(docs.ranking_summary(summary), identity, reason=REASON)
    clock.lap("summary")
    return xlsx, summary_pdf


@transaction.atomic
def _store(actor, ranking, programme_ids, signed, summary_pdf, xlsx, *, job_id=None) -> None:
    ranking = Ranking.objects.select_for_update().get(pk=ranking.pk)
    if job_id is not None:
        job = BuildJob.objects.select_for_update().get(pk=job_id)
        if job.status == "done":  # stored (and sent) by an earlier run of the job
            return
    now = timezone.now()
    ranking.documents.all().delete()
    sha = hashlib.sha256
    rows = [
        (ranking.pk, SignedDocument.Kind.PROGRAMME.value, pid, pdf, sha(pdf).hexdigest(), now)
        for pid, pdf in zip(programme_ids, signed, strict=True)
    ]
    for kind, data in (
        (SignedDocument.Kind.SUMMARY, summary_pdf),
        (SignedDocument.Kind.XLSX, xlsx),
    ):
        rows.append((ranking.pk, kind.value, None, data, sha(data).hexdigest(), now))
    _store_documents(rows)
    due = sending_due(ranking)
    late = timezone.localdate() > due
    ranking.documents_sent_at = now
    ranking.save(update_fields=["documents_sent_at"])
    record(
        actor,
        "ranking.documents",
        ranking,
        after={
            "programmes": len(programme_ids),
            "summary_sha256": rows[-2][4],
            "xlsx_sha256": rows[-1][4],
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
        institution__programmes__pk__in=programme_ids
    ).distinct()
    for org in institutions:
        notify.notify_organisation(org, subject, body)
    for org in Organisation.objects.filter(kind=OrgKind.EMIS):
        notify.notify_organisation(org, subject, body)
    if job_id is not None:
        BuildJob.objects.filter(pk=job_id).update(
            status="done",
            phase="done",
            done=len(programme_ids) + 1,
            total=len(programme_ids) + 1,
            finished_at=now,
        )


_PG_TYPES = {
    "bigint": "int8",
    "integer": "int4",
    "varchar": "varchar",
    "bytea": "bytea",
    "timestamp with time zone": "timestamptz",
}


def _store_documents(rows) -> None:
    """About 90 MB of PDFs for a national ranking: on PostgreSQL by binary COPY (as text the
    bytes would be sent, and parsed, as hexadecimal), elsewhere ``bulk_create``."""
    columns = ["ranking_id", "kind", "programme_id", "content", "sha256", "signed_at"]
    if connection.vendor != "postgresql":
        _insert(SignedDocument, columns, rows)
        return
    fields = [SignedDocument._meta.get_field(c.removesuffix("_id")) for c in columns]
    names = ", ".join(f.column for f in fields)
    types = [_PG_TYPES[f.db_type(connection).split("(")[0]] for f in fields]
    sql = f"COPY {SignedDocument._meta.db_table} ({names}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as c, c.cursor.copy(sql) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


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
