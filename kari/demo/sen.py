"""The demo's SEN track (A33-A40): the ministry's SEN unit and distribution commission, a
territorial expert team of three, the demo college's SEN exam commission, the SEN schedule of
the running round and SEN applicants registered at a resource centre with signed conclusions
and documents received. With ``complete=True`` (``kari demo --phase sen``) the track runs on
through the exam centres, the trials, the recommendation and the distribution to the
minister's signed and published act.

Everything goes through :mod:`kari.sen.services`, as staff would do it."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kari.accounts import services as accounts
from kari.accounts.roles import OrgKind, Role
from kari.enrolment import services as enrolment
from kari.sen import selectors
from kari.sen import services as sen
from kari.sen.models import Channel, Stage

APPLICANTS = 6
SEN_DOCUMENTS = ["პირადობის მოწმობის ასლი", "საბაზო განათლების დამადასტურებელი დოკუმენტი"]
TRIAL = [
    {"activity": "სამუშაო ადგილის მომზადება", "score": 8, "max": 10},
    {"activity": "ძირითადი ოპერაციის შესრულება", "score": 7, "max": 10},
]


def _people(registry: list[dict]) -> list[dict]:
    return registry[-APPLICANTS:]  # the registry's last people: apart from the other phases'


def build(b, *, ministry, resource_centre, college_inst, round_, anchor, registry, complete=False):
    """``b`` is the demo builder (its ``staff`` and ``org`` helpers). The SEN dates count from
    today, whatever the demo's anchor: the services check them against the real date."""
    anchor = timezone.localdate()
    d = lambda n: anchor + dt.timedelta(days=n)  # noqa: E731
    officer = b.staff("sen-ministry", ministry, [Role.SEN_OFFICER])
    distributor = b.staff("sen-commission", ministry, [Role.SEN_DISTRIBUTION])
    team_org = accounts.create_organisation(
        None,
        code="sen-experts-tbilisi",
        kind=OrgKind.EXPERT_TEAM,
        name_ka="თბილისის ექსპერტთა გუნდი",
        name_en="Tbilisi expert team",
        municipality=ministry.municipality,
        address=ministry.address,
    )
    experts = [b.staff("sen-expert", team_org, [Role.SEN_EXPERT])] + [
        b.staff(f"sen-expert-{n}", team_org, [Role.SEN_EXPERT]) for n in (2, 3)
    ]
    member = b.staff("sen-trial", college_inst.organisation, [Role.SEN_EXAM_COMMISSION])
    clerk = b.staff("sen-clerk", resource_centre, [Role.REGISTRATION_CLERK])
    head = college_inst.organisation.staff.filter(role_grants__role=Role.INSTITUTION_ADMIN).first()
    sen.form_team(officer, team_org, act_number="SEN-ექსპ-1", formed_on=d(-30), members=experts)
    sen.set_schedule(
        officer,
        round_,
        Stage.PRIMARY,
        registration_opens=d(-5),
        registration_closes=d(5),
        test_starts=d(10),
        test_ends=d(12),
        max_minutes=120,
    )
    all_offered = list(selectors.offered_programmes(round_, Stage.PRIMARY))
    for p in all_offered:  # A40.4: the minister's form for each programme with SEN places
        sen.set_scoring_form(
            officer,
            p,
            act_number=f"SEN-ფ-{p.code}",
            issued_on=anchor,
            activities=[
                {
                    "name": t["activity"],
                    "max_score": t["max"],
                    "criteria": "სიზუსტე, დამოუკიდებლობა",
                }
                for t in TRIAL
            ],
        )
    offered = [p for p in all_offered if p.institution_id == college_inst.pk][:3]
    regs = []
    for i, person in enumerate(_people(registry)):
        a = sen.request_assessment(
            experts[0], person["personal_number"], requested_on=d(-10), requested_by="applicant"
        )
        sen.write_conclusion(
            experts[0],
            a,
            findings="ფუნქციური და აკადემიური უნარები შეფასებულია; საჭიროა ადაპტირებული გარემო.",
            hearing=i % 3 == 0,
            sight=i % 3 == 1,
            behavioural=False,
            environment=["extra_time", "large_print"] if i % 2 else ["step_free", "quiet_room"],
        )
        for e in experts:
            sen.sign_conclusion(e, a)
        sen.issue_conclusion(experts[0], a)
        data = {
            "personal_number": person["personal_number"],
            "phone": f"+99559988{i:04d}",
            "email": f"sen{i}@demo.kari.ge",
            "programmes": [p.code for p in offered[: 1 + i % 3]],
        }
        pending, plain, _ = sen._start_registration(clerk, data, round_, channel=Channel.CENTRE)
        reg = sen.confirm_registration(pending.code_id, plain)
        regs.append(reg)
        if i % 2 == 0 and head is not None:  # half brought the conclusion already
            sen.record_document(
                head, reg, college_inst, "conclusion", received_on=anchor, signatures=3
            )
    counts = {"SEN registrations": len(regs)}
    if complete:
        counts.update(
            _complete(
                round_, anchor, regs, officer, distributor, head, member, college_inst, b.emis_user
            )
        )
    return counts


@transaction.atomic
def _complete(round_, anchor, regs, officer, distributor, head, member, college, emis):
    """The window closed yesterday, the trials were today: on to the published act."""
    d = lambda n: anchor + dt.timedelta(days=n)  # noqa: E731
    sen.set_schedule(
        officer,
        round_,
        Stage.PRIMARY,
        registration_opens=d(-10),
        registration_closes=d(-1),
        test_starts=d(0),
        test_ends=d(1),
        max_minutes=120,
    )
    # A39.1: the minister's act names the college a SEN exam centre and distributes everyone
    # to it; A39.2: the college acquaints them with the act.
    hosts_act = sen.issue_hosts_act(
        officer,
        round_,
        Stage.PRIMARY,
        number="SEN-ც-01/2026",
        issued_on=anchor,
        hosts=[college],
        assignments=dict.fromkeys(regs, college),
    )
    sen.acquaint_applicants(head, college, hosts_act)
    sen.create_commission(
        head, college, round_, Stage.PRIMARY, act_number="SEN-კ-1", members=[member]
    )
    for i, r in enumerate(regs):
        first = r.choices.first().programme
        sen.score_trial(
            member,
            r,
            first,
            tested_on=anchor,
            minutes=60 + i,
            scores=[{**TRIAL[0], "score": 9 - i % 4}, TRIAL[1]],
            recommended=i != 3,
            reasons=(
                "გათვალისწინებულია პროგრამის მოთხოვნები, ექსპერტთა გუნდის დასკვნა და "
                "აპლიკანტის ინტერესები; რეგისტრაციის დრო."
            ),
            documents_analysis="ექსპერტთა გუნდის დასკვნა და ინდივიდუალური სასწავლო გეგმა "
            "გაანალიზებულია; ადაპტირებული გარემო საჭიროა.",
        )
    sen.send_package(member, college, round_, Stage.PRIMARY)
    reserved = selectors.reserved_places(round_, Stage.PRIMARY)
    taken: dict[int, int] = {}
    placements = {}
    for r in regs:
        t = r.trials.first()
        if t and t.recommended and taken.get(t.programme_id, 0) < reserved.get(t.programme_id, 0):
            placements[r] = t.programme
            taken[t.programme_id] = taken.get(t.programme_id, 0) + 1
    act = sen.distribute(
        distributor, round_, Stage.PRIMARY, number="SEN-01/2026", placements=placements
    )
    act = sen.issue_act(officer, act)
    # A41: the act's placements open as SEN enrolments; the head fixes the documents' deadline
    # and the day studies begin (A41.1, A41.2), so the head's SEN enrolment page has them.
    opened = enrolment.open_from_sen_act(emis, act)
    for programme in sorted(set(placements.values()), key=lambda p: p.code):
        enrolment.fix_sen_terms(
            head,
            act,
            programme,
            submit_until=d(5),
            studies_start=d(40),
            documents=SEN_DOCUMENTS,
            duration_months=12,
            act_number=f"SEN-ჩ-{programme.code}",
            act_date=act.issued_on,
        )
    return {"SEN placements (published act)": len(placements), "SEN enrolments opened": opened}
