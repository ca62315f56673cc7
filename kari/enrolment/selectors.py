"""What the pages read: the institution's list, vacancies, late entries, a round's figures."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from . import rules
from .models import Enrolment, ProgrammeTerms, SenTermsAct, Status, StudentStatus, SubmissionState


def _today() -> dt.date:
    return timezone.localdate()


@dataclass
class Row:
    enrolment: Enrolment
    documents: list  # (RequiredDocument, latest Submission or None)
    submit_until: dt.date | None
    overdue: bool  # A29.2: not enrolled by the deadline
    documents_late: bool  # A29.1: documents not complete by the programme's deadline
    studies_start: dt.date | None = None  # A41.2: SEN applicants are enrolled before it
    option_form: object = None  # the page's form for the student's choice (A30-A32)

    @property
    def challenge_by(self) -> dt.date | None:
        """The last day to challenge the act (or the closing) that concerns this placement."""
        e = self.enrolment
        if e.act_id:
            return rules.challenge_by(e.act.issued_on)
        if e.status in (Status.DECLINED, Status.LAPSED) and e.status_changed_at:
            return rules.challenge_by(timezone.localdate(e.status_changed_at))
        return None

    @property
    def sen_terms_by(self) -> dt.date | None:
        """A41.1: for an SEN placement, the day by which the head fixes the documents' deadline
        (5 days from the minister's act, which is the placement's date)."""
        e = self.enrolment
        return rules.sen_terms_by(e.admitted_on) if e.sen_placement_id else None

    @property
    def complete(self) -> bool:
        return all(
            s is not None and s.state == SubmissionState.RECEIVED for _d, s in self.documents
        )


def terms_of(round_, programme) -> ProgrammeTerms | None:
    return (
        ProgrammeTerms.objects.filter(round=round_, programme=programme)
        .prefetch_related("documents")
        .first()
    )


def rows(enrolments) -> list[Row]:
    today = _today()
    enrolments = list(
        enrolments.select_related(
            "programme__institution__organisation", "applicant", "act", "round"
        ).prefetch_related("submissions")
    )
    terms = {
        (t.round_id, t.programme_id): t
        for t in ProgrammeTerms.objects.filter(
            programme__in={e.programme_id for e in enrolments}
        ).prefetch_related("documents")
    }
    out = []
    for e in enrolments:
        t = terms.get((e.round_id, e.programme_id))
        latest = {}
        for s in sorted(e.submissions.all(), key=lambda s: s.at):
            latest[s.document_id] = s
        docs = [(d, latest.get(d.pk)) for d in t.documents.all()] if t else []
        open_ = e.status in (Status.ADMITTED, Status.DOCUMENTS)
        # A41.1: an SEN applicant's deadline is the one the head fixed after the act.
        until = e.documents_by if e.sen_placement_id else (t.submit_until if t else None)
        start = t.studies_start if t else None
        out.append(
            Row(
                enrolment=e,
                documents=docs,
                submit_until=until,
                overdue=bool(
                    open_
                    and (
                        (e.enrol_by and e.enrol_by < today)
                        or (e.sen_placement_id and start and not rules.before_studies(today, start))
                    )
                ),
                documents_late=bool(e.status == Status.ADMITTED and until and until < today),
                studies_start=start if e.sen_placement_id else None,
            )
        )
    return out


def institution_list(institution, round_) -> list[Row]:
    return rows(Enrolment.objects.filter(round=round_, programme__institution=institution))


def applicant_rows(applicant) -> list[Row]:
    return rows(Enrolment.objects.filter(applicant=applicant).order_by("-pk"))


def vacancies(round_) -> Counter:
    """A29.2: places left by those who declined or missed the deadline, per programme."""
    return Counter(
        e.programme
        for e in Enrolment.objects.filter(
            round=round_, status__in=(Status.DECLINED, Status.LAPSED)
        ).select_related("programme__institution__organisation")
    )


def entries(round_):
    """A29.4: enrolled students and their entry into the management system."""
    return (
        Enrolment.objects.filter(round=round_, status=Status.ENROLLED)
        .select_related("programme__institution__organisation", "applicant")
        .order_by("entry_by", "programme__code")
    )


def to_enter(institution, round_) -> dict:
    """A29.4: the institution's enrolled students not yet entered into the management system,
    and how many of them are past their 3 days (what the entry would send, for its
    confirmation)."""
    qs = Enrolment.objects.filter(
        round=round_,
        programme__institution=institution,
        status=Status.ENROLLED,
        entered_at__isnull=True,
    )
    return qs.aggregate(students=Count("pk"), late=Count("pk", filter=Q(entry_by__lt=_today())))


def figures(round_) -> list[dict]:
    """A round's enrolment figures per institution, for the ministry."""
    return list(
        Enrolment.objects.filter(round=round_)
        .values("programme__institution__organisation__name_ka")
        .annotate(
            placed=Count("pk"),
            enrolled=Count("pk", filter=Q(status=Status.ENROLLED)),
            declined=Count("pk", filter=Q(status__in=(Status.DECLINED, Status.LAPSED))),
            waiting=Count("pk", filter=Q(status__in=(Status.ADMITTED, Status.DOCUMENTS))),
            georgian_module=Count("pk", filter=Q(georgian_module=True, status=Status.ENROLLED)),
            transitional=Count("pk", filter=Q(student_status=StudentStatus.TRANSITIONAL)),
            suspended=Count("pk", filter=Q(student_status=StudentStatus.SUSPENDED)),
            late_entries=Count("pk", filter=Q(entry_late=True)),
        )
        .order_by("programme__institution__organisation__name_ka")
    )


def transitional_counts(round_, institution=None) -> Counter:
    """A32.2: transitional (pending) students per programme. They keep their place without
    reducing the next intake's: nothing is written to the catalogue's next-intake
    adjustments for them, so the A13 rules of the next round announce places in full."""
    qs = Enrolment.objects.filter(round=round_, student_status=StudentStatus.TRANSITIONAL)
    if institution is not None:
        qs = qs.filter(programme__institution=institution)
    return Counter(e.programme for e in qs.select_related("programme"))


@dataclass
class SenGroup:
    """A41.1: the SEN applicants one published act placed on one of the institution's
    programmes, with the day by which the head fixes their documents' deadline."""

    act: object
    programme: object
    enrolments: list
    terms_by: dt.date
    terms: ProgrammeTerms | None
    head_act: SenTermsAct | None = None  # A41.1: the head's act, stamped late after 5 days

    @property
    def documents_by(self) -> dt.date | None:
        days = {e.documents_by for e in self.enrolments if e.documents_by}
        return max(days) if days else None

    @property
    def late(self) -> bool:
        return self.documents_by is None and _today() > self.terms_by


def sen_groups(institution, round_) -> list[SenGroup]:
    """The SEN act placements at the institution, by act and programme (A41)."""
    qs = (
        Enrolment.objects.filter(
            round=round_, programme__institution=institution, sen_placement__isnull=False
        )
        .select_related("sen_placement__act", "programme", "applicant")
        .order_by("sen_placement__act__issued_on", "programme__code", "pk")
    )
    terms = {t.programme_id: t for t in ProgrammeTerms.objects.filter(round=round_)}
    groups: dict = {}
    for e in qs:
        act = e.sen_placement.act
        key = (act.pk, e.programme_id)
        if key not in groups:
            groups[key] = SenGroup(
                act, e.programme, [], rules.sen_terms_by(act.issued_on), terms.get(e.programme_id)
            )
        groups[key].enrolments.append(e)
    for h in SenTermsAct.objects.filter(act__round=round_, programme__institution=institution):
        if (h.act_id, h.programme_id) in groups:
            groups[(h.act_id, h.programme_id)].head_act = h
    return list(groups.values())
