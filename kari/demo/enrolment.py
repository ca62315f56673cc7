"""Demo data of enrolment (``kari demo --phase enrolment``): the ranking document approved
yesterday, the demo college's placements at every step of A29-A32.

The demo college (user ``college``) has: applicants waiting for documents (the first person
of the civil registry among them, for a browser to sign in as), documents complete, enrolled
students with a signed act and contracts (a minor's signed by a parent), students admitted on
a Russian test on the Georgian-language module, one transitional, one whose status ended
(A32.3), a declined and a missed placement, and the voucher minimum's options offered
(A30, A31). Registrations and the approved ranking are written as demo data; every enrolment
step goes through :mod:`kari.enrolment.services`.
"""

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kari.audit.log import record
from kari.catalogue.models import AnnouncementLine
from kari.enrolment import rules
from kari.enrolment import services as enrolment
from kari.enrolment.models import ProgrammeTerms, RequiredDocument
from kari.ranking.models import Admission, Ranking, RankingStatus
from kari.registration.models import Applicant, Choice, Registration

DOCUMENTS = [
    "პირადობის მოწმობის ან დაბადების მოწმობის ასლი",
    "საბაზო განათლების დამადასტურებელი დოკუმენტი",
    "ფოტოსურათი 3x4",
]
CLAUSES = (
    "1. დაწესებულება უზრუნველყოფს პროფესიული საგანმანათლებლო პროგრამის განხორციელებას "
    "პროგრამით დადგენილი მოცულობითა და ვადით.\n"
    "2. პროფესიული სტუდენტი ვალდებულია დაესწროს სასწავლო მეცადინეობებს და დაიცვას "
    "დაწესებულების შინაგანაწესი.\n"
    "3. ხელშეკრულება ძალაშია ხელმოწერის დღიდან სწავლის დასრულებამდე."
)
PLACED = 36  # placements at the demo college


def _people() -> list[dict]:
    return json.loads(Path(settings.KARI_CIVIL_REGISTRY["PATH"]).read_text("utf-8"))


@transaction.atomic
def build(round_, institution, users: dict, anchor: dt.date) -> dict:
    """Everything above, for ``institution`` (the demo college); ``users``: emis, ministry,
    college."""
    lines = list(
        AnnouncementLine.objects.filter(
            announcement__round=round_,
            announcement__institution=institution,
            programme__stage="primary",
        )
        .select_related("programme")
        .order_by("programme__code")
    )
    programmes = [line.programme for line in lines][:3]
    fixed = timezone.make_aware(dt.datetime.combine(round_.test_starts, dt.time(9)))
    fixed -= dt.timedelta(days=14)
    for p in programmes:  # A29.1: fixed before the test (written as demo data)
        terms = ProgrammeTerms.objects.create(
            round=round_,
            programme=p,
            submit_until=anchor + dt.timedelta(days=5),
            duration_months=12 if p.code[-1] in "02468" else 18,
            note="დოკუმენტები მიიღება სამუშაო დღეებში 10:00-17:00.",
            fixed_at=fixed,
        )
        for position, name in enumerate(DOCUMENTS, 1):
            RequiredDocument.objects.create(terms=terms, position=position, name=name)
        record(None, "enrolment.terms", terms, after={"documents": DOCUMENTS}, reason="demo data")
    enrolment.save_contract_template(users["college"], institution, CLAUSES)

    people = _people()
    adults = [
        p for p in people if not rules.is_minor(dt.date.fromisoformat(p["birth_date"]), anchor)
    ]
    placed_people = people[:PLACED]
    approved = timezone.now() - dt.timedelta(days=1)
    ranking = Ranking.objects.create(
        round=round_,
        status=RankingStatus.APPROVED,
        inputs_checksum="0" * 64,
        built_at=approved - dt.timedelta(hours=3),
        approved_at=approved,
        applicants=len(placed_people),
        admitted_count=len(placed_people),
    )
    record(None, "ranking.approve", ranking, reason="demo data")
    for n, person in enumerate(placed_people):
        p = programmes[0] if n in (0, *range(10, 16)) else programmes[n % len(programmes)]
        applicant = Applicant.objects.filter(personal_number=person["personal_number"]).first()
        if applicant is None:
            applicant = Applicant.objects.create(
                personal_number=person["personal_number"],
                first_name_ka=person["first_name_ka"],
                last_name_ka=person["last_name_ka"],
                first_name_en=person["first_name_en"],
                last_name_en=person["last_name_en"],
                birth_date=dt.date.fromisoformat(person["birth_date"]),
                phone=f"+99559{n:07d}",
                email=f"applicant{n}@demo.kari.ge",
            )
        at = approved - dt.timedelta(days=60, seconds=n * 41)
        reg = Registration.objects.create(
            applicant=applicant,
            round=round_,
            channel="online",
            test_language="ru" if n in (20, 21, 22) else "ka",
            foreign_language="en",
            skills_test_id=p.skills_test_id,
            subject_group_id=p.subject_group_id,
            registered_at=at,
            updated_at=at,
        )
        Choice.objects.create(registration=reg, rank=1, programme=p)
        Admission.objects.create(
            ranking=ranking, registration=reg, programme=p, score=60 + (n * 7) % 35, choice=1
        )
    enrolment.set_voucher_threshold(users["ministry"], round_, "primary", "65")
    enrolment.open_from_ranking(users["emis"], round_)

    college = users["college"]
    placements = {
        e.applicant.personal_number: e
        for e in enrolment.Enrolment.objects.filter(round=round_).select_related(
            "applicant", "programme__institution", "round"
        )
    }
    by_index = [placements[p["personal_number"]] for p in placed_people]

    def receive(e, count=None):
        for doc in RequiredDocument.objects.filter(
            terms__round=round_, terms__programme=e.programme
        )[:count]:
            enrolment.mark_document(college, e, doc, received=True)

    def contract(e, funding="voucher"):
        receive(e)
        e.refresh_from_db()
        kwargs = {}
        if rules.is_minor(enrolment.birth_date(e.applicant), anchor):
            parent = next(a for a in adults if a["personal_number"] not in placements)
            kwargs = {
                "representative_personal_number": parent["personal_number"],
                "representative_relation": "დედა",
            }
        enrolment.sign_contract(college, e, funding=funding, **kwargs)

    # Enrolled: programmes[0] gets six voucher-eligible students or fewer (A30 flag), others.
    enrolled = [by_index[i] for i in (*range(10, 16), 20, 21, 22, 23, 24)]
    for i, e in enumerate(enrolled):
        contract(e, "self" if i % 4 == 3 else "voucher")
    enrolment.issue_act(college, institution, round_)
    # Documents complete, contract to sign (the 2-day deadline runs).
    for e in by_index[4:7]:
        receive(e)
    # Some documents in, one returned with a reason.
    receive(by_index[7], 1)
    first_doc = RequiredDocument.objects.filter(
        terms__round=round_, terms__programme=by_index[8].programme
    ).first()
    enrolment.mark_document(
        college, by_index[8], first_doc, received=False, reason="ასლი გაურკვეველია"
    )
    enrolment.close(college, by_index[16], declined=True, reason="აპლიკანტმა უარი თქვა სწავლაზე")
    enrolment.close(
        college, by_index[17], declined=False, reason="დოკუმენტები ვადაში არ წარუდგენია"
    )
    # A29.3, A32: Russian-test students on the module; one completed it, one did not.
    for e in by_index[20:23]:
        e.refresh_from_db()
    enrolment.record_georgian_module(college, by_index[20], passed=True)
    enrolment.record_georgian_module(college, by_index[21], passed=False)
    offered = enrolment.offer_voucher_options(college, institution, round_)
    return {
        "enrolment placements": len(placements),
        "enrolled": len(enrolled),
        "voucher options offered": offered,
    }
