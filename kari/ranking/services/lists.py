"""A26.3: the final lists, frozen on the next working day after the re-ranking window."""

import gzip
import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kari.accounts.permissions import NATIONAL, authorize
from kari.audit.log import record
from kari.catalogue.models import Programme, Stage
from kari.errors import RuleError
from kari.exams.models import ResultStatus
from kari.ranking import inputs
from kari.ranking.compute import ART, ORDINARY, WORK_BASED, canonical, number
from kari.ranking.models import CompetitionResult, FinalLists
from kari.registration.models import Choice
from kari.rounds.deadlines import deadline
from kari.rounds.models import Round
from kari.tabular import write_table
from kari.tasks import files

FORMAT = "kari-final-lists/1"


def reg_id(pk: int) -> str:
    """The applicant's id in the final lists and the allocation instance: the registration
    number (never the personal number)."""
    return f"R-{pk:06d}"


def ranked_lists(round_) -> dict[int, list[int]]:
    """Registration id -> its ranked list of programme ids (A26.2: as changed in the window)."""
    choices = Choice.objects.filter(registration__round=round_, registration__stage=Stage.PRIMARY)
    if connection.vendor == "postgresql":  # a million choices: one array per registration
        from django.contrib.postgres.aggregates import ArrayAgg

        return dict(
            choices.order_by()
            .values("registration_id")
            .annotate(programmes=ArrayAgg("programme_id", order_by="rank"))
            .values_list("registration_id", "programmes")
        )
    lists: dict[int, list[int]] = {}
    for registration_id, programme_id in (
        choices.order_by("registration_id", "rank")
        .values_list("registration_id", "programme_id")
        .iterator(chunk_size=20000)
    ):
        lists.setdefault(registration_id, []).append(programme_id)
    return lists


def build_document(round_) -> dict:
    """The final lists of the round as one JSON document (docs/exchange-formats.md)."""
    scores = inputs.scores(round_)
    places = inputs.places(round_)
    sen = inputs.sen_enrolled(round_)
    lists = ranked_lists(round_)
    competition: dict[int, dict[int, str]] = {}
    held: set[int] = set()
    for registration_id, programme_id, score in CompetitionResult.objects.filter(
        round=round_
    ).values_list("registration_id", "programme_id", "score"):
        competition.setdefault(registration_id, {})[programme_id] = number(score)
        held.add(programme_id)
    ids = set(places)
    for chosen in lists.values():
        ids.update(chosen)
    progs = {
        row[0]: row
        for row in Programme.objects.filter(pk__in=ids).values_list(
            "pk",
            "code",
            "institution__organisation__code",
            "work_based",
            "art_sport_tourism",
            "authorised_places",
        )
    }
    programmes = []
    for pk, code, institution, work_based, art, authorised in sorted(
        progs.values(), key=lambda r: r[1]
    ):
        announced = places.get(pk, 0)
        enrolled = sen.get(pk, 0)
        programmes.append(
            {
                "code": code,
                "institution": institution,
                "kind": WORK_BASED if work_based else ART if art else ORDINARY,
                "places": announced,
                "sen_enrolled": enrolled,
                "capacity": max(0, announced - enrolled),
                "annual_limit": authorised if authorised is not None else announced,
                "competition_held": pk in held,
            }
        )
    code_of = {pk: row[1] for pk, row in progs.items()}
    applicants = []
    excluded = dict.fromkeys((*ResultStatus.values, inputs.NO_RESULT), 0)
    excluded.pop(ResultStatus.COMPLETED)
    for registration_id in sorted(scores):
        outcome = scores[registration_id]
        if outcome.status != ResultStatus.COMPLETED:
            excluded[outcome.status] += 1  # A26.1: left out of the final lists
            continue
        entry = {
            "id": reg_id(registration_id),
            "registration": registration_id,
            "test_score": number(outcome.score),
            "carried_over": outcome.carried,
            "choices": [code_of[p] for p in lists.get(registration_id, [])],
        }
        own = competition.get(registration_id)
        if own:
            entry["competition"] = {code_of[p]: s for p, s in own.items() if p in code_of}
        applicants.append(entry)
    return {
        "format": FORMAT,
        "round": {"year": round_.year, "season": round_.season},
        "stage": Stage.PRIMARY,
        "programmes": programmes,
        "applicants": applicants,
        "excluded": excluded,
    }


def document_of(lists: FinalLists) -> dict:
    return json.loads(gzip.decompress(bytes(lists.document)))


def raw_document(lists: FinalLists) -> bytes:
    """The canonical JSON of the frozen lists: the hand-over file to NAEC (A26.3)."""
    return gzip.decompress(bytes(lists.document))


def window_closed(round_, today) -> bool:
    """A26.3: the lists are frozen after the re-ranking window (A26.2) has closed."""
    return today > round_.reranking_closes


@transaction.atomic
def freeze_final_lists(actor, round_, *, today=None) -> FinalLists:
    """A26.3: freeze the final lists with a checksum; a re-freeze replaces the current one."""
    authorize(actor, "ranking.freeze", NATIONAL)
    Round.objects.select_for_update().get(pk=round_.pk)
    today = today or timezone.localdate()
    if not window_closed(round_, today):
        raise RuleError(
            _("The re-ranking window is still open until %(d)s.")
            % {"d": round_.reranking_closes.strftime("%d.%m.%Y")},
            citation="A26.3",
        )
    doc = build_document(round_)
    raw = canonical(doc)
    checksum = hashlib.sha256(raw).hexdigest()
    previous = FinalLists.objects.filter(round=round_, stage=Stage.PRIMARY, current=True).first()
    number_ = (
        FinalLists.objects.filter(round=round_, stage=Stage.PRIMARY).aggregate(n=Max("number"))["n"]
        or 0
    ) + 1
    due = deadline(round_, "final_lists").date
    lists = FinalLists.objects.create(
        round=round_,
        stage=Stage.PRIMARY,
        number=number_,
        frozen_at=timezone.now(),
        frozen_by=actor,
        on_time=today <= due,
        checksum=checksum,
        document=gzip.compress(raw, compresslevel=1),
        applicants=len(doc["applicants"]),
        programmes=len(doc["programmes"]),
    )
    if previous is not None:
        previous.current = False
        previous.save(update_fields=["current"])
    record(
        actor,
        "ranking.freeze",
        lists,
        before={"replaces": previous.number} if previous else None,
        after={
            "checksum": checksum,
            "applicants": lists.applicants,
            "programmes": lists.programmes,
            "excluded": doc["excluded"],
            "deadline": due.isoformat(),
            "on_time": lists.on_time,
        },
        reason=_("Final lists to NAEC (A26.3)"),
    )
    return lists


def handover_xlsx(lists: FinalLists) -> bytes:
    """The frozen lists as a spreadsheet, one row per applicant and choice (A26.3)."""
    doc = document_of(lists)
    kinds = {p["code"]: p for p in doc["programmes"]}
    rows = []
    for a in doc["applicants"]:
        comp = a.get("competition") or {}
        for k, code in enumerate(a["choices"], start=1):
            rows.append(
                [
                    a["id"],
                    a["test_score"],
                    "1" if a["carried_over"] else "0",
                    k,
                    code,
                    kinds[code]["kind"],
                    comp.get(code, ""),
                ]
            )
    headers = [
        "registration",
        "test_score",
        "carried_over",
        "choice",
        "programme",
        "kind",
        "competition_score",
    ]
    return write_table(headers, rows, "xlsx")


HANDOVER_TYPES = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@transaction.atomic
def start_handover_export(actor, lists: FinalLists, fmt: str, *, back: str = ""):
    """A26.3: the final lists' hand-over file from the web, as a job of the queue (for a
    national round the file is large): ``kari worker`` runs :func:`handover_job`, which checks
    the actor's role again; the job's page offers the file. Refused at once (ValidationError)
    for an unknown format."""
    authorize(actor, "ranking.view_all", NATIONAL)
    if fmt not in HANDOVER_TYPES:
        raise ValidationError(_("Unknown format: use JSON or XLSX."))
    return files.start(
        actor,
        handover_job,
        params={"lists": lists.pk, "fmt": fmt},
        name=_("Final lists no. %(n)s (%(fmt)s)") % {"n": lists.number, "fmt": fmt.upper()},
        back=back,
    )


@files.file_job
def handover_job(actor, job) -> files.Outcome:
    """Builds the hand-over file of one frozen FinalLists (they are never changed or deleted;
    a re-freeze adds a new one), so a run again gives the same file."""
    authorize(actor, "ranking.view_all", NATIONAL)
    lists = FinalLists.objects.select_related("round").get(pk=job.params["lists"])
    fmt = job.params["fmt"]
    data = raw_document(lists) if fmt == "json" else handover_xlsx(lists)
    return files.Outcome(
        message=_("The final lists no. %(n)s: %(a)s applicants.")
        % {"n": lists.number, "a": lists.applicants},
        output=data,
        output_name=f"final-lists-{lists.round.year}-{lists.round.season}-{lists.number}.{fmt}",
        content_type=HANDOVER_TYPES[fmt],
    )


def places_xlsx(lists: FinalLists) -> bytes:
    doc = document_of(lists)
    headers = ["programme", "institution", "kind", "places", "sen_enrolled", "capacity"]
    rows = [[p[h] for h in headers] for p in doc["programmes"]]
    return write_table(headers, rows, "xlsx")
