"""Organisation kinds, staff roles and what each role may do.

Every body of the Regulation on Vocational Testing is an organisation kind (A11-A12).
A role may only be held in organisations of the kinds listed for it, and each
permission is either *scoped* (exercised only for the holder's own organisation)
or *national* (the body's own statutory act, e.g. the quality centre's confirmation
of any institution's announcement, A13.3). Every permission listed here is checked by some
code (a test keeps it so): one that nothing checks is removed, and an app adds its own
permissions when it is built.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry of Education")
    EMIS = "emis", _("EMIS (management system)")
    NAEC = "naec", _("NAEC (assessment and examinations centre)")
    QUALITY_CENTRE = "quality_centre", _("Quality centre (NCEQE)")
    RESOURCE_CENTRE = "resource_centre", _("Resource centre")
    INSTITUTION = "institution", _("VET institution")
    EXAM_HOST = "exam_host", _("Exam-centre host")
    CERTIFIER = "certifier", _("Certifying organisation")
    EXPERT_TEAM = "expert_team", _("SEN expert team")  # A36.1: formed by the minister


class Role(models.TextChoices):
    MINISTRY_OFFICER = "ministry_officer", _("Ministry officer")
    EMIS_OPERATOR = "emis_operator", _("EMIS operator")
    NAEC_OFFICER = "naec_officer", _("NAEC officer")
    QUALITY_OFFICER = "quality_officer", _("Quality-centre officer")
    REGISTRATION_CLERK = "registration_clerk", _("Registration clerk")
    INSTITUTION_ADMIN = "institution_admin", _("Institution admin")
    PROCTOR = "proctor", _("Proctor")
    COMMISSION_MEMBER = "commission_member", _("Appeals-commission member")
    EXAM_HOST_MANAGER = "exam_host_manager", _("Exam-centre manager")
    CERTIFICATION_OFFICER = "certification_officer", _("Certification officer")
    CERTIFICATION_REVIEWER = "certification_reviewer", _("Certification expert (reviewer)")
    SEN_OFFICER = "sen_officer", _("Ministry SEN unit officer")
    SEN_DISTRIBUTION = "sen_distribution", _("Ministerial SEN distribution commission member")
    SEN_EXPERT = "sen_expert", _("SEN expert-team member")
    SEN_EXAM_COMMISSION = "sen_exam_commission", _("SEN exam-commission member")


# Which organisation kinds may hold each role.
ROLE_KINDS: dict[str, set[str]] = {
    Role.MINISTRY_OFFICER: {OrgKind.MINISTRY},
    Role.EMIS_OPERATOR: {OrgKind.EMIS},
    Role.NAEC_OFFICER: {OrgKind.NAEC},
    Role.QUALITY_OFFICER: {OrgKind.QUALITY_CENTRE},
    Role.REGISTRATION_CLERK: {OrgKind.RESOURCE_CENTRE, OrgKind.INSTITUTION},  # A12.5, A12.6
    Role.INSTITUTION_ADMIN: {OrgKind.INSTITUTION},
    Role.PROCTOR: {OrgKind.NAEC},  # A22: only NAEC staff in the room
    Role.COMMISSION_MEMBER: {OrgKind.NAEC},  # A23: created by the NAEC director
    Role.EXAM_HOST_MANAGER: {OrgKind.EXAM_HOST, OrgKind.INSTITUTION},  # A12.7
    Role.CERTIFICATION_OFFICER: {OrgKind.CERTIFIER},  # C3-C5: the organisation's team
    Role.CERTIFICATION_REVIEWER: {OrgKind.CERTIFIER},  # C3: its expert team
    Role.SEN_OFFICER: {OrgKind.MINISTRY},  # A34.1, A37.11: the ministry's structural unit
    Role.SEN_DISTRIBUTION: {OrgKind.MINISTRY},  # A40.8: the commission the minister creates
    Role.SEN_EXPERT: {OrgKind.EXPERT_TEAM},  # A36.1
    Role.SEN_EXAM_COMMISSION: {OrgKind.INSTITUTION},  # A40.3: created by the host's head
}

# Scoped permissions: only for the holder's own organisation.
SCOPED: dict[str, set[str]] = {
    Role.MINISTRY_OFFICER: {"org.view"},
    Role.EMIS_OPERATOR: {"org.view"},
    # A23.1: the director's act creates the commission; A25.4(b): NAEC enters a re-mark.
    Role.NAEC_OFFICER: {"org.view", "appeals.constitute", "appeals.view", "appeals.remark"},
    Role.QUALITY_OFFICER: {"org.view"},
    # A34.3(a), A34.4(a): SEN registration at institutions and resource centres (A37.1, A38.1).
    Role.REGISTRATION_CLERK: {"org.view", "registration.register", "sen.register"},
    Role.INSTITUTION_ADMIN: {
        "org.view",
        "institution.edit",
        "programme.edit",
        "programme.import",
        "announcement.submit",
        "registration.view",  # an institution sees registrations that list its programmes
        "subsequent.schedule",  # A18.3: the head's schedule of the subsequent-stage test
        "enrolment.terms",  # A29.1: documents and deadlines; the contract template (A29.2)
        "enrolment.manage",  # A29.1-A29.4, A30-A32: documents, contracts, students' choices
        "enrolment.act",  # A29.2: the head's enrolment act, signed with the head's key
        "competition.submit",  # A9.3, A10.3
        "ranking.view_own",  # A27.5: the institution's signed ranking documents
        "sen.documents",  # A37.10, A38.9: documents received by the institution
        "sen.health",  # the SEN documents presented to the institution (A37.10)
        "sen.commission",  # A40.3: the host's head creates the SEN exam commission
        "ranking.subsequent",  # A27.7-A27.8: the head's subsequent-stage ranking document
    },
    Role.PROCTOR: {"org.view"},
    Role.COMMISSION_MEMBER: {"org.view", "appeals.view", "appeals.sit"},  # A24
    Role.EXAM_HOST_MANAGER: {"org.view", "exam_centre.edit"},
    Role.CERTIFICATION_OFFICER: {"org.view", "cert.manage", "cert.decide"},
    Role.CERTIFICATION_REVIEWER: {"org.view", "cert.review"},
    # A36.2: the team assesses and writes its conclusion (health data of its own applicants).
    Role.SEN_EXPERT: {"org.view", "sen.assess", "sen.health"},
    # A40.4-A40.7: scores the trial, weighs the expert conclusion, sends the package.
    Role.SEN_EXAM_COMMISSION: {"org.view", "sen.trial", "sen.health"},
    Role.SEN_OFFICER: {"org.view"},
    Role.SEN_DISTRIBUTION: {"org.view"},
}

# National permissions: statutory acts over all organisations.
NATIONAL: dict[str, set[str]] = {
    Role.MINISTRY_OFFICER: {
        "round.schedule",
        "audit.view_all",
        "enrolment.voucher_threshold",  # A30.1, A31.1: the year's voucher threshold
        "enrolment.view_all",  # a round's enrolment figures
    },
    Role.EMIS_OPERATOR: {
        "catalogue.import",
        "catalogue.export",
        "audit.view_all",
        "reference.edit",
        "registration.view_all",
        "exams.centres",  # A12.3(e): EMIS selects exam centres per municipality
        "exams.distribute",  # A17.2, A15.8
        "exams.invitations",  # A17.3
        "exams.handover",  # A12.3(c), A17.2(a), A17.4 (EMIS's side)
        "exams.view_all",
        "operations.outbox",  # the notification outbox: undelivered notices, sent again
        "enrolment.open",  # A29.1: placements of the approved ranking document open
        "enrolment.view_all",  # A29.4: entries into the management system, late ones
        "ranking.freeze",  # A26.3
        "ranking.enter",  # A27.6
        "ranking.publish",  # A26.2: results published to the applicants, with statistics
        "ranking.cutoffs",  # earlier rounds' published cut-offs imported
        "ranking.subsequent_review",  # A27.7: EMIS checks an institution's document
        "ranking.view_all",
    },
    Role.NAEC_OFFICER: {
        "catalogue.export",
        "exams.sessions",  # A12.4, A18: NAEC proposes the schedule and runs the test
        "exams.handover",  # receives EMIS's files
        "exams.numbers",  # A17.2(b): NAEC answers with the number per exam centre
        "exams.results",  # A26.1
        "exams.view_all",
        "scores.record",  # A26.2, A28.1: published scores and the ranking's outcome
        "catalogue.test_mapping",  # A7.2: the director's act on each field's test
        "ranking.formula",  # A27.2-A27.4: the round's competitive-score formula
        "ranking.build",  # A27.1
        "ranking.approve",  # A27.1
        "intake.adjust",  # A27.10, written on approval
        "ranking.view_all",
    },
    # A11, A22: NAEC runs the test in every exam centre; its proctors act in all of them.
    Role.PROCTOR: {"exam.check_in", "appeals.file"},  # A25.1: filed at the exam centre
    Role.SEN_OFFICER: {
        "sen.schedule",  # A37.2, A38.2, A40.1: windows, test schedule, maximum duration
        "sen.teams",  # A36.1: the minister's act forming the expert teams
        "sen.status",  # A37.9, A37.11, A38.8, A38.11: confirms, rejects, changes SEN status
        "sen.hosts",  # A39.1: hosts of SEN exam centres, applicants distributed to them
        "sen.act",  # A40.9, A40.10: the minister's act, signed and published
        "sen.view_all",
        "sen.health_all",  # A37.11: the unit's access to the SEN databases
    },
    Role.SEN_DISTRIBUTION: {
        "sen.distribute",  # A40.8: within the reserved places
        "sen.view_all",
        "sen.health_all",  # A40.7: the analysis of the documents reaches the ministry
    },
    Role.QUALITY_OFFICER: {
        "announcement.confirm",
        "announcement.flag",
        "audit.view_all",
    },
}


def scoped_permissions(roles) -> set[str]:
    return set().union(*(SCOPED.get(r, set()) for r in roles)) if roles else set()


def national_permissions(roles) -> set[str]:
    return set().union(*(NATIONAL.get(r, set()) for r in roles)) if roles else set()
