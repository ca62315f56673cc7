"""Every URL that takes an object id or key, for every role (issue 11, point 1).

The test walks Django's URL map. Each pattern with a parameter must have a row in `CASES`:
how to build an object that belongs to *another* organisation (or another applicant), and
who may still reach it (`allowed`: national roles, the owner). Every other actor must be
refused: a sign-in redirect, 403 or 404. A new view with a parameter and no row fails
`test_every_url_with_a_parameter_has_a_case`, so nobody adds a view without saying who may
open it; a row for a public page says so (`PUBLIC`) and why.
"""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from kari.accounts.roles import OrgKind, Role
from tests.conftest import make_user
from tests.exams.conftest import exam_world, issued  # noqa: F401 (fixtures)

ANONYMOUS, APPLICANT, CERT_APPLICANT, OWNER = "anonymous", "applicant", "cert-applicant", "owner"
ACTORS = [ANONYMOUS, APPLICANT, CERT_APPLICANT, *Role.values]


def _walk(patterns, prefix="", ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            sub_ns = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from _walk(p.url_patterns, prefix + str(p.pattern), sub_ns)
        elif isinstance(p, URLPattern):
            yield f"{ns}{p.name}", prefix + str(p.pattern), p


def urls_with_parameters() -> dict[str, str]:
    """name -> pattern, for every URL whose pattern takes a parameter from the path."""
    out = {}
    for name, pattern, p in _walk(get_resolver().url_patterns):
        converters = getattr(p.pattern, "converters", {})
        if converters or "(?P<" in pattern:
            out[name] = pattern
    return out


@dataclass
class Case:
    make: object  # (ctx) -> list of kwargs for reverse(); each is checked
    allowed: set = field(default_factory=set)  # actors that may reach the object
    method: str = "get"
    public: str = ""  # why anyone may open it (a signed token, a public page)


class Ctx:
    """Objects of *other* organisations, built on demand over the shared test world."""

    def __init__(self, shared):
        self.world = self.exam = shared
        self._cache = {}

    def other(self, kind):
        return self.world["orgs"][kind][1]

    # -- registration
    def registration(self, centre=None, programmes=None):
        from kari.registration.models import Applicant, Choice, Registration

        w = self.world
        n = Applicant.objects.count()
        a = Applicant.objects.create(
            personal_number=f"010{n:08d}",
            first_name_ka="ნინო",
            last_name_ka="ბერიძე",
            birth_date=dt.date(2008, 3, 1),
            phone="+995555123456",
            email=f"n{n}@example.ge",
        )
        now = timezone.now()
        reg = Registration.objects.create(
            applicant=a,
            round=w["round"],
            channel="centre" if centre else "online",
            centre=centre,
            registered_at=now,
            updated_at=now,
        )
        for i, p in enumerate(programmes or [w["prog_b"]], start=1):
            Choice.objects.create(registration=reg, rank=i, programme=p)
        reg.versions.create(number=1, at=now, actor_label="x", channel=reg.channel, data={})
        self.owner = ("kari_applicant", a.pk)
        return reg

    def registrations(self):
        """An online one (no centre) and one another centre made, both for another
        institution's programme."""
        return [
            {"pk": self.registration().pk},
            {"pk": self.registration(centre=self.other(OrgKind.RESOURCE_CENTRE)).pk},
        ]

    # -- certification (another certifying organisation)
    @property
    def cert(self):
        if "cert" not in self._cache:
            self._cache["cert"] = self._make_cert()
        return self._cache["cert"]

    def _make_cert(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from kari.certification import services
        from kari.certification.models import CertApplicant, Certificate

        org = self.other(OrgKind.CERTIFIER)
        officer = make_user("officer-2", org, [Role.CERTIFICATION_OFFICER])
        today = timezone.localdate()
        call = services.create_call(
            officer,
            org,
            programme_ka="პროგრამა",
            programme_en="Programme",
            title="სერტიფიცირება",
            description="აღწერა",
            eligibility="გამოცდილება",
            questions=[{"code": "q", "label": "Q", "required": True}],
            opens_on=today - dt.timedelta(days=5),
            closes_on=today + dt.timedelta(days=10),
        )
        who = CertApplicant.objects.create(email="holder@example.ge", full_name_ka="ნინო ბერიძე")
        app = services.save_draft(
            who, call, answers={"q": "a"}, profile={"full_name_ka": who.full_name_ka}
        )
        up = services.add_upload(who, app, "cv", SimpleUploadedFile("cv.pdf", b"%PDF-1.4 cv"))
        app = services.submit(who, app)
        cert = Certificate.objects.create(
            application=app,
            number="CERT2-2026-0001",
            status_index=1,
            issued_at=timezone.now(),
            credential={},
        )
        return {"call": call, "app": app, "upload": up, "cert": cert, "who": who}


def _cert_number(ctx):
    c = ctx.cert
    ctx.owner = ("kari_cert_applicant", c["who"].pk)
    return c["cert"].number


def _announcement(ctx):
    from kari.catalogue.models import Announcement, AnnouncementStatus

    w = ctx.world
    ann, _ = Announcement.objects.get_or_create(institution=w["inst_b"], round=w["round"])
    Announcement.objects.filter(pk=ann.pk).update(status=AnnouncementStatus.SUBMITTED)
    return [{"pk": ann.pk}]


def _audit_history(ctx):
    from kari.audit.models import AuditEntry

    e = AuditEntry.objects.filter(organisation=ctx.world["inst_b"].organisation).first()
    return [{"object_type": e.object_type, "object_id": e.object_id}]


def _sitting(ctx):
    from kari.exams.models import Sitting

    return Sitting.objects.filter(assignment__distribution=ctx.exam["distribution"]).first()


def _centre_session(ctx):
    s = _sitting(ctx)
    return [{"centre_pk": s.assignment.centre_id, "session_pk": s.session_id}]


def _removed(ctx):
    from kari.exams.models import Incident

    s = _sitting(ctx)
    Incident.objects.create(
        sitting=s, kind="removal", category="device", at=timezone.now(), by=ctx.exam["proctor"]
    )
    return [{"pk": s.pk}]


def _my_invitation(ctx):
    from kari.exams.models import Invitation

    inv = Invitation.objects.filter(registration__round=ctx.exam["round"]).first()
    ctx.owner = ("kari_applicant", inv.registration.applicant_id)
    return [{"pk": inv.pk}]


def _distribution_job(ctx):
    from kari.exams.models import DistributionJob

    e = ctx.exam
    job = DistributionJob.objects.create(
        round=e["round"], started_at=timezone.now(), started_by=e["emis"]
    )
    return [{"pk": job.pk}]


def _cached(ctx, key, build):
    if key not in ctx._cache:
        ctx._cache[key] = build(ctx)
    return ctx._cache[key]


# -- appeals: another NAEC body's commission, complaint, session and decision
def _make_appeals(ctx):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kari.appeals import services
    from kari.appeals.models import Outcome, OverrideKind, Position, ResultOverride

    naec = ctx.other(OrgKind.NAEC)
    director = make_user("naec-2-director", naec, [Role.NAEC_OFFICER])
    proctor = make_user("naec-2-proctor", naec, [Role.PROCTOR])
    positions = [Position.CHAIR, Position.DEPUTY, Position.SECRETARY]
    members = [make_user(f"naec-2-{p}", naec, [Role.COMMISSION_MEMBER]) for p in positions]
    commission = services.constitute(
        director,
        ctx.exam["round"],
        act_number="02/1",
        act_date=timezone.localdate(),
        members=list(zip(members, positions, strict=True)),
    )
    sitting = _sitting(ctx)
    complaint = services.file_complaint(
        proctor,
        sitting,
        ground="rights",
        statement="ხმაური",
        id_shown=True,
        invitation_shown=True,
        files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 attachment", "application/pdf")],
    )
    chair = members[0]
    complaint = services.receive(members[2], complaint)
    meeting = services.convene(chair, commission, at=timezone.now())
    services.take_attendance(chair, meeting, present=list(commission.active_members()))
    meeting.refresh_from_db()
    motion = services.put_to_vote(
        chair,
        meeting,
        complaint,
        outcome=Outcome.UPHELD,
        reasons="დადასტურდა",
        votes={m.pk: True for m in commission.active_members()},
        remark=True,
    )
    override = ResultOverride.objects.get(decision=motion.decision, kind=OverrideKind.REMARK)
    return {
        "complaint": complaint,
        "attachment": complaint.attachments.first(),
        "meeting": meeting,
        "decision": motion.decision,
        "override": override,
        "sitting": sitting,
    }


def _appeals(ctx, key):
    a = _cached(ctx, "appeals", _make_appeals)
    ctx.owner = ("kari_applicant", a["sitting"].assignment.registration.applicant_id)
    return a[key]


# -- enrolment: a placement at another institution (college-b), its documents and act
def _make_enrolment(ctx):
    from django.core.files.base import ContentFile

    from kari.enrolment.models import (
        Enrolment,
        EnrolmentAct,
        ProgrammeTerms,
        RequiredDocument,
        Submission,
    )

    w = ctx.world
    today = timezone.localdate()
    reg = ctx.registration(programmes=[w["prog_b"]])
    terms = ProgrammeTerms.objects.create(
        round=w["round"],
        programme=w["prog_b"],
        submit_until=today,
        duration_months=12,
        fixed_at=timezone.now(),
    )
    doc = RequiredDocument.objects.create(terms=terms, position=1, name="პირადობის მოწმობა")
    act = EnrolmentAct.objects.create(
        institution=w["inst_b"], round=w["round"], number="ACT-B-1", issued_on=today, pdf=b"%PDF"
    )
    e = Enrolment.objects.create(
        round=w["round"],
        applicant_id=reg.applicant_id,
        registration=reg,
        programme=w["prog_b"],
        admitted_on=today,
        georgian_module=False,
        contract_number="C-B-1",
        contract_pdf=b"%PDF-1.4 contract",
        contract_signed_on=today,
        act=act,
    )
    sub = Submission(enrolment=e, document=doc, name="id.pdf", size=4, state="uploaded")
    sub.at = timezone.now()
    sub.file.save("id.pdf", ContentFile(b"%PDF"), save=True)
    return {"e": e, "doc": doc, "sub": sub, "act": act, "applicant": reg.applicant_id}


def _enrolment(ctx, **extra):
    en = _cached(ctx, "enrolment", _make_enrolment)
    ctx.owner = ("kari_applicant", en["applicant"])
    return [{"pk": en["e"].pk, **{k: en[v].pk for k, v in extra.items()}}]


# -- ranking: national documents of the round (NAEC builds and approves, EMIS enters)
def _make_ranking(ctx):
    import gzip

    from kari.ranking.models import BuildJob, FinalLists, Ranking, SignedDocument

    w, now = ctx.world, timezone.now()
    emis, naec = w["users"][Role.EMIS_OPERATOR], w["users"][Role.NAEC_OFFICER]
    lists = FinalLists.objects.create(
        round=w["round"],
        frozen_at=now,
        frozen_by=emis,
        checksum="0" * 64,
        document=gzip.compress(b"{}"),
    )
    ranking = Ranking.objects.create(
        round=w["round"], final_lists=lists, inputs_checksum="0" * 64, built_at=now, built_by=naec
    )
    job = BuildJob.objects.create(round=w["round"], started_at=now, started_by=naec)
    doc = SignedDocument.objects.create(
        ranking=ranking,
        kind=SignedDocument.Kind.PROGRAMME,
        programme=w["prog_b"],
        content=b"%PDF",
        sha256="0" * 64,
        signed_at=now,
    )
    return {"lists": lists, "ranking": ranking, "job": job, "doc": doc}


def _ranking(ctx, key):
    return _cached(ctx, "ranking", _make_ranking)[key]


def _subsequent(ctx):
    """A27.7: another institution's subsequent-stage ranking document."""
    from kari.ranking.models import Ranking

    def make(ctx):
        w = ctx.world
        return Ranking.objects.create(
            round=w["round"],
            stage="subsequent",
            institution=w["inst_b"],
            inputs_checksum="0" * 64,
            built_at=timezone.now(),
        )

    return [{"pk": _cached(ctx, "subsequent", make).pk}]


def _failed_message(ctx):
    from kari.outbox.models import Message, Status

    m = Message.objects.create(
        channel="email",
        to="x@example.ge",
        body="x",
        status=Status.FAILED,
        next_attempt_at=timezone.now(),
    )
    return [{"pk": m.pk}]


def _sen_registration(ctx):
    """Another centre's SEN registration, for another institution's programme, hosted there."""
    from kari.sen.models import Choice, SenRegistration

    w = ctx.world
    a = ctx.registration().applicant
    now = timezone.now()
    reg = SenRegistration.objects.create(
        applicant=a,
        round=w["round"],
        stage="primary",
        channel="centre",
        centre=ctx.other(OrgKind.RESOURCE_CENTRE),
        phone="+995555123456",
        number=f"SEN-T-{a.pk}",
        registered_at=now,
        updated_at=now,
        documents_due=now.date(),
        host=w["inst_b"],
    )
    Choice.objects.create(registration=reg, rank=1, programme=w["prog_b"])
    return reg


def _sen_trial(ctx):
    reg = _sen_registration(ctx)
    return [{"pk": reg.pk, "code": ctx.world["prog_b"].code}]


def _sen_hosts_act(ctx):
    """A39.1: a minister's act naming another institution (inst_b) a SEN exam centre."""
    from kari.sen.models import HostAssignment, HostsAct

    reg = _sen_registration(ctx)
    act = HostsAct.objects.create(
        round=ctx.world["round"],
        stage="primary",
        number=f"SEN-C-{HostsAct.objects.count()}",
        issued_on=timezone.localdate(),
        due=timezone.localdate(),
        recorded_by=ctx.world["users"][Role.SEN_OFFICER],
        recorded_at=timezone.now(),
    )
    act.hosts.set([ctx.world["inst_b"]])
    HostAssignment.objects.create(act=act, registration=reg, host=ctx.world["inst_b"])
    return [{"pk": act.pk}]


def _sen_assessment(ctx):
    from kari.sen.models import Assessment, ExpertTeam

    team, _ = ExpertTeam.objects.get_or_create(
        organisation=ctx.other(OrgKind.EXPERT_TEAM),
        defaults={"act_number": "1", "formed_on": timezone.localdate()},
    )
    a = Assessment.objects.create(
        applicant=ctx.registration().applicant,
        team=team,
        requested_on=timezone.localdate(),
        requested_by="applicant",
        due=timezone.localdate(),
    )
    return [{"pk": a.pk}]


def _sen_act(ctx):
    from kari.sen.models import Act

    today = timezone.localdate()
    act = Act.objects.create(
        round=ctx.world["round"],
        stage="primary",
        number=f"SEN-ACT-{Act.objects.count()}",
        received_on=today,
        due=today,
        distributed_on=today,
    )
    return [{"pk": act.pk}]


NATIONAL_EXAMS = {Role.EMIS_OPERATOR, Role.NAEC_OFFICER}
AUDIT_ALL = {Role.MINISTRY_OFFICER, Role.EMIS_OPERATOR, Role.QUALITY_OFFICER}


def _file_job(c):
    from django.utils import timezone

    from kari.tasks.models import FileJob

    job = FileJob.objects.create(
        kind="export",
        status="done",
        started_by=c.world["users"][Role.NAEC_OFFICER],
        started_at=timezone.now(),
        output=b"a,b\n",
        output_name="export.csv",
        content_type="text/csv",
    )
    return [{"pk": job.pk}]


CASES: dict[str, Case] = {
    # -- public by design
    "portal:programme": Case(lambda c: [{"code": c.world["prog_b"].code}], public="catalogue"),
    "rounds:timeline": Case(lambda c: [{"pk": c.world["round"].pk}], public="the round's dates"),
    "registration:verify": Case(lambda c: [{"token": "x"}], public="signed printout token"),
    "exams:verify": Case(lambda c: [{"token": "x"}], public="invitation token (QR code)"),
    "certification:call": Case(lambda c: [{"pk": c.cert["call"].pk}], public="published call"),
    "certification:apply": Case(
        lambda c: [{"pk": c.cert["call"].pk}], public="a call: each applicant edits their own"
    ),
    "certification:verify": Case(lambda c: [{"number": _cert_number(c)}], public="C4 check"),
    "certification:credential": Case(
        lambda c: [{"number": _cert_number(c)}], public="the holder's verifiable credential"
    ),
    "certification:status_list": Case(
        lambda c: [{"org": c.other(OrgKind.CERTIFIER).code}], public="revocation status list"
    ),
    # -- registration
    "registration:centre_done": Case(lambda c: c.registrations(), {Role.EMIS_OPERATOR}),
    "registration:centre_printout": Case(lambda c: c.registrations(), {Role.EMIS_OPERATOR}),
    "registration:cabinet_printout": Case(lambda c: [{"pk": c.registration().pk}], {OWNER}),
    # -- catalogue, rounds, audit
    "catalogue:programme_edit": Case(lambda c: [{"code": c.world["prog_b"].code}]),
    "catalogue:review_detail": Case(_announcement, {Role.QUALITY_OFFICER}),
    "catalogue:export": Case(
        lambda c: [{"kind": "programmes", "fmt": "csv"}], NATIONAL_EXAMS, method="post"
    ),  # starts a job of the queue
    "rounds:schedule": Case(lambda c: [{"pk": c.world["round"].pk}], {Role.MINISTRY_OFFICER}),
    "audit:history": Case(_audit_history, AUDIT_ALL),
    # -- imports and exports run by the queue: only the person who started one sees it
    "operations:file_job": Case(_file_job, {Role.NAEC_OFFICER}),
    "operations:file_job_download": Case(_file_job, {Role.NAEC_OFFICER}),
    # -- exams
    "exams:centre_edit": Case(
        lambda c: [{"pk": c.exam["centres"][2].pk}], {Role.EMIS_OPERATOR}
    ),  # hosted by another host
    "exams:session_delete": Case(
        lambda c: [{"pk": c.exam["sessions"][0].pk}], {Role.NAEC_OFFICER}, method="post"
    ),
    "exams:session_reschedule": Case(
        lambda c: [{"pk": c.exam["sessions"][0].pk}], {Role.NAEC_OFFICER}
    ),
    "exams:distribution_job": Case(_distribution_job, NATIONAL_EXAMS),
    "exams:distribution": Case(lambda c: [{"pk": c.exam["distribution"].pk}], NATIONAL_EXAMS),
    "exams:issue": Case(
        lambda c: [{"pk": c.exam["distribution"].pk}], {Role.EMIS_OPERATOR}, method="post"
    ),
    "exams:move": Case(
        lambda c: [{"pk": c.exam["distribution"].pk}], {Role.EMIS_OPERATOR}, method="post"
    ),
    "exams:job": Case(lambda c: [{"pk": c.exam["job"].pk}], NATIONAL_EXAMS),
    "exams:job_resume": Case(
        lambda c: [{"pk": c.exam["job"].pk}], {Role.EMIS_OPERATOR}, method="post"
    ),
    "exams:export": Case(
        lambda c: [{"kind": "registrations", "fmt": "csv"}], NATIONAL_EXAMS, method="post"
    ),
    "exams:checkin": Case(_centre_session, {Role.PROCTOR}),
    "exams:no_shows": Case(_centre_session, {Role.PROCTOR}, method="post"),
    "exams:presence": Case(_centre_session, {Role.PROCTOR}, method="post"),
    "exams:act": Case(
        lambda c: [{"pk": _sitting(c).pk, "action": "admit"}], {Role.PROCTOR}, method="post"
    ),
    "exams:protocol": Case(_removed, {Role.PROCTOR}),
    "exams:my_invitation": Case(_my_invitation, {OWNER}),
    "exams:agree": Case(
        lambda c: [{"pk": c.exam["distribution"].pk}], {Role.NAEC_OFFICER}, method="post"
    ),
    # -- appeals (another NAEC body's commission; A22: any NAEC proctor files and prints)
    "appeals:verify": Case(
        lambda c: [{"token": _appeals(c, "complaint").token}], public="receipt QR code"
    ),
    "appeals:file": Case(lambda c: [{"sitting_pk": _sitting(c).pk}], {Role.PROCTOR}),
    "appeals:complaint": Case(lambda c: [{"pk": _appeals(c, "complaint").pk}]),
    "appeals:receive": Case(lambda c: [{"pk": _appeals(c, "complaint").pk}], method="post"),
    "appeals:conflict": Case(lambda c: [{"pk": _appeals(c, "complaint").pk}], method="post"),
    "appeals:receipt": Case(lambda c: [{"pk": _appeals(c, "complaint").pk}], {Role.PROCTOR}),
    "appeals:attachment": Case(lambda c: [{"pk": _appeals(c, "attachment").pk}], {Role.PROCTOR}),
    "appeals:meeting": Case(lambda c: [{"pk": _appeals(c, "meeting").pk}]),
    "appeals:attendance": Case(lambda c: [{"pk": _appeals(c, "meeting").pk}], method="post"),
    "appeals:vote": Case(
        lambda c: [{"pk": _appeals(c, "meeting").pk, "complaint_pk": _appeals(c, "complaint").pk}],
        method="post",
    ),
    "appeals:decision_pdf": Case(lambda c: [{"pk": _appeals(c, "decision").pk}]),
    "appeals:remark": Case(lambda c: [{"pk": _appeals(c, "override").pk}], method="post"),
    "appeals:my_complaint": Case(lambda c: [{"pk": _appeals(c, "complaint").pk}], {OWNER}),
    "appeals:my_receipt": Case(lambda c: [{"pk": _appeals(c, "complaint").pk}], {OWNER}),
    "appeals:my_decision": Case(lambda c: [{"pk": _appeals(c, "decision").pk}], {OWNER}),
    # -- enrolment (a placement at another institution)
    "enrolment:terms": Case(lambda c: [{"code": c.world["prog_b"].code}]),
    "enrolment:detail": Case(_enrolment),
    "enrolment:document": Case(lambda c: _enrolment(c, doc="doc"), method="post"),
    "enrolment:file": Case(lambda c: _enrolment(c, sub="sub")),
    "enrolment:module": Case(_enrolment, method="post"),
    "enrolment:restore": Case(_enrolment, method="post"),
    "enrolment:choose": Case(_enrolment, method="post"),
    "enrolment:contract_pdf": Case(_enrolment),
    "enrolment:act_pdf": Case(
        lambda c: [{"pk": _cached(c, "enrolment", _make_enrolment)["act"].pk}],
        {Role.MINISTRY_OFFICER, Role.EMIS_OPERATOR},
    ),
    "enrolment:upload": Case(lambda c: _enrolment(c, doc="doc"), {OWNER}, method="post"),
    "enrolment:cabinet_choose": Case(_enrolment, {OWNER}, method="post"),
    "enrolment:cabinet_contract": Case(_enrolment, {OWNER}),
    # -- ranking (national: NAEC builds, approves and signs; EMIS freezes the lists and enters)
    "ranking:public_summary": Case(
        lambda c: [{"round_pk": c.world["round"].pk}], public="signed summary, no personal data"
    ),
    "ranking:cutoffs": Case(lambda c: [{"round_pk": c.world["round"].pk}], public="cut-offs"),
    "ranking:statistics": Case(
        lambda c: [{"round_pk": c.world["round"].pk}], public="published results statistics"
    ),
    "ranking:job": Case(lambda c: [{"pk": _ranking(c, "job").pk}], NATIONAL_EXAMS),
    "ranking:lists_export": Case(
        lambda c: [{"pk": _ranking(c, "lists").pk, "fmt": "json"}], NATIONAL_EXAMS, method="post"
    ),
    "ranking:detail": Case(lambda c: [{"pk": _ranking(c, "ranking").pk}], NATIONAL_EXAMS),
    "ranking:approve": Case(lambda c: [{"pk": _ranking(c, "ranking").pk}], {Role.NAEC_OFFICER}),
    "ranking:sign": Case(
        lambda c: [{"pk": _ranking(c, "ranking").pk}], {Role.NAEC_OFFICER}, method="post"
    ),
    "ranking:enter": Case(
        lambda c: [{"pk": _ranking(c, "ranking").pk}], {Role.EMIS_OPERATOR}, method="post"
    ),
    # A27.7: only the owning institution's head works on its document; EMIS only checks it
    "ranking:subsequent_submit": Case(_subsequent, set(), method="post"),
    "ranking:subsequent_approve": Case(_subsequent, set()),
    "ranking:subsequent_review": Case(_subsequent, {Role.EMIS_OPERATOR}),
    "ranking:subsequent_check": Case(
        lambda c: [{"token": "x"}], public="signed list's token (QR code)"
    ),
    "ranking:document": Case(lambda c: [{"pk": _ranking(c, "doc").pk}], NATIONAL_EXAMS),
    # -- operations
    "operations:resend": Case(_failed_message, {Role.EMIS_OPERATOR}, method="post"),
    # -- certification staff pages (another certifying organisation's objects)
    "certification:pdf": Case(lambda c: [{"number": _cert_number(c)}], {OWNER}),
    "certification:staff_detail": Case(lambda c: [{"pk": c.cert["app"].pk}]),
    "certification:upload": Case(lambda c: [{"pk": c.cert["upload"].pk}]),
    "certification:revoke": Case(lambda c: [{"number": _cert_number(c)}]),
    # -- the SEN track: health data only for the roles the rules name
    "sen:verify": Case(lambda c: [{"token": "x"}], public="printout token (QR code)"),
    "sen:act_public": Case(lambda c: [{"token": "x"}], public="the published act (A40.10)"),
    "sen:act_pdf": Case(lambda c: [{"token": "x"}], public="the published act (A40.10)"),
    "sen:printout": Case(
        lambda c: [{"pk": _sen_registration(c).pk}], {Role.SEN_OFFICER, Role.SEN_DISTRIBUTION}
    ),
    "sen:institution_detail": Case(lambda c: [{"pk": _sen_registration(c).pk}]),
    "sen:trial": Case(_sen_trial),
    "sen:assessment": Case(_sen_assessment),
    "sen:status": Case(lambda c: [{"pk": _sen_registration(c).pk}], {Role.SEN_OFFICER}),
    "sen:act_issue": Case(_sen_act, {Role.SEN_OFFICER}),
    # A39.2: only the host the act names acquaints its applicants (not the ministry)
    "sen:acquaint": Case(_sen_hosts_act, method="post"),
    # A40.4: the ministry's unit sets a programme's scoring form
    "sen:scoring_form": Case(lambda c: [{"code": c.world["prog_b"].code}], {Role.SEN_OFFICER}),
    # A41.1: another institution's programme under a minister's act
    "enrolment:sen_terms": Case(
        lambda c: [{"act": _sen_act(c)[0]["pk"], "code": c.world["prog_b"].code}]
    ),
}


def test_every_url_with_a_parameter_has_a_case():
    found = urls_with_parameters()
    missing = sorted(set(found) - set(CASES))
    assert missing == [], f"add a CASES row (who may open it?) for: {missing}"
    stale = sorted(set(CASES) - set(found))
    assert stale == [], f"CASES rows for URLs that no longer exist: {stale}"


def _client_for(actor, ctx, client_factory):
    from django_otp import DEVICE_ID_SESSION_KEY

    from kari.accounts.services import confirmed_device

    client = client_factory()
    w = ctx.world
    if actor in Role.values:
        user = w["users"][actor]
        client.force_login(user)
        s = client.session
        s[DEVICE_ID_SESSION_KEY] = confirmed_device(user).persistent_id
        s.save()
    elif actor == APPLICANT:
        from kari.registration.models import Applicant

        other, _ = Applicant.objects.get_or_create(
            personal_number="61001012345",
            first_name_ka="გიორგი",
            last_name_ka="მაისურაძე",
            birth_date=dt.date(2007, 1, 1),
            phone="+995555000000",
            email="other@example.ge",
        )
        s = client.session
        s["kari_applicant"] = other.pk
        s.save()
    elif actor == CERT_APPLICANT:
        from kari.certification.models import CertApplicant

        other, _ = CertApplicant.objects.get_or_create(
            email="other@example.ge", full_name_ka="სხვა"
        )
        s = client.session
        s["kari_cert_applicant"] = other.pk
        s.save()
    elif actor == OWNER:
        key, pk = ctx.owner
        s = client.session
        s[key] = pk
        s.save()
    return client


def _refused(response) -> bool:
    if response.status_code in (403, 404, 405):
        return response.status_code != 405
    if response.status_code == 302:
        return "/login/" in response["Location"] or "sign-in" in response["Location"]
    return False


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_role_reaches_only_what_it_may(name, issued):  # noqa: F811 (the fixture)
    case = CASES[name]
    ctx = Ctx(issued)
    ctx.owner = None
    kwargs_list = case.make(ctx)
    client_class = Client
    failures = []
    actors = ACTORS + ([OWNER] if OWNER in case.allowed else [])
    for kwargs in kwargs_list:
        url = reverse(name, kwargs=kwargs)
        for actor in actors:
            client = _client_for(actor, ctx, client_class)
            response = getattr(client, case.method)(url)
            refused = _refused(response)
            if case.public:
                if response.status_code >= 500:
                    failures.append(f"{actor} {url}: {response.status_code}")
                continue
            if actor in case.allowed and refused:
                failures.append(f"{actor} was refused {url} ({response.status_code})")
            elif actor not in case.allowed and not refused:
                failures.append(f"{actor} reached {url} ({response.status_code})")
    assert failures == []
