"""The audit log in people's words: what was done, and each change with its field's name and
its values as names and words (never `programmes: ['0716-0076']`, `True` or `en`).

The audit app sits below the domain apps, so the names of programmes, municipalities and tests
are looked up through the app registry, not by importing their models."""

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kari.labels import sentence_case

# Fields whose values are codes of reference data: (app, model, code field).
CODED = {
    "programmes": ("catalogue", "Programme", "code"),
    "programme": ("catalogue", "Programme", "code"),
    "lines": ("catalogue", "Programme", "code"),
    "exam_municipality": ("catalogue", "Municipality", "code"),
    "municipality": ("catalogue", "Municipality", "code"),
    "skills_test": ("catalogue", "SkillsTest", "code"),
    "subject_group": ("catalogue", "SubjectGroup", "code"),
    "centre": ("exams", "ExamCentre", "code"),
}
LANGUAGE_FIELDS = {"test_language", "foreign_language", "language"}
LANGUAGES = {
    "ka": gettext_lazy("Georgian"),
    "en": gettext_lazy("English"),
    "ru": gettext_lazy("Russian"),
    "de": gettext_lazy("German"),
    "fr": gettext_lazy("French"),
    "az": gettext_lazy("Azerbaijani"),
    "hy": gettext_lazy("Armenian"),
    "any": gettext_lazy("any"),
}
FIELD_LABELS = {
    "programmes": gettext_lazy("Programmes"),
    "lines": gettext_lazy("Places (places, SEN places)"),
    "status": gettext_lazy("Status"),
    "stage": gettext_lazy("Stage"),
    "exam_municipality": gettext_lazy("Exam municipality"),
    "test_language": gettext_lazy("Test language"),
    "foreign_language": gettext_lazy("Foreign language"),
    "adapted_environment": gettext_lazy("Adapted environment"),
    "skills_test": gettext_lazy("Skills test"),
    "subject_group": gettext_lazy("Subject group"),
    "carried_over": gettext_lazy("Scores carried over"),
    "retakes_test": gettext_lazy("Sits the test again"),
    "education_level": gettext_lazy("Education level"),
    "qualification": gettext_lazy("Qualification"),
    "places": gettext_lazy("Places"),
    "sen_places": gettext_lazy("SEN places"),
    "category": gettext_lazy("Breach"),
    "note": gettext_lazy("Note"),
    "late": gettext_lazy("After the deadline"),
    "centre": gettext_lazy("Exam centre"),
    "absent": gettext_lazy("Marked absent"),
    "later_sessions_removed": gettext_lazy("Later sessions removed from"),
    "reason": gettext_lazy("Reason"),
    "title": gettext_lazy("Title"),
    "closes_on": gettext_lazy("Applications close"),
    "answered": gettext_lazy("Questions answered"),
}

ACTIONS = {
    "announcement.open": gettext_lazy("Announcement opened"),
    "announcement.places": gettext_lazy("Places entered"),
    "announcement.submit": gettext_lazy("Announcement submitted"),
    "announcement.confirm": gettext_lazy("Announcement confirmed"),
    "announcement.flag": gettext_lazy("Announcement returned: places differ"),
    "appeals.attendance": gettext_lazy("Commission attendance recorded"),
    "appeals.conflict": gettext_lazy("Conflict of interest declared"),
    "appeals.constitute": gettext_lazy("Appeals commission constituted"),
    "appeals.convene": gettext_lazy("Commission meeting called"),
    "appeals.decide": gettext_lazy("Complaint decided"),
    "appeals.file": gettext_lazy("Complaint filed"),
    "appeals.membership": gettext_lazy("Commission membership changed"),
    "appeals.receive": gettext_lazy("Complaint received"),
    "appeals.remark": gettext_lazy("Remark recorded"),
    "appeals.vote": gettext_lazy("Vote recorded"),
    "applicant.contacts_reset": gettext_lazy("Applicant's contacts reset"),
    "catalogue.student_counts": gettext_lazy("Student numbers loaded"),
    "catalogue.subsequent_schedule": gettext_lazy("Subsequent-stage schedule set"),
    "catalogue.test_mapping": gettext_lazy("Tests of the programmes set"),
    "cert.application.check": gettext_lazy("Application checked for completeness"),
    "cert.application.save": gettext_lazy("Application saved"),
    "cert.application.submit": gettext_lazy("Application submitted"),
    "cert.assign": gettext_lazy("Reviewers assigned"),
    "cert.attendance": gettext_lazy("Attendance recorded"),
    "cert.call.create": gettext_lazy("Call for applications created"),
    "cert.conflict": gettext_lazy("Conflict of interest declared"),
    "cert.decide": gettext_lazy("Certification decided"),
    "cert.directory": gettext_lazy("Directory entry changed"),
    "cert.event.create": gettext_lazy("Event created"),
    "cert.info_answer": gettext_lazy("Answer received"),
    "cert.info_request": gettext_lazy("Information requested"),
    "cert.invite": gettext_lazy("Invitation sent"),
    "cert.issue": gettext_lazy("Certificate issued"),
    "cert.keygen": gettext_lazy("Signing key created"),
    "cert.profile": gettext_lazy("Profile changed"),
    "cert.revoke": gettext_lazy("Certificate revoked"),
    "cert.score": gettext_lazy("Scores submitted"),
    "cert.upload": gettext_lazy("Document uploaded"),
    "competition.submit": gettext_lazy("Competition results submitted"),
    "distribution.agree": gettext_lazy("NAEC agreed to the distribution"),
    "distribution.move": gettext_lazy("Applicant moved to another exam centre"),
    "distribution.run": gettext_lazy("Distribution run"),
    "document_key.create": gettext_lazy("Document signing key created"),
    "document_key.reactivate": gettext_lazy("Document signing key reactivated"),
    "enrolment.act": gettext_lazy("Enrolment act"),
    "enrolment.close": gettext_lazy("Enrolment closed"),
    "enrolment.continuation_impossible": gettext_lazy("Continuation impossible recorded"),
    "enrolment.contract": gettext_lazy("Contract"),
    "enrolment.contract_template": gettext_lazy("Contract template changed"),
    "enrolment.document": gettext_lazy("Enrolment document"),
    "enrolment.entered": gettext_lazy("Enrolled"),
    "enrolment.module_passed": gettext_lazy("Module passed"),
    "enrolment.open": gettext_lazy("Enrolment opened"),
    "enrolment.open_sen": gettext_lazy("SEN act placements opened for enrolment"),
    "enrolment.sen_terms": gettext_lazy("SEN enrolment documents' deadline fixed"),
    "enrolment.option": gettext_lazy("Enrolment choice"),
    "enrolment.restore": gettext_lazy("Status restored"),
    "enrolment.terms": gettext_lazy("Enrolment terms set"),
    "enrolment.upload": gettext_lazy("Document uploaded"),
    "enrolment.voucher_threshold": gettext_lazy("Voucher threshold set"),
    "exam.check_in": gettext_lazy("Checked in"),
    "exam.no_shows": gettext_lazy("No-shows marked absent"),
    "exam.presence": gettext_lazy("Presence recorded"),
    "exam.refuse": gettext_lazy("Entry refused"),
    "exam.warning": gettext_lazy("Warning for a breach"),
    "exam.removal": gettext_lazy("Removed from the test"),
    "exam_centre.save": gettext_lazy("Exam centre saved"),
    "exam_session.delete": gettext_lazy("Session deleted"),
    "exam_session.reschedule": gettext_lazy("Session rescheduled"),
    "exam_session.save": gettext_lazy("Session saved"),
    "institution.save": gettext_lazy("Institution saved"),
    "intake.adjust": gettext_lazy("Intake adjusted"),
    "invitations.issue": gettext_lazy("Invitations issued"),
    "invitations.rendered": gettext_lazy("Invitation cards made"),
    "invitations.resume": gettext_lazy("Issuing of invitations resumed"),
    "outbox.resend": gettext_lazy("Notification sent again"),
    "programme.save": gettext_lazy("Programme saved"),
    "ranking.approve": gettext_lazy("Ranking approved"),
    "ranking.build": gettext_lazy("Ranking built"),
    "ranking.build_started": gettext_lazy("Ranking build started"),
    "ranking.documents": gettext_lazy("Ranking documents made"),
    "ranking.enter": gettext_lazy("Entered in the ranking"),
    "ranking.entry_confirmed": gettext_lazy("Ranking entry confirmed"),
    "ranking.formula": gettext_lazy("Ranking formula set"),
    "ranking.freeze": gettext_lazy("Final lists frozen"),
    "ranking.sign_started": gettext_lazy("Signing started"),
    "reference.load": gettext_lazy("Reference data loaded"),
    "registration.counter_access": gettext_lazy("Counter access"),
    "registration.counter_code": gettext_lazy("Counter code issued"),
    "registration.create": gettext_lazy("Registration created"),
    "registration.change": gettext_lazy("Registration changed"),
    "results.import": gettext_lazy("Results imported"),
    "round.create": gettext_lazy("Round created"),
    "round.receipt": gettext_lazy("Receipt recorded"),
    "round.schedule": gettext_lazy("Schedule changed"),
    "scores.import": gettext_lazy("Scores imported"),
    "scores.outcome": gettext_lazy("Score outcome"),
    "scores.publish": gettext_lazy("Scores published"),
    "sen.health_viewed": gettext_lazy("SEN health data viewed"),
    "staff.create": gettext_lazy("Staff account created"),
    "staff.password_change": gettext_lazy("Password changed"),
    "staff.totp_enrolled": gettext_lazy("Authenticator app enrolled"),
    "handover.export": gettext_lazy("Hand-over file downloaded"),
}


def action_label(action: str) -> str:
    """What was done, in words; an action without a label falls back to its area's name."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    if action.startswith("handover."):
        return str(ACTIONS["handover.export"])
    return str(sentence_case(action.split(".")[-1].replace("_", " ")))


def _lookup(spec, codes) -> dict:
    app, model, field = spec
    try:
        Model = apps.get_model(app, model)
    except LookupError:
        return {}
    return {getattr(o, field): str(o) for o in Model.objects.filter(**{f"{field}__in": codes})}


def _model_field(object_type: str, key: str):
    try:
        return apps.get_model(object_type)._meta.get_field(key)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


def field_label(object_type: str, key: str) -> str:
    if key in FIELD_LABELS:
        return str(FIELD_LABELS[key])
    field = _model_field(object_type, key)
    if field is not None and hasattr(field, "verbose_name"):
        return str(sentence_case(field.verbose_name))
    return str(sentence_case(key.replace("_", " ")))


def _codes(value) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int)]
    return [str(value)] if value not in (None, "") else []


def value_text(object_type: str, key: str, value, names: dict | None = None) -> str:
    """One value in words: booleans as yes/no, languages by name, codes by the names of what
    they stand for, choices by their labels, lists joined."""
    names = names or {}
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in LANGUAGE_FIELDS and isinstance(value, str):
        return str(LANGUAGES.get(value, value))
    if isinstance(value, dict):
        return "; ".join(
            f"{names.get(str(k), k)}: {value_text(object_type, '', v)}" for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(value_text(object_type, key, v, names) for v in value)
    if str(value) in names:
        return names[str(value)]
    field = _model_field(object_type, key) if key else None
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def changes(entry) -> list[tuple[str, str, str]]:
    """The entry's changes as (field, before, after), in words."""
    rows = []
    for key, before, after in entry.changes():
        names = {}
        if key in CODED:
            names = _lookup(CODED[key], _codes(before) + _codes(after))
        rows.append(
            (
                field_label(entry.object_type, key),
                value_text(entry.object_type, key, before, names),
                value_text(entry.object_type, key, after, names),
            )
        )
    return rows
