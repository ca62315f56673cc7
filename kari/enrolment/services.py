"""Write operations of enrolment (A29-A32).

Each function runs in one transaction, checks who may act, enforces the rules
(:mod:`kari.enrolment.rules`), writes the audit log and sends notices after commit. Every
notice of an act says how and by when it can be challenged.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari import management_system, notify, sms
from kari.accounts.permissions import NATIONAL, authorize
from kari.accounts.signing import sign_document
from kari.audit.log import record
from kari.catalogue.models import AnnouncementLine, AnnouncementStatus, Institution, Programme
from kari.documents import enrolment as kdocs
from kari.errors import PermissionDenied, RuleError, ValidationError
from kari.identity.registry import get_registry
from kari.identity.validators import clean_personal_number
from kari.ranking.selectors import admitted
from kari.registration.models import Applicant
from kari.rounds.models import Round
from kari.sen.selectors import placements_of as sen_placements_of

from . import rules
from .models import (
    ContractTemplate,
    Enrolment,
    EnrolmentAct,
    Funding,
    Offer,
    Option,
    ProgrammeTerms,
    RequiredDocument,
    SenTermsAct,
    Signatory,
    Status,
    StudentStatus,
    Submission,
    SubmissionState,
    VoucherThreshold,
)

OPEN = (Status.ADMITTED, Status.DOCUMENTS)


def _today() -> dt.date:
    return timezone.localdate()


def site_url(path: str) -> str:
    return settings.KARI_PUBLIC_URL.rstrip("/") + path


def _tell_applicant(enrolment: Enrolment, message, **values) -> None:
    """Email and SMS to the applicant after commit, in Georgian then English."""
    a = enrolment.applicant
    values = {
        "programme": enrolment.programme.name_ka,
        # A41: an SEN applicant may have no general registration: straight to the enrolment
        "url": site_url("/cabinet/enrolment/" if enrolment.sen_placement_id else "/cabinet/"),
        "challenge": rules.challenge_notice(_today()),
    } | values
    notify.email_on_commit(
        [a.email], str(gettext_lazy("Kari: enrolment")), notify.bilingual(message, **values)
    )
    sms.sms_on_commit(a.phone, notify.bilingual(message, sep=" / ", **values))


def _snapshot(e: Enrolment) -> dict:
    return {
        "status": e.status,
        "student_status": e.student_status,
        "enrol_by": e.enrol_by,
        "funding": e.funding,
        "signatory": e.signatory,
        "entry_by": e.entry_by,
        "offer": e.offer,
        "option": e.option,
        "option_target": e.option_target.code if e.option_target_id else None,
    }


def _lock(e: Enrolment, *related: str) -> Enrolment:
    """The enrolment locked, with what the services read of it. The contract's PDF is left
    unread (a service writes it, none reads it): a later ``save()`` writes the fields read."""
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("programme__institution__organisation", "applicant", "round", *related)
        .defer("contract_pdf")
        .get(pk=e.pk)
    )


# ---------------------------------------------------------------- A29.1 documents and deadlines


@transaction.atomic
def fix_terms(
    actor,
    programme: Programme,
    round_: Round,
    *,
    documents: list[str],
    submit_until: dt.date,
    duration_months: int,
    note: str = "",
    studies_start: dt.date | None = None,
) -> ProgrammeTerms:
    """A29.1: before the test the head fixes the documents to submit and the deadline; with
    them, the day studies begin (A41.2: SEN applicants are enrolled before it), if known."""
    authorize(actor, "enrolment.terms", programme.institution.organisation)
    errors: dict[str, list[str]] = {}
    if _today() >= round_.test_starts:
        raise RuleError(
            _("Documents and deadlines are fixed before the test starts (A29.1)."),
            citation="A29.1",
        )
    names = [n.strip() for n in documents if n and n.strip()]
    if not names:
        errors["documents"] = [_("Name at least one document to submit (A29.1).")]
    if len(set(names)) != len(names):
        errors["documents"] = [_("Each document once, please.")]
    if submit_until is None or submit_until < round_.ranking_date:
        errors["submit_until"] = [
            _("The deadline falls after the ranking document (%(date)s).")
            % {"date": round_.ranking_date.strftime("%d.%m.%Y")}
        ]
    if not duration_months or duration_months < 1 or duration_months > 120:
        errors["duration_months"] = [_("Enter the duration in months (1-120).")]
    if studies_start is not None and submit_until is not None and studies_start <= submit_until:
        errors["studies_start"] = [_("Studies begin after the documents' deadline.")]
    if errors:
        raise ValidationError(errors)
    terms = ProgrammeTerms.objects.filter(round=round_, programme=programme).first()
    before = terms_snapshot(terms) if terms else None
    if terms is None:
        terms = ProgrammeTerms(round=round_, programme=programme)
    terms.submit_until, terms.duration_months, terms.note = submit_until, duration_months, note
    if studies_start is not None:
        terms.studies_start = studies_start
    terms.fixed_at = timezone.now()
    terms.save()
    existing = {d.name: d for d in terms.documents.all()}
    for position, name in enumerate(names, 1):
        doc = existing.pop(name, None) or RequiredDocument(terms=terms, name=name)
        doc.position = position
        doc.save()
    for doc in existing.values():  # dropped from the list: kept if something was submitted
        if not Submission.objects.filter(document=doc).exists():
            doc.delete()
    record(actor, "enrolment.terms", terms, before=before, after=terms_snapshot(terms))
    return terms


def terms_snapshot(t: ProgrammeTerms) -> dict:
    return {
        "submit_until": t.submit_until,
        "duration_months": t.duration_months,
        "studies_start": t.studies_start,
        "documents": [d.name for d in t.documents.all()],
        "note": t.note,
    }


@transaction.atomic
def save_contract_template(actor, institution: Institution, clauses: str) -> ContractTemplate:
    """A29.2: the contract template the institution keeps (its own clauses, in Georgian)."""
    authorize(actor, "enrolment.terms", institution.organisation)
    clauses = (clauses or "").strip()
    if not clauses:
        raise ValidationError({"clauses": [_("Write the contract's clauses.")]})
    tpl = ContractTemplate.objects.filter(institution=institution).first()
    before = {"clauses": tpl.clauses} if tpl else None
    tpl = tpl or ContractTemplate(institution=institution)
    tpl.clauses, tpl.updated_at = clauses, timezone.now()
    tpl.save()
    record(actor, "enrolment.contract_template", tpl, before=before, after={"clauses": clauses})
    return tpl


# ---------------------------------------------------------------- from the ranking document

PLACED = gettext_lazy(
    "You are placed on %(programme)s by the ranking document. Submit the documents by "
    "%(date)s: the list is in your cabinet, %(url)s %(challenge)s"
)


def open_from_ranking(actor, round_: Round) -> int:
    """A29.1: the placements of the round's approved ranking document(s) open for enrolment."""
    placements = admitted(round_).select_related(
        "ranking", "registration__applicant", "programme__institution__organisation"
    )
    return open_enrolments(actor, round_, placements)


@transaction.atomic
def open_enrolments(actor, round_: Round, admissions, *, ranking_act: dt.date | None = None) -> int:
    """One enrolment per placement of the approved ranking document (A27.1, A27.7: its date is
    the act's); tells each applicant what to submit and by when (A29.1). Placements already
    open are left as they are."""
    authorize(actor, "enrolment.open", NATIONAL)
    existing = set(
        Enrolment.objects.filter(round=round_).values_list("registration_id", "programme_id")
    )
    terms = {
        t.programme_id: t
        for t in ProgrammeTerms.objects.filter(round=round_).select_related("programme")
    }
    created = [
        Enrolment(
            round=round_,
            applicant=adm.registration.applicant,
            registration=adm.registration,
            programme=adm.programme,
            score=getattr(adm, "score", None),
            admitted_on=ranking_act or timezone.localdate(adm.ranking.approved_at),
            georgian_module=rules.starts_with_georgian_module(adm.registration.test_language),
        )
        for adm in admissions
        if (adm.registration.pk, adm.programme.pk) not in existing
    ]
    # written together (in the admissions' order), then each applicant is told
    Enrolment.objects.bulk_create(created, batch_size=1000)
    for e in created:
        t = terms.get(e.programme_id)
        deadline = t.submit_until if t else round_.enrolment_ends
        _tell_applicant(e, PLACED, date=deadline.strftime("%d.%m.%Y"))
    if created:
        record(
            actor,
            "enrolment.open",
            round_,
            after={"placements": len(created)},
            organisation=None,
        )
    return len(created)


# ---------------------------------------------------------------- A41 from the SEN act

SEN_PLACED = gettext_lazy(
    "You are placed on %(programme)s by the minister's act %(act)s. The institution sets the "
    "deadline for your enrolment documents by %(date)s; the list will be in your cabinet, "
    "%(url)s %(challenge)s"
)
SEN_TERMS = gettext_lazy(
    "Submit your enrolment documents for %(programme)s by %(date)s: the list is in your "
    "cabinet, %(url)s %(challenge)s"
)


@transaction.atomic
def open_from_sen_act(actor, act) -> int:
    """A41: each placement of the minister's published SEN act (A40.9) opens one enrolment at
    its programme, exactly once; the applicant is told the day by which the head fixes the
    documents' deadline (A41.1: 5 days from the act)."""
    from kari.sen.models import Act

    authorize(actor, "enrolment.open", NATIONAL)
    act = Act.objects.select_for_update().select_related("round").get(pk=act.pk)
    if act.published_at is None or act.issued_on is None:
        raise RuleError(
            _("The minister's act is not issued yet (A40.9)."), field="act", citation="A41.1"
        )
    terms_by = rules.sen_terms_by(act.issued_on)
    created = []
    for p in sen_placements_of(act).filter(enrolment__isnull=True):
        applicant = p.registration.applicant
        # The enrolment hangs on the SEN placement itself: the applicant needs no general
        # registration (docs/decisions.md). Nobody is placed twice on one programme.
        if Enrolment.objects.filter(
            round=act.round, applicant=applicant, programme=p.programme
        ).exists():
            continue
        e = Enrolment.objects.create(
            round=act.round,
            applicant=applicant,
            registration=None,
            programme=p.programme,
            admitted_on=act.issued_on,
            georgian_module=False,
            sen_placement=p,
        )
        created.append(e)
        _tell_applicant(e, SEN_PLACED, act=act.number, date=terms_by.strftime("%d.%m.%Y"))
    if created:
        record(
            actor,
            "enrolment.open_sen",
            act,
            after={"act": act.number, "placements": len(created), "terms_by": terms_by},
            organisation=None,
            reason="A41",
        )
    return len(created)


def open_from_sen_acts(actor, round_: Round) -> int:
    """A41: the placements of every SEN act of the round the minister has published."""
    from kari.sen.selectors import published_acts

    return sum(open_from_sen_act(actor, act) for act in published_acts().filter(round=round_))


@transaction.atomic
def fix_sen_terms(
    actor,
    act,
    programme: Programme,
    *,
    submit_until: dt.date,
    studies_start: dt.date | None = None,
    documents: list[str] | None = None,
    duration_months: int | None = None,
    act_number: str,
    act_date: dt.date,
) -> int:
    """A41.1: within 5 days of the minister's act the head fixes, by act (its number and date
    recorded), the deadline for the
    enrolment documents of the SEN applicants placed at the programme. The documents are the
    programme's list (A29.1), or the list given when the programme has none yet. A41.2: the
    day studies begin, before which they are enrolled, is the programme's (given here when the
    programme has none yet, or changed); the documents are due before it. Returns how many
    placements were given the deadline. A41.1's 5 days are the head's duty: a later act is
    taken and stamped late, not refused (docs/decisions.md)."""
    authorize(actor, "enrolment.terms", programme.institution.organisation)
    if act.issued_on is None:
        raise RuleError(
            _("The minister's act is not issued yet (A40.9)."), field="act", citation="A41.1"
        )
    today = _today()
    limit = rules.sen_terms_by(act.issued_on)
    act_number = (act_number or "").strip()
    if not act_number:
        raise ValidationError({"act_number": [_("Give the number of the head's act (A41.1).")]})
    if act_date > today or act_date < act.issued_on:
        raise ValidationError(
            {"act_date": [_("The head's act is dated between the minister's act and today.")]}
        )
    late = act_date > limit
    if submit_until is None or submit_until < today:
        raise ValidationError({"submit_until": [_("The deadline cannot be in the past.")]})
    chosen = list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(sen_placement__act=act, programme=programme, status__in=OPEN)
        .select_related("applicant", "programme")
    )
    if not chosen:
        raise RuleError(
            _("No SEN applicant of this act is waiting at this programme."), citation="A41.1"
        )
    terms = ProgrammeTerms.objects.filter(round=act.round_id, programme=programme).first()
    start = studies_start or (terms.studies_start if terms else None)
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["studies_start"] = [
            str(
                RuleError(
                    _("Enter the day studies begin: SEN applicants are enrolled before it."),
                    citation="A41.2",
                ).messages[0]
            )
        ]
    elif start <= submit_until:
        errors["studies_start"] = [
            str(
                RuleError(
                    _(
                        "Studies begin after the documents' deadline (%(date)s): the applicants "
                        "are enrolled in between."
                    )
                    % {"date": submit_until.strftime("%d.%m.%Y")},
                    citation="A41.2",
                ).messages[0]
            )
        ]
    if terms is None:
        names = [n.strip() for n in documents or [] if n and n.strip()]
        if not names or len(set(names)) != len(names):
            errors["documents"] = [_("Name at least one document to submit (A29.1).")]
        if not duration_months or duration_months < 1 or duration_months > 120:
            errors["duration_months"] = [_("Enter the duration in months (1-120).")]
    if errors:
        raise ValidationError(errors)
    if terms is None:
        terms = ProgrammeTerms.objects.create(
            round=act.round,
            programme=programme,
            submit_until=submit_until,
            duration_months=duration_months,
            studies_start=start,
            fixed_at=timezone.now(),
        )
        for position, name in enumerate(names, 1):
            RequiredDocument.objects.create(terms=terms, position=position, name=name)
    elif terms.studies_start != start:
        before = terms_snapshot(terms)
        terms.studies_start = start
        terms.save(update_fields=["studies_start"])
        record(actor, "enrolment.terms", terms, before=before, after=terms_snapshot(terms))
    for e in chosen:
        e.documents_by = submit_until
        e.save(update_fields=["documents_by"])
        _tell_applicant(e, SEN_TERMS, date=submit_until.strftime("%d.%m.%Y"))
    SenTermsAct.objects.update_or_create(
        act=act,
        programme=programme,
        defaults={
            "number": act_number,
            "issued_on": act_date,
            "fixed_at": timezone.now(),
            "late": late,
        },
    )
    record(
        actor,
        "enrolment.sen_terms",
        act,
        after={
            "programme": programme.code,
            "act_number": act_number,
            "act_date": act_date,
            "due_by": limit,
            "late": late,
            "submit_until": submit_until,
            "studies_start": start,
            "placements": [e.pk for e in chosen],
        },
        organisation=programme.institution.organisation,
        reason="A41.1",
    )
    return len(chosen)


def check_before_studies(e: Enrolment, day: dt.date, terms: ProgrammeTerms | None) -> None:
    """A41.2: an SEN applicant is enrolled by act, with the contract, before studies begin on
    the programme („სწავლის დაწყებამდე“): refused on or after the day the head fixed, and
    until a day is fixed. The general enrolment (A29.2) has its own 2-day deadline instead."""
    if not e.sen_placement_id:
        return
    start = terms.studies_start if terms else None
    if start is None:
        raise RuleError(
            _(
                "%(programme)s: fix the day studies begin first, with the documents' deadline: "
                "SEN applicants are enrolled before it."
            )
            % {"programme": e.programme.name_ka},
            citation="A41.2",
        )
    if not rules.before_studies(day, start):
        raise RuleError(
            _(
                "%(programme)s: studies began on %(date)s; SEN applicants are enrolled by act "
                "and contract before studies begin."
            )
            % {"programme": e.programme.name_ka, "date": start.strftime("%d.%m.%Y")},
            citation="A41.2",
        )


# ---------------------------------------------------------------- documents

RETURNED = gettext_lazy(
    "A document for %(programme)s was returned: %(document)s. Reason: %(reason)s. "
    "Submit it again in your cabinet, %(url)s %(challenge)s"
)


def _open_for_documents(e: Enrolment) -> None:
    if e.status not in OPEN:
        raise RuleError(
            _("This placement is closed: documents are no longer taken."), citation="A29.1"
        )


def _required(e: Enrolment, document: RequiredDocument) -> None:
    if document.terms.programme_id != e.programme_id or document.terms.round_id != e.round_id:
        raise ValidationError({"document": [_("This document is not on the programme's list.")]})


@transaction.atomic
def upload_document(
    applicant, enrolment: Enrolment, document: RequiredDocument, upload
) -> Submission:
    """A29.1: the applicant uploads a document in the cabinet (PDF, JPEG or PNG, up to 5 MB)."""
    e = _lock(enrolment)
    if applicant is None or e.applicant_id != applicant.pk:
        raise PermissionDenied(_("This is not your placement."))
    _open_for_documents(e)
    _required(e, document)
    if upload is None:
        raise ValidationError({"file": [_("Choose a file.")]})
    if upload.size > rules.MAX_UPLOAD:
        raise ValidationError({"file": [_("The file is larger than 5 MB.")]})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if rules.upload_type(head) is None:
        raise ValidationError({"file": [_("Upload a PDF, JPEG or PNG file.")]})
    sub = Submission(
        enrolment=e,
        document=document,
        name=(upload.name or "document")[-200:],
        size=upload.size,
        state=SubmissionState.UPLOADED,
        at=timezone.now(),
    )
    sub.file.save(f"{e.pk}-{document.pk}-{timezone.now():%Y%m%d%H%M%S}", upload, save=False)
    sub.save()
    record(
        applicant,
        "enrolment.upload",
        sub,
        after={"document": document.name, "size": sub.size},
        organisation=e.organisation,
    )
    return sub


def _complete_if_all_received(e: Enrolment) -> None:
    if e.status != Status.ADMITTED:
        return
    # one query: each document of the programme's list, and whether it is received
    received = list(
        RequiredDocument.objects.filter(terms__round=e.round_id, terms__programme=e.programme_id)
        .annotate(
            received=Exists(
                Submission.objects.filter(
                    enrolment=e.pk, document=OuterRef("pk"), state=SubmissionState.RECEIVED
                )
            )
        )
        .values_list("received", flat=True)
    )
    if received and all(received):
        e.status = Status.DOCUMENTS
        e.documents_complete_on = _today()
        if not e.sen_placement_id:  # A41.2 sets no day for SEN enrolment, only "before studies"
            e.enrol_by = rules.enrol_by(e.admitted_on, e.documents_complete_on)
        e.status_changed_at = timezone.now()
        e.save(update_fields=["status", "documents_complete_on", "enrol_by", "status_changed_at"])


@transaction.atomic
def mark_document(
    actor,
    enrolment: Enrolment,
    document: RequiredDocument,
    *,
    received: bool,
    reason: str = "",
) -> Submission:
    """A29.1: the institution marks a document received, or returns it with a reason. A
    document handed in on paper is marked received without an upload. When every document is
    received, the 2-day enrolment deadline starts (A29.2)."""
    e = _lock(enrolment)
    authorize(actor, "enrolment.manage", e.organisation)
    _open_for_documents(e)
    _required(e, document)
    reason = (reason or "").strip()
    if not received and not reason:
        raise ValidationError({"reason": [_("Say why the document is returned.")]})
    sub = e.submissions.filter(document=document).order_by("-at").first()
    before = {"state": sub.state} if sub else None
    if sub is None or (sub.state != SubmissionState.UPLOADED and received):
        sub = Submission(enrolment=e, document=document, at=timezone.now())
    sub.state = SubmissionState.RECEIVED if received else SubmissionState.RETURNED
    sub.reason = "" if received else reason
    sub.save()
    record(
        actor,
        "enrolment.document",
        sub,
        before=before,
        after={"state": sub.state, "document": document.name},
        reason=reason,
    )
    if received:
        _complete_if_all_received(e)
    else:
        _tell_applicant(e, RETURNED, document=document.name, reason=reason)
    return sub


# ---------------------------------------------------------------- A29.2 contract and act

CONTRACT_SIGNATORY = {
    Signatory.APPLICANT: "პროფესიული სტუდენტი",
    Signatory.REPRESENTATIVE: "მშობელი / კანონიერი წარმომადგენელი",
}
FUNDING_KA = {Funding.VOUCHER: "ვაუჩერული დაფინანსება", Funding.SELF: "საკუთარი სახსრები"}


def head_name(institution: Institution) -> str:
    return institution.head_name


def birth_date(applicant) -> dt.date:
    """The date of birth from the civil registry (the registration's copy if it has none)."""
    person = get_registry().lookup(applicant.personal_number)
    return person.birth_date if person else applicant.birth_date


@transaction.atomic
def sign_contract(
    actor,
    enrolment: Enrolment,
    *,
    funding: str,
    lacks_capacity: bool = False,
    representative_personal_number: str = "",
    representative_relation: str = "",
    signed_on: dt.date | None = None,
) -> Enrolment:
    """A29.2: the contract from the institution's template, signed with the applicant or, when
    the applicant is a minor (date of birth from the civil registry) or lacks full legal
    capacity, with the parent or legal representative, whose identity is recorded."""
    e = _lock(enrolment, "programme__institution__contract_template")
    org = e.organisation
    authorize(actor, "enrolment.manage", org)
    signed_on = signed_on or _today()
    if e.status != Status.DOCUMENTS:
        raise RuleError(
            _("The contract follows the documents: mark every document received first."),
            citation="A29.2",
        )
    if e.contract_signed_on:
        raise RuleError(_("The contract is already signed."), citation="A29.2")
    if funding not in Funding.values:
        raise ValidationError({"funding": [_("Choose the funding.")]})
    institution = e.programme.institution
    try:  # read with the lock (one template an institution, A29.2)
        template = institution.contract_template
    except ContractTemplate.DoesNotExist:
        template = None
    if template is None:
        raise RuleError(_("Keep a contract template first."), citation="A29.2")
    terms = ProgrammeTerms.objects.filter(round=e.round, programme=e.programme).first()
    check_before_studies(e, signed_on, terms)  # A41.2
    applicant = e.applicant
    born = birth_date(applicant)
    needs_representative = lacks_capacity or rules.is_minor(born, signed_on)
    representative = ""
    if needs_representative:
        try:
            number = clean_personal_number(representative_personal_number)
        except ValidationError:
            number = ""
        person = get_registry().lookup(number) if number else None
        if person is None:
            raise RuleError(
                _(
                    "The applicant is a minor or lacks full legal capacity: the parent or "
                    "legal representative signs. Enter a personal number the civil registry "
                    "knows (A29.2)."
                ),
                field="representative_personal_number",
                citation="A29.2",
            )
        if rules.is_minor(person.birth_date, signed_on) or number == applicant.personal_number:
            raise RuleError(
                _("The representative must be an adult other than the applicant (A29.2)."),
                field="representative_personal_number",
                citation="A29.2",
            )
        relation = (representative_relation or "").strip()
        if not relation:
            raise ValidationError(
                {"representative_relation": [_("Say how the representative is related.")]}
            )
        e.signatory = Signatory.REPRESENTATIVE
        e.representative_personal_number = number
        e.representative_name = person.full_name_ka
        e.representative_relation = relation
        representative = f"{person.full_name_ka} ({relation}), პ/ნ {number}"
    else:
        e.signatory = Signatory.APPLICANT
        e.representative_personal_number = e.representative_name = e.representative_relation = ""
    e.funding = funding
    e.contract_signed_on = signed_on
    e.contract_number = f"{institution.code.upper()}-{e.round.year}-{e.pk:05d}"
    months = terms.duration_months if terms else None
    e.contract_pdf = kdocs.contract_pdf(
        kdocs.ContractData(
            number=e.contract_number,
            date=signed_on.strftime("%d.%m.%Y"),
            institution=institution.organisation.name_ka,
            institution_address=institution.organisation.address,
            head=head_name(institution),
            student=applicant.full_name,
            personal_number=applicant.personal_number,
            birth_date=born.strftime("%d.%m.%Y"),
            signatory=CONTRACT_SIGNATORY[Signatory(e.signatory)],
            representative=representative,
            programme=e.programme.name_ka,
            programme_code=e.programme.code,
            duration=f"{months} თვე" if months else "—",
            funding=FUNDING_KA[Funding(funding)],
            georgian_module=e.georgian_module,
            clauses=template.clauses,
            challenge=_challenge_ka(signed_on),
        )
    )
    e.save(
        update_fields=[
            "signatory",
            "representative_personal_number",
            "representative_name",
            "representative_relation",
            "funding",
            "contract_signed_on",
            "contract_number",
            "contract_pdf",
        ]
    )
    record(
        actor,
        "enrolment.contract",
        e,
        after={
            "contract": e.contract_number,
            "funding": funding,
            "signatory": e.signatory,
            "georgian_module": e.georgian_module,
        },
    )
    return e


def _challenge_ka(day: dt.date) -> str:
    with translation.override("ka"):
        return rules.challenge_text(day)


ENROLLED = gettext_lazy("You are enrolled on %(programme)s (act %(act)s). %(module)s%(challenge)s")
MODULE_FIRST = gettext_lazy("Your studies start with the Georgian-language module (A29.3). ")


@transaction.atomic
def issue_act(actor, institution: Institution, round_: Round, enrolments=None) -> EnrolmentAct:
    """A29.2: the head's act enrolling every applicant whose contract is signed and who is in no
    act yet; a PDF signed with the head's own key. Each becomes a student; those admitted on a
    Russian, Azerbaijani or Armenian test start on the Georgian-language module (A29.3). The
    A29.4 deadline for the management system runs from the contract."""
    authorize(actor, "enrolment.act", institution.organisation)
    qs = (
        Enrolment.objects.select_for_update(of=("self",))
        .filter(
            round=round_,
            programme__institution=institution,
            status=Status.DOCUMENTS,
            act__isnull=True,
            contract_signed_on__isnull=False,
        )
        .select_related("applicant", "programme")
        .defer("contract_pdf")
    )
    if enrolments is not None:
        qs = qs.filter(pk__in=[e.pk for e in enrolments])
    chosen = list(qs)
    if not chosen:
        raise RuleError(
            _("No one with a signed contract is waiting for the act."), citation="A29.2"
        )
    today = _today()
    terms = {
        t.programme_id: t
        for t in ProgrammeTerms.objects.filter(
            round=round_, programme__in={e.programme_id for e in chosen}
        )
    }
    for e in chosen:  # A41.2: SEN applicants before studies begin
        check_before_studies(e, today, terms.get(e.programme_id))
    count = EnrolmentAct.objects.filter(institution=institution, round=round_).count()
    number = f"{institution.code.upper()}-{round_.year}-{round_.season[:2].upper()}-{count + 1:03d}"
    pdf = kdocs.act_pdf(
        kdocs.EnrolmentActData(
            number=number,
            date=today.strftime("%d.%m.%Y"),
            institution=institution.organisation.name_ka,
            head=head_name(institution),
            round_label=str(round_),
            rows=tuple(
                kdocs.EnrolledRow(
                    name=e.applicant.full_name,
                    programme=f"{e.programme.name_ka} ({e.programme.code})",
                    funding=FUNDING_KA[Funding(e.funding)],
                    georgian_module=e.georgian_module,
                )
                for e in chosen
            ),
            challenge=_challenge_ka(today),
        )
    )
    pdf = sign_document(institution.organisation, pdf, reason=f"A29.2 {number}")
    signed = True
    act = EnrolmentAct.objects.create(
        institution=institution,
        round=round_,
        number=number,
        issued_on=today,
        pdf=pdf,
        signed=signed,
    )
    now = timezone.now()  # the act's instant, for every student it enrols
    groups: dict[tuple[str, dt.date], list[int]] = {}
    for e in chosen:
        e.act = act
        e.status = Status.ENROLLED
        e.student_status = (
            StudentStatus.GEORGIAN_MODULE if e.georgian_module else StudentStatus.ACTIVE
        )
        e.entry_by = (
            rules.sen_entry_by(e.contract_signed_on)
            if e.sen_placement_id
            else rules.entry_by(e.contract_signed_on)
        )
        e.status_changed_at = now
        groups.setdefault((e.student_status, e.entry_by), []).append(e.pk)
        _tell_applicant(
            e,
            ENROLLED,
            act=number,
            module=MODULE_FIRST if e.georgian_module else "",
            challenge=rules.challenge_notice(today),
        )
    # one update for each student status and A29.4 deadline (not a query per student)
    for (student_status, entry_by), pks in groups.items():
        Enrolment.objects.filter(pk__in=pks).update(
            act=act,
            status=Status.ENROLLED,
            student_status=student_status,
            entry_by=entry_by,
            status_changed_at=now,
        )
    record(
        actor,
        "enrolment.act",
        act,
        after={"number": number, "enrolled": [e.pk for e in chosen], "signed": signed},
    )
    return act


@transaction.atomic
def enter_into_management_system(actor, institution: Institution, round_: Round) -> int:
    """A29.4: the institution enters its enrolled students into the VET management system
    (through :mod:`kari.management_system`) within 3 days of the contract; each entry keeps
    the system's receipt and is stamped late when it is."""
    authorize(actor, "enrolment.manage", institution.organisation)
    chosen = list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(
            round=round_,
            programme__institution=institution,
            status=Status.ENROLLED,
            entered_at__isnull=True,
        )
        .select_related("applicant", "programme", "act")
        .defer("contract_pdf")
        .order_by("pk")
    )
    if not chosen:
        raise RuleError(_("Every enrolled student is already entered."), citation="A29.4")
    records = [
        management_system.StudentRecord(
            personal_number=e.applicant.personal_number,
            last_name=e.applicant.last_name_ka,
            first_name=e.applicant.first_name_ka,
            birth_date=e.applicant.birth_date,
            institution_code=institution.code,
            programme_code=e.programme.code,
            enrolment_act=e.act.number,
            enrolled_on=e.act.issued_on,
            contract_on=e.contract_signed_on,
            georgian_module=e.georgian_module,
        )
        for e in chosen
    ]
    receipt = management_system.get_management_system().submit_students(records, round=str(round_))
    now = timezone.now()
    today = timezone.localdate(now)
    for e in chosen:
        e.entered_at, e.entry_reference = now, receipt.id
        e.entry_late = today > e.entry_by
    for late in (False, True):  # one update for those on time, one for the late
        pks = [e.pk for e in chosen if e.entry_late is late]
        if pks:
            Enrolment.objects.filter(pk__in=pks).update(
                entered_at=now, entry_reference=receipt.id, entry_late=late
            )
    record(
        actor,
        "enrolment.entered",
        institution,
        after={
            "receipt": receipt.id,
            "students": [e.pk for e in chosen],
            "late": [e.pk for e in chosen if e.entry_late],
        },
        reason="A29.4",
    )
    return len(chosen)


CLOSED = gettext_lazy("Your placement on %(programme)s is closed: %(reason)s. %(challenge)s")


@transaction.atomic
def close(actor, enrolment: Enrolment, *, declined: bool, reason: str) -> Enrolment:
    """A29.2: the applicant declined, or missed the deadline; the place is shown vacant."""
    e = _lock(enrolment)
    authorize(actor, "enrolment.manage", e.organisation)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    if e.status not in OPEN:
        raise RuleError(_("Only a placement not yet enrolled can be closed."), citation="A29.2")
    before = _snapshot(e)
    e.status = Status.DECLINED if declined else Status.LAPSED
    e.closed_reason = reason
    e.status_changed_at = timezone.now()
    e.save(update_fields=["status", "closed_reason", "status_changed_at"])
    record(actor, "enrolment.close", e, before=before, after=_snapshot(e), reason=reason)
    _tell_applicant(e, CLOSED, reason=reason, challenge=rules.challenge_notice(_today()))
    return e


# ---------------------------------------------------------------- A30, A31 voucher minimum


@transaction.atomic
def set_voucher_threshold(actor, round_: Round, stage: str, minimum) -> VoucherThreshold:
    """A30.1, A31.1: the year's minimum competence threshold for voucher funding."""
    authorize(actor, "enrolment.voucher_threshold", NATIONAL)
    if stage not in ("primary", "subsequent"):
        raise ValidationError({"stage": [_("Choose the stage.")]})
    try:
        value = round(float(minimum), 2)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise ValidationError({"minimum": [_("Enter the minimum score (0 or more).")]})
    t = VoucherThreshold.objects.filter(round=round_, stage=stage).first()
    before = {"minimum": t.minimum} if t else None
    t = t or VoucherThreshold(round=round_, stage=stage)
    t.minimum = value
    t.save()
    record(actor, "enrolment.voucher_threshold", t, before=before, after={"minimum": value})
    return t


def voucher_eligible(e: Enrolment, thresholds: dict[str, object]) -> bool:
    """Passed the year's voucher threshold (A30.1, A31.1): the score is at least the minimum."""
    minimum = thresholds.get(e.programme.stage)
    return minimum is not None and e.score is not None and e.score >= minimum


def _thresholds(round_: Round) -> dict[str, object]:
    return {t.stage: t.minimum for t in VoucherThreshold.objects.filter(round=round_)}


def small_programmes(round_: Round, institution: Institution | None = None) -> dict:
    """A30, A31: programmes with fewer than five enrolled voucher-eligible students
    -> their eligible enrolments."""
    thresholds = _thresholds(round_)
    qs = (
        Enrolment.objects.filter(round=round_, status=Status.ENROLLED)
        .select_related("programme__institution__organisation", "applicant")
        .defer("contract_pdf")
    )
    if institution is not None:
        qs = qs.filter(programme__institution=institution)
    by_programme: dict = {}
    for e in qs:
        if voucher_eligible(e, thresholds):
            by_programme.setdefault(e.programme, []).append(e)
    return {p: es for p, es in by_programme.items() if len(es) < rules.VOUCHER_MINIMUM}


OPTIONS_VOUCHER = gettext_lazy(
    "Fewer than five voucher-funded students are enrolled on %(programme)s (A30, A31). You may "
    "transfer to another institution, move to another programme of your institution, or suspend "
    "your student status and keep your legal position. Choose in your cabinet, %(url)s. "
    "%(challenge)s"
)


@transaction.atomic
def offer_voucher_options(actor, institution: Institution, round_: Round) -> int:
    """A30.1, A31.1: after enrolment, each eligible student of a programme with fewer than five
    voucher-funded students is offered the three options; returns how many were offered."""
    authorize(actor, "enrolment.manage", institution.organisation)
    if _thresholds(round_) == {}:
        raise RuleError(
            _("The ministry has not set this year's voucher threshold yet (A30.1)."),
            citation="A30.1",
        )
    offered = 0
    for programme, students in small_programmes(round_, institution).items():
        for e in students:
            if e.offer or e.student_status not in (
                StudentStatus.ACTIVE,
                StudentStatus.GEORGIAN_MODULE,
            ):
                continue
            e.offer = Offer.VOUCHER
            e.save(update_fields=["offer"])
            offered += 1
            record(
                actor, "enrolment.offer", e, after={"offer": e.offer, "programme": programme.code}
            )
            _tell_applicant(e, OPTIONS_VOUCHER, challenge=rules.challenge_notice(_today()))
    return offered


# ---------------------------------------------------------------- the options, A30-A32


def places_with_room(round_: Round, programme_filter: Q) -> list[tuple[Programme, int]]:
    """Programmes announced for `round_` with places left after enrolment, and how many."""
    lines = AnnouncementLine.objects.filter(
        programme_filter,
        announcement__round=round_,
        announcement__status=AnnouncementStatus.CONFIRMED,
    ).select_related("programme__institution__organisation")
    taken: dict[int, int] = {}
    for pid in Enrolment.objects.filter(
        round=round_, status__in=(Status.ENROLLED, *OPEN)
    ).values_list("programme_id", flat=True):
        taken[pid] = taken.get(pid, 0) + 1
    out = []
    for line in lines:
        room = line.places - taken.get(line.programme_id, 0)
        if room > 0:
            out.append((line.programme, room))
    return out


def targets(e: Enrolment, option: str) -> list[tuple[Programme, int]]:
    """Where the student may go: (a) another institution in the same specialisation with room;
    (b) another programme of the institution matching the skills test and subject group taken
    (primary stage) or the exam taken (subsequent stage), with room."""
    p = e.programme
    if option == Option.TRANSFER:
        q = Q(programme__field=p.field_id, programme__stage=p.stage) & ~Q(
            programme__institution=p.institution_id
        )
    elif option == Option.INTERNAL:
        q = Q(programme__institution=p.institution_id, programme__stage=p.stage) & ~Q(
            programme=p.pk
        )
        if p.stage == "primary" and e.registration_id:
            q &= Q(
                programme__skills_test=e.registration.skills_test_id,
                programme__subject_group=e.registration.subject_group_id,
            )
        else:
            q &= Q(programme__field=p.field_id)
    else:
        return []
    return places_with_room(e.round, q)


ALLOWED = {
    Offer.VOUCHER: {Option.TRANSFER, Option.INTERNAL, Option.SUSPEND},
    Offer.TRANSITIONAL: {Option.CONTINUE, Option.INTERNAL, Option.TRANSFER, Option.KEEP},
}
CHOICE_CITATION = {Offer.VOUCHER: "A30.1", Offer.TRANSITIONAL: "A32.1"}
MOVED_IN = gettext_lazy(
    "A student moves to %(programme)s of your institution (%(citation)s): enrol them by act and "
    "contract."
)
MOVED_OUT = gettext_lazy("A student of %(programme)s chose: %(option)s (%(citation)s).")


@transaction.atomic
def choose_option(actor, enrolment: Enrolment, option: str, target: Programme | None = None):
    """A30.1, A31.1 (a)-(c), A32.1 (a)-(d): the student's choice, in the cabinet (the
    applicant) or at the institution (its staff). A move or transfer opens a placement at the
    target programme, which enrols the student by act and contract; both institutions are told."""
    e = _lock(enrolment)
    if isinstance(actor, Applicant):
        if e.applicant_id != actor.pk:
            raise PermissionDenied(_("This is not your placement."))
    else:
        authorize(actor, "enrolment.manage", e.organisation)
    if not e.offer:
        raise RuleError(_("No choice is open to this student."), citation="A30.1")
    if e.option:
        raise RuleError(_("The choice is already made."), citation=CHOICE_CITATION[Offer(e.offer)])
    citation = CHOICE_CITATION[Offer(e.offer)]
    if e.offer == Offer.VOUCHER and e.programme.stage == "subsequent":
        citation = "A31.1"
    if option not in ALLOWED[Offer(e.offer)]:
        raise ValidationError({"option": [_("Choose one of the options offered.")]})
    if (
        e.offer == Offer.TRANSITIONAL
        and option in (Option.INTERNAL, Option.TRANSFER)
        and not e.continuation_impossible
    ):
        raise RuleError(
            _(
                "Moving or transferring is open only when continuing on the programme is "
                "impossible (A32.1(b), A32.1(c))."
            ),
            field="option",
            citation="A32.1(b)",
        )
    before = _snapshot(e)
    moved = None
    if option in (Option.TRANSFER, Option.INTERNAL):
        allowed = {p.pk: p for p, _room in targets(e, option)}
        if target is None or target.pk not in allowed:
            raise ValidationError({"target": [_("Choose a programme from the list: it has room.")]})
        if Enrolment.objects.filter(
            round=e.round, applicant=e.applicant, programme=target
        ).exists():
            raise ValidationError({"target": [_("The student already has a placement there.")]})
        today = _today()
        moved = Enrolment.objects.create(
            round=e.round,
            applicant=e.applicant,
            registration=e.registration,
            programme=target,
            score=e.score,
            admitted_on=today,
            status=Status.DOCUMENTS,
            documents_complete_on=today,
            enrol_by=rules.enrol_by(today, today),
            georgian_module=e.georgian_module and e.student_status == StudentStatus.GEORGIAN_MODULE,
        )
        e.student_status = (
            StudentStatus.TRANSFERRED if option == Option.TRANSFER else StudentStatus.MOVED
        )
        e.option_target = target
    elif option == Option.SUSPEND:
        e.student_status = StudentStatus.SUSPENDED
    e.option = option
    e.option_chosen_at = e.status_changed_at = timezone.now()
    e.save()
    record(actor, "enrolment.option", e, before=before, after=_snapshot(e))
    label = Option(option).label
    notify.notify_organisation(
        e.organisation,
        _("Kari: a student's choice"),
        notify.bilingual(MOVED_OUT, programme=e.programme.name_ka, option=label, citation=citation),
    )
    if moved is not None and moved.programme.institution_id != e.programme.institution_id:
        notify.notify_organisation(
            moved.organisation,
            _("Kari: a student moves to you"),
            notify.bilingual(MOVED_IN, programme=moved.programme.name_ka, citation=citation),
        )
    return e


RESTORED = gettext_lazy(
    "Your student status on %(programme)s is active again (%(citation)s). %(challenge)s"
)


def next_intake_started(e: Enrolment, on: dt.date) -> bool:
    """Students enrolled by the next test of the same stage have started studying: a later round
    whose enrolment period is over."""
    return Round.objects.filter(
        test_starts__gt=e.round.test_starts, enrolment_ends__lte=on
    ).exists()


@transaction.atomic
def restore_status(actor, enrolment: Enrolment) -> Enrolment:
    """On the student's application: A30.2, A31.2 a suspended status is restored, A32.1(a) a
    transitional status is activated, when students enrolled by the next test start studying."""
    e = _lock(enrolment)
    authorize(actor, "enrolment.manage", e.organisation)
    if e.student_status == StudentStatus.SUSPENDED:
        citation = "A31.2" if e.programme.stage == "subsequent" else "A30.2"
    elif e.student_status == StudentStatus.TRANSITIONAL and e.option in ("", Option.CONTINUE):
        citation = "A32.1(a)"
    else:
        raise RuleError(_("Only a suspended or transitional status is restored."), citation="A30.2")
    if not next_intake_started(e, _today()):
        raise RuleError(
            _("The status is restored when the students enrolled by the next test start studying."),
            citation=citation,
        )
    before = _snapshot(e)
    e.student_status = StudentStatus.ACTIVE
    e.status_changed_at = timezone.now()
    if e.offer == Offer.TRANSITIONAL and not e.option:
        e.option = Option.CONTINUE
    e.save()
    record(actor, "enrolment.restore", e, before=before, after=_snapshot(e), reason=citation)
    _tell_applicant(e, RESTORED, citation=citation)
    return e


# ---------------------------------------------------------------- A32 the Georgian module

TRANSITIONAL = gettext_lazy(
    "You completed the Georgian-language module: you hold the transitional (pending) student "
    "status on %(programme)s (A32.1). Choose how to continue in your cabinet, %(url)s. "
    "%(challenge)s"
)
ENDED = gettext_lazy(
    "You did not complete the Georgian-language module: your student status on %(programme)s "
    "ends (A32.3). %(challenge)s"
)


@transaction.atomic
def record_georgian_module(actor, enrolment: Enrolment, *, passed: bool) -> Enrolment:
    """A32.1: completing the module gives the transitional status and its choices;
    A32.3: failing it ends the student status."""
    e = _lock(enrolment)
    authorize(actor, "enrolment.manage", e.organisation)
    if e.student_status != StudentStatus.GEORGIAN_MODULE:
        raise RuleError(
            _("This student is not on the Georgian-language module (A29.3)."), citation="A29.3"
        )
    before = _snapshot(e)
    e.status_changed_at = timezone.now()
    challenge = rules.challenge_notice(_today())
    if passed:
        e.student_status = StudentStatus.TRANSITIONAL
        e.offer = Offer.TRANSITIONAL
        e.option = ""
        e.save()
        record(actor, "enrolment.module_passed", e, before=before, after=_snapshot(e))
        _tell_applicant(e, TRANSITIONAL, challenge=challenge)
    else:
        e.student_status = StudentStatus.ENDED
        e.offer = ""
        e.save()
        record(
            actor, "enrolment.status_ended", e, before=before, after=_snapshot(e), reason="A32.3"
        )
        _tell_applicant(e, ENDED, challenge=challenge)
    return e


@transaction.atomic
def declare_continuation_impossible(actor, enrolment: Enrolment, reason: str) -> Enrolment:
    """A32.1(b), (c): the institution records why continuing on the programme is impossible,
    which opens the internal move and the transfer to a transitional student."""
    e = _lock(enrolment)
    authorize(actor, "enrolment.manage", e.organisation)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    if e.student_status != StudentStatus.TRANSITIONAL or e.option:
        raise RuleError(_("Only for a transitional student who has not chosen."), citation="A32.1")
    e.continuation_impossible = reason
    e.save(update_fields=["continuation_impossible"])
    record(actor, "enrolment.continuation_impossible", e, reason=reason)
    return e
