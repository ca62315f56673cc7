"""Individual certification (C1-C5): every write operation, each in one transaction, audited.

C1 apply within the announced window; C2 through the platform, with a contact channel;
C3 the expert team checks completeness, evaluates by criteria and may request more
information; C4 the expert team decides and successful applicants get a certificate;
C5 certificates are handed over at a conference.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from kari import files, notify
from kari.accounts.permissions import authorize
from kari.audit.log import record
from kari.codes import services as codes
from kari.errors import RuleError

from .issuing import issue_certificate
from .models import (
    DEFAULT_CRITERIA,
    DEFAULT_RUBRIC,
    Application,
    Assignment,
    Call,
    CertApplicant,
    Certificate,
    Conflict,
    Criterion,
    Event,
    InfoRequest,
    Invitation,
    Message,
    Score,
    Status,
    Upload,
)

OPEN_FOR_APPLICANT = (Status.DRAFT, Status.RETURNED)
PROFILE_FIELDS = ("full_name_ka", "full_name_en", "phone", "affiliation")


# ---------------------------------------------------------------- calls


@transaction.atomic
def create_call(actor, organisation, *, criteria=None, **fields) -> Call:
    """A call with the C3 criteria (existing experience, motivation, civic budget, involving
    citizens) unless others are given as (code, name_ka, name_en, weight)."""
    authorize(actor, "cert.manage", organisation)
    if fields["closes_on"] < fields["opens_on"]:
        raise RuleError(_("The call must close after it opens."), field="closes_on", citation="C1")
    call = Call.objects.create(organisation=organisation, **fields)
    Criterion.objects.bulk_create(
        [
            Criterion(call=call, code=c, name_ka=ka, name_en=en, weight=w, rubric=DEFAULT_RUBRIC)
            for c, ka, en, w in (criteria or DEFAULT_CRITERIA)
        ]
    )
    record(
        actor, "cert.call.create", call, after={"title": call.title, "closes_on": call.closes_on}
    )
    return call


def call_open(call: Call, today=None) -> bool:
    """C1: applications are accepted only within the announced deadlines."""
    today = today or timezone.localdate()
    return call.opens_on <= today <= call.closes_on


# ---------------------------------------------------------------- applicants (C1, C2)


def request_sign_in(email: str, *, ip=None) -> int:
    """Email one-time code; the same for new and known addresses (the account is made on use).
    Returns the code's id, for the requester's session (`sign_in(code_id=...)`)."""
    email = (email or "").strip().lower()
    if "@" not in email:
        raise RuleError(_("Enter a valid email address."), field="email")
    _code, plain = codes.issue("cert_sign_in", email, ip=ip)
    with transaction.atomic():
        notify.email_on_commit(
            [email],
            notify.bilingual(SIGN_IN_SUBJECT, sep=" / "),
            notify.bilingual(SIGN_IN_TEXT, code=plain),
            secret=True,
            expires_at=_code.expires_at,
        )
    return _code.pk


def sign_in(email: str, plain: str, *, ip=None, code_id=None) -> CertApplicant:
    email = (email or "").strip().lower()
    codes.check("cert_sign_in", email, plain, ip=ip, code_id=code_id)
    applicant, _created = CertApplicant.objects.get_or_create(email=email)
    return applicant


@transaction.atomic
def update_profile(applicant: CertApplicant, profile: dict) -> CertApplicant:
    """C3: applicants keep their details current (and are reminded to report changes)."""
    before = {f: getattr(applicant, f) for f in PROFILE_FIELDS}
    for f in PROFILE_FIELDS:
        if f in profile:
            setattr(applicant, f, str(profile[f]).strip()[:200])
    applicant.save()
    after = {f: getattr(applicant, f) for f in PROFILE_FIELDS}
    if before != after:
        record(applicant, "cert.profile", applicant, before=before, after=after)
    return applicant


@transaction.atomic
def save_draft(
    applicant: CertApplicant, call: Call, *, answers: dict, profile: dict
) -> Application:
    """Save what the applicant has so far: while the call is open (C1), or after a return."""
    app, _created = Application.objects.select_for_update().get_or_create(
        call=call, applicant=applicant
    )
    if app.status not in OPEN_FOR_APPLICANT:
        raise RuleError(
            _("This application is with the expert team and cannot be edited."), field="status"
        )
    if app.status == Status.DRAFT and not call_open(call):
        raise RuleError(_("The call is closed (C1)."), field="status", citation="C1")
    update_profile(applicant, profile)
    app.answers = {q["code"]: str(answers.get(q["code"], "")).strip() for q in call.questions}
    app.save()
    record(
        applicant,
        "cert.application.save",
        app,
        organisation=call.organisation,
        after={"status": app.status, "answered": sorted(k for k, v in app.answers.items() if v)},
    )
    return app


UPLOAD_KINDS = ("pdf", "docx", "odt", "png", "jpg", "jpeg")


@transaction.atomic
def add_upload(applicant: CertApplicant, app: Application, kind: str, uploaded) -> Upload:
    if app.applicant_id != applicant.pk:
        raise PermissionDenied
    if app.status not in (*OPEN_FOR_APPLICANT, Status.INFO_REQUESTED):
        raise RuleError(_("Documents can no longer be added."), field="file")
    try:  # distrusted: kind, size and first bytes (issue 11, point 3)
        files.check_upload(uploaded, extensions=UPLOAD_KINDS, limit=files.max_bytes("document"))
    except ValidationError as exc:
        raise RuleError(" ".join(exc.messages), field="file") from exc
    upload = Upload.objects.create(
        application=app, kind=kind, file=uploaded, name=uploaded.name[:200]
    )
    record(
        applicant,
        "cert.upload",
        app,
        organisation=app.call.organisation,
        after={"kind": kind, "name": upload.name},
    )
    return upload


@transaction.atomic
def submit(applicant: CertApplicant, app: Application) -> Application:
    """C1: submit within the deadlines; a receipt number is issued and emailed."""
    app = Application.objects.select_for_update().select_related("call").get(pk=app.pk)
    if app.applicant_id != applicant.pk:
        raise PermissionDenied
    if app.status not in OPEN_FOR_APPLICANT:
        raise RuleError(_("This application is already submitted."), field="status")
    if app.status == Status.DRAFT and not call_open(app.call):
        raise RuleError(
            _("Applications are accepted only within the announced deadlines (C1)."),
            field="status",
            citation="C1",
        )
    errors = {}
    if not applicant.full_name_ka:
        errors["full_name_ka"] = [_("Enter your name.")]
    for q in app.call.questions:
        if q.get("required", True) and not app.answers.get(q["code"]):
            errors[q["code"]] = [_("This answer is required.")]
    if not app.uploads.filter(kind="cv").exists():
        errors["cv"] = [_("Upload your CV.")]
    if errors:
        raise ValidationError(errors)
    before = app.status
    app.status = Status.SUBMITTED
    app.submitted_at = timezone.now()
    app.receipt = app.receipt or f"C-{app.call_id:03d}-{app.pk:05d}"
    app.return_reasons = ""
    app.save()
    record(
        applicant,
        "cert.application.submit",
        app,
        organisation=app.call.organisation,
        before={"status": before},
        after={"status": app.status, "receipt": app.receipt},
    )
    notify.email_on_commit(
        [applicant.email],
        notify.bilingual(RECEIPT_SUBJECT, sep=" / ", receipt=app.receipt),
        notify.bilingual(RECEIPT_TEXT, receipt=app.receipt, call=app.call.title),
    )
    return app


@transaction.atomic
def send_message(call: Call, applicant: CertApplicant, body: str, *, staff=None) -> Message:
    """C2: technical questions to the organisation's team, and its answers."""
    if staff is not None:
        authorize(staff, "cert.manage", call.organisation)
    if not (body or "").strip():
        raise RuleError(_("Write a message."), field="body")
    msg = Message.objects.create(
        call=call,
        applicant=applicant,
        from_staff=staff,
        body=body.strip()[:5000],
        sent_at=timezone.now(),
    )
    if staff is not None:
        notify.email_on_commit([applicant.email], call.title, body)
    else:
        notify.notify_organisation(call.organisation, f"{call.title}: {applicant}", body)
    return msg


# ---------------------------------------------------------------- review (C3)


@transaction.atomic
def check_completeness(
    actor, app: Application, *, complete: bool, reasons: str = ""
) -> Application:
    """C3: staff check each application; an incomplete one goes back with the reasons."""
    authorize(actor, "cert.manage", app.call.organisation)
    app = Application.objects.select_for_update().get(pk=app.pk)
    if app.status != Status.SUBMITTED:
        raise RuleError(
            _("Only a submitted application is checked for completeness."), field="status"
        )
    if not complete and not reasons.strip():
        raise RuleError(_("Say what is missing."), field="reasons", citation="C3")
    app.status = Status.IN_REVIEW if complete else Status.RETURNED
    app.return_reasons = "" if complete else reasons.strip()
    app.save()
    record(actor, "cert.application.check", app, after={"status": app.status}, reason=reasons)
    if not complete:
        notify.email_on_commit([app.applicant.email], app.call.title, reasons)
    return app


@transaction.atomic
def declare_conflict(reviewer, app: Application, reason: str) -> Conflict:
    authorize(reviewer, "cert.review", app.call.organisation)
    conflict, _created = Conflict.objects.get_or_create(
        reviewer=reviewer, application=app, defaults={"reason": reason[:300]}
    )
    Assignment.objects.filter(
        application=app, reviewer=reviewer, completed_at__isnull=True
    ).delete()
    record(reviewer, "cert.conflict", app, after={"reviewer": reviewer.username}, reason=reason)
    return conflict


@transaction.atomic
def assign_reviewers(actor, call: Call, reviewers) -> int:
    """Give every application in review enough reviewers, least-loaded first, never one with a
    declared conflict; ties by username, so the result is deterministic. Returns how many."""
    authorize(actor, "cert.manage", call.organisation)
    reviewers = [
        r
        for r in reviewers
        if r.organisation_id == call.organisation_id and r.has_kari_perm("cert.review")
    ]
    load = {
        r.pk: Assignment.objects.filter(reviewer=r, application__call=call).count()
        for r in reviewers
    }
    made = 0
    apps = call.applications.filter(status__in=[Status.IN_REVIEW, Status.INFO_REQUESTED]).order_by(
        "pk"
    )
    for app in apps:
        have = set(app.assignments.values_list("reviewer_id", flat=True))
        blocked = set(app.conflicts.values_list("reviewer_id", flat=True))
        candidates = sorted(
            (r for r in reviewers if r.pk not in have | blocked),
            key=lambda r: (load[r.pk], r.username),
        )
        for r in candidates[: max(0, call.reviewers_per_application - len(have))]:
            Assignment.objects.create(application=app, reviewer=r, assigned_at=timezone.now())
            load[r.pk] += 1
            made += 1
            record(actor, "cert.assign", app, after={"reviewer": r.username})
    return made


@transaction.atomic
def submit_scores(reviewer, assignment: Assignment, scores: dict) -> Assignment:
    """C3: the reviewer scores every criterion on its rubric, with comments."""
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("application__call")
        .get(pk=assignment.pk)
    )
    if assignment.reviewer_id != reviewer.pk:
        raise PermissionDenied(_("This application is not assigned to you."))
    app = assignment.application
    authorize(reviewer, "cert.review", app.call.organisation)
    if app.status == Status.INFO_REQUESTED:
        raise RuleError(
            pgettext("certification", "The review is paused until the applicant answers (C3)."),
            field="status",
            citation="C3",
        )
    if app.status != Status.IN_REVIEW:
        raise RuleError(_("This application is not in review."), field="status")
    errors = {}
    criteria = list(app.call.criteria.all())
    for c in criteria:
        value = scores.get(c.code, (None, ""))
        score = value[0]
        if score in (None, "") or not (0 <= int(score) <= c.max_score):
            errors[c.code] = [
                _("Choose a score from 0 to %(max)s for “%(criterion)s”.")
                % {"max": c.max_score, "criterion": c.name}
            ]
    if errors:
        raise ValidationError(errors)
    # C3: a reviewer may correct the scores until the decision (the status then changes).
    before = {
        s.criterion.code: s.score for s in assignment.scores.select_related("criterion")
    } or None
    for c in criteria:
        score, comment = scores[c.code]
        Score.objects.update_or_create(
            assignment=assignment,
            criterion=c,
            defaults={"score": int(score), "comment": str(comment or "")},
        )
    assignment.completed_at = timezone.now()
    assignment.save()
    record(
        reviewer,
        "cert.score",
        app,
        before=before,
        after={c.code: int(scores[c.code][0]) for c in criteria},
    )
    return assignment


@transaction.atomic
def request_information(actor, app: Application, question: str) -> InfoRequest:
    """C3: the organisation may request additional information; the review pauses."""
    organisation = app.call.organisation
    if not (actor.has_kari_perm("cert.manage") or app.assignments.filter(reviewer=actor).exists()):
        raise PermissionDenied
    authorize(
        actor, "cert.manage" if actor.has_kari_perm("cert.manage") else "cert.review", organisation
    )
    app = Application.objects.select_for_update().get(pk=app.pk)
    if app.status != Status.IN_REVIEW:
        raise RuleError(_("Information can be requested only during the review."), field="status")
    if not question.strip():
        raise RuleError(_("Write the question."), field="question", citation="C3")
    req = InfoRequest.objects.create(
        application=app, asked_by=actor, question=question.strip(), asked_at=timezone.now()
    )
    app.status = Status.INFO_REQUESTED
    app.save()
    record(actor, "cert.info_request", app, after={"status": app.status}, reason=question)
    notify.email_on_commit([app.applicant.email], app.call.title, question)
    return req


@transaction.atomic
def answer_information(applicant: CertApplicant, req: InfoRequest, answer: str) -> InfoRequest:
    """The applicant's answer resumes the review (C3: applicants report changes)."""
    req = InfoRequest.objects.select_for_update().select_related("application").get(pk=req.pk)
    app = req.application
    if app.applicant_id != applicant.pk:
        raise PermissionDenied
    if req.answered_at is not None:
        raise RuleError(_("This request is already answered."), field="answer")
    if not answer.strip():
        raise RuleError(_("Write your answer."), field="answer")
    req.answer, req.answered_at = answer.strip(), timezone.now()
    req.save()
    if not app.info_requests.filter(answered_at__isnull=True).exists():
        app.status = Status.IN_REVIEW
        app.save()
    record(
        applicant,
        "cert.info_answer",
        app,
        organisation=app.call.organisation,
        after={"status": app.status},
    )
    return req


def summary(app: Application) -> dict:
    """Per criterion the mean score; the weighted average (out of 5); disagreement flagged when
    two reviewers' weighted averages differ by more than the call's threshold."""
    call = app.call
    criteria = list(call.criteria.all())
    done = list(app.assignments.filter(completed_at__isnull=False).prefetch_related("scores"))
    per_reviewer = []
    for a in done:
        by = {s.criterion_id: s.score for s in a.scores.all()}
        total_weight = sum(c.weight for c in criteria) or 1
        per_reviewer.append(
            sum(Decimal(by[c.pk]) / c.max_score * 5 * c.weight for c in criteria) / total_weight
        )
    means = {
        c.code: (
            sum(
                Score.objects.filter(assignment__in=done, criterion=c).values_list(
                    "score", flat=True
                )
            )
            / len(done)
        )
        if done
        else None
        for c in criteria
    }
    average = (sum(per_reviewer) / len(per_reviewer)) if per_reviewer else None
    spread = (max(per_reviewer) - min(per_reviewer)) if per_reviewer else Decimal(0)
    return {
        "reviews": len(done),
        "needed": call.reviewers_per_application,
        "means": means,
        "average": round(average, 2) if average is not None else None,
        "per_reviewer": [round(x, 2) for x in per_reviewer],
        "disagreement": spread > call.disagreement,
        "passes": average is not None and average >= call.pass_mark,
    }


# ---------------------------------------------------------------- decision and certificate (C4)


@transaction.atomic
def decide(actor, app: Application, *, certified: bool, reasons: str) -> Application:
    """C4: the expert team decides, with reasons; a successful applicant gets a certificate."""
    authorize(actor, "cert.decide", app.call.organisation)
    app = Application.objects.select_for_update().select_related("call", "applicant").get(pk=app.pk)
    if app.status != Status.IN_REVIEW:
        raise RuleError(_("Only an application in review can be decided."), field="status")
    s = summary(app)
    if s["reviews"] < s["needed"]:
        raise RuleError(
            _("All assigned reviews must be completed first (C3)."), field="status", citation="C3"
        )
    if not reasons.strip():
        raise RuleError(
            _("Give the reasons for the decision (C4)."), field="reasons", citation="C4"
        )
    app.status = Status.CERTIFIED if certified else Status.NOT_CERTIFIED
    app.decision_reasons, app.decided_at, app.decided_by = reasons.strip(), timezone.now(), actor
    app.save()
    record(
        actor,
        "cert.decide",
        app,
        after={"status": app.status, "average": s["average"], "disagreement": s["disagreement"]},
        reason=reasons,
    )
    if certified:
        issue_certificate(app)
    notify.email_on_commit([app.applicant.email], app.call.title, reasons)
    return app


@transaction.atomic
def revoke(actor, cert: Certificate, reason: str) -> Certificate:
    authorize(actor, "cert.decide", cert.organisation)
    if not reason.strip():
        raise RuleError(_("Give the reason for revoking."), field="reason")
    cert = Certificate.objects.select_for_update().get(pk=cert.pk)
    if cert.revoked_at:
        raise RuleError(_("This certificate is already revoked."), field="reason")
    cert.revoked_at, cert.revocation_reason = timezone.now(), reason.strip()
    cert.save()
    record(actor, "cert.revoke", cert, after={"revoked": True}, reason=reason)
    return cert


# ---------------------------------------------------------------- the conference (C5)


@transaction.atomic
def invite_certified(actor, event: Event) -> int:
    """C5: invite every certified, unrevoked holder of the organisation not yet invited."""
    authorize(actor, "cert.manage", event.organisation)
    certs = Certificate.objects.filter(
        application__call__organisation=event.organisation, revoked_at__isnull=True
    ).exclude(invitations__event=event)
    made = 0
    for cert in certs.select_related("application__applicant"):
        Invitation.objects.create(event=event, certificate=cert, invited_at=timezone.now())
        notify.email_on_commit(
            [cert.application.applicant.email],
            event.name,
            notify.bilingual(
                INVITE_TEXT,
                event=event.name,
                place=event.place,
                when=timezone.localtime(event.starts_at).strftime("%d.%m.%Y %H:%M"),
            ),
        )
        made += 1
    record(actor, "cert.invite", event, after={"invited": made})
    return made


@transaction.atomic
def record_attendance(
    actor, invitation: Invitation, *, attended: bool, handed_over: bool
) -> Invitation:
    authorize(actor, "cert.manage", invitation.event.organisation)
    invitation.attended = attended
    invitation.save()
    cert = invitation.certificate
    if handed_over and cert.handed_over_at is None:
        cert.handed_over_at = timezone.now()
        cert.save()
    record(
        actor,
        "cert.attendance",
        cert,
        after={"attended": attended, "handed_over": bool(cert.handed_over_at)},
    )
    return invitation


DIRECTORY_FIELDS = (
    "directory_opt_in",
    "directory_show_email",
    "directory_show_affiliation",
    "directory_bio",
)


@transaction.atomic
def set_directory_entry(
    applicant: CertApplicant,
    *,
    opt_in: bool,
    show_email: bool,
    show_affiliation: bool,
    bio: str = "",
) -> CertApplicant:
    """The holder's own alumni-directory entry: whether they are listed, and what shows."""
    applicant = CertApplicant.objects.select_for_update().get(pk=applicant.pk)
    before = {f: getattr(applicant, f) for f in DIRECTORY_FIELDS}
    applicant.directory_opt_in = bool(opt_in)
    applicant.directory_show_email = bool(show_email)
    applicant.directory_show_affiliation = bool(show_affiliation)
    applicant.directory_bio = (bio or "")[:1000]
    after = {f: getattr(applicant, f) for f in DIRECTORY_FIELDS}
    if after != before:
        applicant.save(update_fields=list(DIRECTORY_FIELDS))
        record(applicant, "cert.directory", applicant, before=before, after=after)
    return applicant


def directory(organisation=None):
    """The alumni directory: certified people who opted in, showing only what they chose."""
    qs = CertApplicant.objects.filter(
        directory_opt_in=True,
        applications__status=Status.CERTIFIED,
        applications__certificate__revoked_at__isnull=True,
    )
    if organisation is not None:
        qs = qs.filter(applications__call__organisation=organisation)
    return qs.distinct().order_by("full_name_ka")


def verify_url(cert: Certificate) -> str:
    return reverse("certification:verify", args=[cert.number])


def reviewer_load(call: Call):
    return (
        Assignment.objects.filter(application__call=call)
        .values("reviewer__username")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False)))
        .order_by("reviewer__username")
    )


SIGN_IN_SUBJECT = gettext_lazy("Kari one-time code")
SIGN_IN_TEXT = gettext_lazy(
    "Kari one-time code: %(code)s. It is valid for 10 minutes. Do not share it."
)
RECEIPT_SUBJECT = gettext_lazy("Application received: %(receipt)s")
RECEIPT_TEXT = gettext_lazy(
    "We received your application %(receipt)s to “%(call)s”. "
    "Please tell us if any detail of it changes."
)
INVITE_TEXT = gettext_lazy(
    "You are invited to %(event)s, %(when)s, %(place)s, where certificates are handed over."
)


@transaction.atomic
def create_event(actor, organisation, *, name: str, starts_at, place: str) -> Event:
    """C5: the conference where certificates are handed over."""
    authorize(actor, "cert.manage", organisation)
    event = Event.objects.create(
        organisation=organisation, name=name, starts_at=starts_at, place=place
    )
    record(
        actor,
        "cert.event.create",
        event,
        organisation=organisation,
        after={"name": name, "place": place, "starts_at": starts_at},
    )
    return event
