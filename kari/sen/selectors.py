"""Reads of the SEN track. Health data is read only through :func:`health_record`, which
checks the reader's right (``sen.health``) and writes an audit entry for every view."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from kari.accounts.permissions import NATIONAL, authorize, can
from kari.audit.log import record
from kari.catalogue.models import AnnouncementLine, AnnouncementStatus, Institution, Programme

from . import rules
from .models import Act, Assessment, Choice, Document, Placement, SenRegistration, Trial


def offered_programmes(round_, stage: str):
    """A37.3, A38.3: the programmes a SEN applicant may choose: those of the round's confirmed
    announcements, of the stage, with places reserved for SEN applicants (A13.2)."""
    return (
        Programme.objects.filter(
            announced__announcement__round=round_,
            announced__announcement__status=AnnouncementStatus.CONFIRMED,
            announced__sen_places__gt=0,
            stage=stage,
        )
        .select_related("institution__organisation")
        .order_by("code")
        .distinct()
    )


def reserved_places(round_, stage: str) -> dict[int, int]:
    """Programme id -> places reserved for SEN applicants in the confirmed announcement (A13.2)."""
    return dict(
        AnnouncementLine.objects.filter(
            announcement__round=round_,
            announcement__status=AnnouncementStatus.CONFIRMED,
            programme__stage=stage,
        ).values_list("programme_id", "sen_places")
    )


@dataclass
class Crowding:
    programme: Programme
    registrants: int
    reserved: int

    @property
    def oversubscribed(self) -> bool:
        return rules.oversubscribed(self.registrants, self.reserved)


def oversubscription(round_, stage: str) -> dict[int, Crowding]:
    """Programme id -> SEN registrants against reserved places (A40.6)."""
    reserved = reserved_places(round_, stage)
    counts = dict(
        Choice.objects.filter(registration__round=round_, registration__stage=stage)
        .exclude(registration__status="rejected")
        .values_list("programme")
        .annotate(n=Count("pk"))
        .values_list("programme", "n")
    )
    progs = Programme.objects.in_bulk(set(counts) | set(reserved))
    return {
        pk: Crowding(progs[pk], counts.get(pk, 0), reserved.get(pk, 0))
        for pk in progs
        if counts.get(pk)
    }


@dataclass
class RecommendationRow:
    """One applicant on one programme, as the commission's recommendation shows it (A40.5,
    A40.6): the registration time (month, day, hour, minute, second), the trial, the reasons."""

    registration: SenRegistration
    registration_time: str
    trial: Trial | None


@dataclass
class Recommendation:
    crowding: Crowding
    rows: list[RecommendationRow] = field(default_factory=list)


def recommendations(
    round_, stage: str, institution: Institution | None = None
) -> list[Recommendation]:
    """Per programme, its SEN registrants in registration order with the trial and reasons."""
    crowd = oversubscription(round_, stage)
    trials = {
        (t.registration_id, t.programme_id): t
        for t in Trial.objects.filter(registration__round=round_, registration__stage=stage)
    }
    out = []
    for pk, c in sorted(crowd.items(), key=lambda kv: kv[1].programme.code):
        if institution is not None and c.programme.institution_id != institution.pk:
            continue
        regs = (
            SenRegistration.objects.filter(choices__programme_id=pk, round=round_, stage=stage)
            .exclude(status="rejected")
            .select_related("applicant")
            .order_by("registered_at", "pk")
        )
        out.append(
            Recommendation(
                c,
                [
                    RecommendationRow(
                        r,
                        rules.registration_time(timezone.localtime(r.registered_at)),
                        trials.get((r.pk, pk)),
                    )
                    for r in regs
                ],
            )
        )
    return out


@dataclass
class DocumentState:
    kind: str
    label: str
    required: bool
    received: Document | None


def latest_conclusion(registration: SenRegistration) -> Assessment | None:
    return (
        Assessment.objects.filter(applicant=registration.applicant, concluded_on__isnull=False)
        .order_by("-concluded_on", "-pk")
        .first()
    )


def conclusion_exists(registration: SenRegistration) -> bool:
    """An expert team's conclusion about the applicant exists (A33): issued in Kari, or a
    paper one an institution recorded with at least three signatures (A37.10(a))."""
    return (
        Assessment.objects.filter(
            applicant=registration.applicant_id, concluded_on__isnull=False
        ).exists()
        or registration.documents.filter(
            kind="conclusion", signatures__gte=rules.MIN_SIGNATURES
        ).exists()
    )


def documents_exempt(registration: SenRegistration) -> bool:
    """A38.10: at the subsequent stage the A38.9 documents are required only if the applicant
    has not been assessed by an expert team or continues at another institution. Reads only
    whether a conclusion exists, no findings."""
    return registration.stage == "subsequent" and not rules.required_documents(
        hearing=False,
        sight=False,
        behavioural=False,
        stage=registration.stage,
        assessed=latest_conclusion(registration) is not None,
        continues_elsewhere=registration.continues_elsewhere,
    )


def has_conclusion(registration: SenRegistration) -> bool:
    """A33: the right to the SEN test comes from the expert team's conclusion: one issued in
    Kari about the applicant, a paper one an institution recorded with at least three
    signatures (A37.10(a)), or the ministry's confirmation of the SEN status (A37.11, A37.9),
    which rests on one. Reads no health data: only whether a conclusion exists."""
    return registration.status == "confirmed" or conclusion_exists(registration)


def documents_state(registration: SenRegistration, institution: Institution) -> list[DocumentState]:
    """The A37.10 documents at one institution: required (by the conclusion) and received.
    Only for readers with ``sen.health`` (the caller goes through :func:`health_record`)."""
    from .models import DocumentKind

    a = latest_conclusion(registration)
    required = rules.required_documents(
        hearing=bool(a and a.hearing),
        sight=bool(a and a.sight),
        behavioural=bool(a and a.behavioural),
        stage=registration.stage,
        assessed=a is not None,
        continues_elsewhere=registration.continues_elsewhere,
    )
    got = {d.kind: d for d in registration.documents.filter(institution=institution)}
    return [
        DocumentState(kind, label, kind in required, got.get(kind))
        for kind, label in DocumentKind.choices
    ]


def missing_documents(registration: SenRegistration, institution: Institution) -> list[str]:
    return [
        s.kind for s in documents_state(registration, institution) if s.required and not s.received
    ]


def overdue(
    registration: SenRegistration, institution: Institution, today: dt.date | None = None
) -> bool:
    """The 4 working days are over and a required document is missing (flagged, A37.5)."""
    today = today or timezone.localdate()
    return today > registration.documents_due and bool(missing_documents(registration, institution))


@dataclass
class HealthRecord:
    conclusion: Assessment | None
    documents: list[DocumentState]


def health_record(
    actor, registration: SenRegistration, institution: Institution | None
) -> HealthRecord:
    """The health data of one registration for one reader: authorised, and every view audited.

    Who may read it: the ministry's SEN unit and the distribution commission (national,
    A37.11, A40.7), the institution the documents are presented to (A37.10), the host's exam
    commission (A40.5 weighs the conclusion), and the expert team that wrote the conclusion."""
    conclusion = latest_conclusion(registration)
    if can(actor, "sen.health_all", NATIONAL):
        pass
    elif institution is not None:
        chose = registration.choices.filter(programme__institution=institution).exists()
        hosted = registration.host_id == institution.pk
        if not (chose or hosted):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        authorize(actor, "sen.health", institution.organisation)
    else:
        authorize(actor, "sen.health", conclusion.team.organisation if conclusion else None)
    with transaction.atomic():
        record(
            actor,
            "sen.health_viewed",
            registration,
            after={"institution": institution.pk if institution else None},
            organisation=actor.organisation,
        )
    return HealthRecord(
        conclusion, documents_state(registration, institution) if institution else []
    )


def own_conclusion(actor, assessment: Assessment) -> Assessment:
    """The expert team's own conclusion, for its members (A36.2): authorised, and every view
    audited like :func:`health_record`'s."""
    authorize(actor, "sen.assess", assessment.team.organisation)
    with transaction.atomic():
        record(
            actor,
            "sen.health_viewed",
            assessment,
            after={"assessment": assessment.pk},
            organisation=actor.organisation,
        )
    return assessment


def institution_registrations(institution: Institution, round_, stage: str | None = None):
    qs = SenRegistration.objects.filter(
        round=round_, choices__programme__institution=institution
    ).distinct()
    if stage:
        qs = qs.filter(stage=stage)
    return qs.select_related("applicant").prefetch_related("choices__programme")


def hosted(institution: Institution, round_, stage: str | None = None):
    qs = SenRegistration.objects.filter(round=round_, host=institution)
    if stage:
        qs = qs.filter(stage=stage)
    return qs.select_related("applicant").prefetch_related("choices__programme", "trials")


def unsent_trials(institution: Institution, round_) -> int:
    """A40.7: the institution's scored trials of the round not yet sent to the ministry (what
    the package would send, for its confirmation)."""
    return Trial.objects.filter(
        commission__institution=institution, registration__round=round_, sent_on__isnull=True
    ).count()


def published_acts():
    return Act.objects.filter(published_at__isnull=False).order_by("-published_at")


def placements_of(act: Act):
    return act.placements.select_related(
        "registration__applicant", "programme__institution__organisation"
    ).order_by("programme__code", "registration__number")


def enrolled(round_, stage: str = "primary") -> dict[int, int]:
    """Programme id -> SEN applicants placed by the minister's published act (A40.8-A40.9):
    the SEN enrolments of A12.1(a) that the ranking subtracts from the places (A26.3)."""
    return dict(
        Placement.objects.filter(
            act__round=round_, act__stage=stage, act__published_at__isnull=False
        )
        .values_list("programme")
        .annotate(n=Count("pk"))
        .values_list("programme", "n")
    )


def placed_applicants(round_, stage: str = "primary") -> set[int]:
    """Applicant ids placed through the SEN track in the round (nobody is placed twice)."""
    return set(
        Placement.objects.filter(
            act__round=round_, act__stage=stage, act__published_at__isnull=False
        ).values_list("registration__applicant_id", flat=True)
    )
