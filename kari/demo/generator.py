"""A deterministic, realistic demo round: national bodies, ~60 institutions across every
region, ~400 programmes, a staff account for every role, and a local civil registry.

The same seed and anchor date always give the same data.
"""

import base64
import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from kari import workdays
from kari.accounts import services as accounts
from kari.accounts.models import Organisation
from kari.accounts.roles import OrgKind, Role
from kari.audit.log import record
from kari.catalogue import reference, services
from kari.catalogue.models import (
    Announcement,
    AnnouncementLine,
    AnnouncementStatus,
    Municipality,
    Programme,
    Region,
)
from kari.certification import services as cert
from kari.certification.issuing import generate_key
from kari.demo import appeals, enrolment, exams
from kari.demo import ranking as ranking_demo
from kari.demo import sen as sen_demo
from kari.demo import subsequent as subsequent_demo
from kari.exams.services.results import import_results
from kari.rounds.models import Round, Season

DEMO_PASSWORD = "kari-demo-2026"  # noqa: S105 - demo accounts only
INSTITUTIONS = 60
# Share of institutions per region code, roughly by population.
REGION_WEIGHT = {"TB": 14}


@dataclass
class DemoResult:
    accounts: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    round: Round | None = None


def totp_key(seed: int, username: str) -> str:
    """A deterministic 20-byte TOTP key (hex), so demo codes are reproducible."""
    return hashlib.sha256(f"kari-demo:{seed}:{username}".encode()).hexdigest()[:40]


def totp_base32(hex_key: str) -> str:
    return base64.b32encode(bytes.fromhex(hex_key)).decode()


def schedule(announcement: dt.date, registration_opens: dt.date) -> dict:
    """A full round schedule from its announcement deadline and registration opening."""
    w = workdays.on_or_after
    reg_close = w(registration_opens + dt.timedelta(days=24))
    test_start = w(reg_close + dt.timedelta(days=14))
    test_end = w(test_start + dt.timedelta(days=4))
    results = w(test_end + dt.timedelta(days=7))
    rr_open = w(results + dt.timedelta(days=1))
    rr_close = w(rr_open + dt.timedelta(days=4))
    ranking = workdays.within_days(workdays.next_working_day(rr_close), 7)
    enrol_start = w(ranking + dt.timedelta(days=3))
    return {
        "announcement_deadline": w(announcement),
        "registration_opens": w(registration_opens),
        "registration_closes": reg_close,
        "test_starts": test_start,
        "test_ends": test_end,
        "results_published": results,
        "reranking_opens": rr_open,
        "reranking_closes": rr_close,
        "ranking_date": ranking,
        "enrolment_starts": enrol_start,
        "enrolment_ends": w(enrol_start + dt.timedelta(days=10)),
        # A16.2: the ministry opens subsequent-stage registration with the primary stage's.
        "subsequent_registration_opens": w(registration_opens),
        "subsequent_registration_closes": reg_close,
    }


def running_schedule(anchor: dt.date, phase: str = "registration") -> dict:
    """The round being run: announced and confirmed, registration open on `anchor`; or, for
    the exams phase, registration closed two weeks ago and the first test day on `anchor`; for
    the distribution phase, registration closed yesterday and the test two weeks away."""
    if phase == "results":  # the test days are over and NAEC's results are in
        return running_schedule(anchor - dt.timedelta(days=12), "exams")
    if phase in ("final-lists", "ranking"):  # the re-ranking window closed yesterday
        return ranking_demo.schedule(
            running_schedule(anchor - dt.timedelta(days=20), "exams"), anchor
        )
    if phase == "enrolment":  # the ranking document approved yesterday, enrolment running
        sched = schedule(anchor - dt.timedelta(days=80), anchor - dt.timedelta(days=66))
        sched["ranking_date"] = min(sched["ranking_date"], anchor - dt.timedelta(days=1))
        sched["reranking_closes"] = min(sched["reranking_closes"], sched["ranking_date"])
        sched["enrolment_starts"] = anchor
        sched["enrolment_ends"] = anchor + dt.timedelta(days=14)
        return sched
    if phase == "distribution":
        sched = schedule(anchor - dt.timedelta(days=45), anchor - dt.timedelta(days=25))
        sched["registration_closes"] = anchor - dt.timedelta(days=1)
        return sched
    if phase != "exams":
        return schedule(anchor - dt.timedelta(days=30), anchor - dt.timedelta(days=10))
    sched = schedule(anchor - dt.timedelta(days=58), anchor - dt.timedelta(days=38))
    sched["registration_closes"] = anchor - dt.timedelta(days=14)
    sched["test_starts"], sched["test_ends"] = anchor, anchor + dt.timedelta(days=4)
    w = workdays.on_or_after
    results = w(anchor + dt.timedelta(days=11))
    rr_open = w(results + dt.timedelta(days=1))
    rr_close = w(rr_open + dt.timedelta(days=4))
    ranking = workdays.within_days(workdays.next_working_day(rr_close), 7)
    enrol_start = w(ranking + dt.timedelta(days=3))
    sched.update(
        results_published=results,
        reranking_opens=rr_open,
        reranking_closes=rr_close,
        ranking_date=ranking,
        enrolment_starts=enrol_start,
        enrolment_ends=w(enrol_start + dt.timedelta(days=10)),
    )
    return sched


def next_schedule(anchor: dt.date, after: dict) -> dict:
    """The next round: its announcement deadline three weeks after `anchor`."""
    return schedule(anchor + dt.timedelta(days=21), after["enrolment_ends"] + dt.timedelta(days=30))


def round_key(test_starts: dt.date, taken: set) -> tuple[int, str]:
    """The year and season a demo round is filed under: its test's, or, where a round already
    holds those (both demo rounds can test in one half-year, depending on the anchor date),
    the next season free after them."""
    year = test_starts.year
    season = Season.SPRING if test_starts.month <= 6 else Season.AUTUMN
    while (year, season) in taken:
        if season == Season.SPRING:
            season = Season.AUTUMN
        else:
            year, season = year + 1, Season.SPRING
    return year, season


def _phone(rng) -> str:
    prefix = rng.choice(
        ["555", "557", "558", "568", "571", "574", "577", "591", "593", "595", "599"]
    )
    return f"+995{prefix}{rng.randint(100000, 999999)}"


def _landline(rng) -> str:
    return f"+995322{rng.randint(100000, 999999)}"


class Builder:
    def __init__(
        self,
        seed: int,
        anchor: dt.date,
        people: int = 2000,
        phase: str = "registration",
        applicants: int = 400,
    ):
        self.seed, self.anchor, self.people_count = seed, anchor, people
        self.phase, self.applicants = phase, applicants
        self.rng = random.Random(seed)
        self.people = reference.data("people")
        self.result = DemoResult()
        # every demo account shares the password: one PBKDF2 hash, not one per account (the
        # hashing was a fifth of the build)
        self.password_hash = make_password(DEMO_PASSWORD)

    # -- people
    def person(self):
        female = self.rng.random() < 0.5
        first = self.rng.choice(self.people["female_names" if female else "male_names"])
        last = self.rng.choice(self.people["surnames"])
        return first, last

    def staff(self, username, org, roles, ka_name=None):
        first, last = self.person()
        key = totp_key(self.seed, username)
        user = accounts.create_staff(
            None,
            username=username,
            password=DEMO_PASSWORD,
            password_hash=self.password_hash,
            organisation=org,
            roles=roles,
            full_name_ka=ka_name or f"{first['ka']} {last['ka']}",
            email=f"{username}@demo.kari.ge",
            totp_key=key,
        )
        self.result.accounts.append(
            {
                "username": username,
                "roles": ", ".join(roles),
                "organisation": org.name_en or org.name_ka,
                "totp_secret": totp_base32(key),
            }
        )
        return user

    # -- organisations
    def org(self, code, kind, name_ka, name_en, municipality, rng):
        street = rng.choice(self.people["street_names"])
        number = rng.randint(1, 120)
        return accounts.create_organisation(
            None,
            code=code,
            kind=kind,
            name_ka=name_ka,
            name_en=name_en,
            municipality=municipality,
            address=f"{street['ka']} {number}",
            phone=_landline(rng),
            email=f"info@{code}.demo.kari.ge",
        )

    def build(self) -> DemoResult:
        rng = self.rng
        counts = reference.load_reference()
        tbilisi = Municipality.objects.get(code="tbilisi")
        ministry = self.org(
            "ministry",
            OrgKind.MINISTRY,
            "განათლების, მეცნიერებისა და ახალგაზრდობის სამინისტრო",
            "Ministry of Education, Science and Youth",
            tbilisi,
            rng,
        )
        emis = self.org(
            "emis",
            OrgKind.EMIS,
            "განათლების მართვის საინფორმაციო სისტემა",
            "Education Management Information System (EMIS)",
            tbilisi,
            rng,
        )
        naec = self.org(
            "naec",
            OrgKind.NAEC,
            "შეფასებისა და გამოცდების ეროვნული ცენტრი",
            "National Assessment and Examinations Centre (NAEC)",
            tbilisi,
            rng,
        )
        quality = self.org(
            "nceqe",
            OrgKind.QUALITY_CENTRE,
            "განათლების ხარისხის განვითარების ეროვნული ცენტრი",
            "National Centre for Educational Quality Enhancement",
            tbilisi,
            rng,
        )
        regions = list(Region.objects.prefetch_related("municipalities").order_by("code"))
        resource_centres = []
        for region in regions:
            munis = list(region.municipalities.order_by("code"))
            if not munis:
                continue
            centre = munis[0]
            resource_centres.append(
                self.org(
                    f"rc-{region.code.lower()}",
                    OrgKind.RESOURCE_CENTRE,
                    f"{region.name_ka} — საგანმანათლებლო რესურსცენტრი",
                    f"{region.name_en} educational resource centre",
                    centre,
                    rng,
                )
            )
        self.ministry_user = self.staff("ministry", ministry, [Role.MINISTRY_OFFICER])
        self.emis_user = self.staff("emis", emis, [Role.EMIS_OPERATOR])
        self.naec_user = self.staff("naec", naec, [Role.NAEC_OFFICER])
        self.staff("quality", quality, [Role.QUALITY_OFFICER])
        institutions = self.institutions(regions)
        host = self.org(
            "exam-host-rustavi",
            OrgKind.EXAM_HOST,
            "რუსთავის საგამოცდო ცენტრი",
            "Rustavi exam centre",
            Municipality.objects.filter(code="rustavi").first() or tbilisi,
            rng,
        )
        first_inst = institutions[0].organisation
        self.clerk_user = self.staff("clerk", resource_centres[0], [Role.REGISTRATION_CLERK])
        college = self.college_user = self.staff(
            "college", first_inst, [Role.INSTITUTION_ADMIN, Role.REGISTRATION_CLERK]
        )
        self.commission_users = [self.staff("commission", naec, [Role.COMMISSION_MEMBER])] + [
            self.staff(f"commission-{n}", naec, [Role.COMMISSION_MEMBER]) for n in range(2, 6)
        ]
        self.proctor_user = self.staff("proctor", naec, [Role.PROCTOR])
        self.staff("host", host, [Role.EXAM_HOST_MANAGER])
        self.certification(tbilisi)
        self.programmes(institutions)
        self.result.round = self.rounds(institutions)
        self.registry()
        if self.phase == "enrolment":
            counts.update(
                enrolment.build(
                    self.result.round,
                    institutions[0],
                    {"emis": self.emis_user, "ministry": self.ministry_user, "college": college},
                    self.anchor,
                )
            )
        else:
            counts.update(self.exams(institutions, host))
        counts.update(
            sen_demo.build(
                self,
                ministry=ministry,
                resource_centre=resource_centres[0],
                college_inst=institutions[0],
                round_=self.result.round,
                anchor=self.anchor,
                registry=json.loads(Path(settings.KARI_CIVIL_REGISTRY["PATH"]).read_text("utf-8")),
                complete=self.phase == "sen",
            )
        )
        counts.update(
            {
                "organisations": Organisation.objects.count(),
                "institutions": len(institutions),
                "programmes": Programme.objects.count(),
                "confirmed announcements": Announcement.objects.filter(
                    status=AnnouncementStatus.CONFIRMED
                ).count(),
            }
        )
        self.result.counts = counts
        return self.result

    def exams(self, institutions, host) -> dict:
        """Exam centres and the running round's sessions; in the distribution phase, registered
        applicants distributed to the centres; on its test day (``phase="exams"``), their
        invitations issued as well."""
        rng = random.Random(self.seed + 2)
        centres = exams.centres(self.emis_user, institutions, host, rng)
        first = None
        if self.phase == "exams":  # the first session's check-in is open now
            now = timezone.localtime()
            first = (now + dt.timedelta(minutes=45)).replace(second=0, microsecond=0, tzinfo=None)
            first -= dt.timedelta(minutes=first.minute % 5)
            # A check-in window may not cross midnight: late in the evening, start at 23:55.
            first = min(first, dt.datetime.combine(now.date(), dt.time(23, 55)))
        sessions = exams.sessions(self.naec_user, self.result.round, first)
        out = {"exam centres": len(centres), "sessions": len(sessions)}
        if self.phase in ("exams", "distribution", "results", "final-lists", "ranking"):
            out.update(
                exams.exam_day(
                    self.emis_user,
                    self.result.round,
                    self.applicants,
                    rng,
                    issue=self.phase != "distribution",
                    naec=self.naec_user,
                )
            )
        if self.phase in ("exams", "results", "final-lists", "ranking"):
            out.update(self.appeals(rng))
        if self.phase in ("final-lists", "ranking"):
            out.update(
                ranking_demo.build(
                    self.result.round,
                    {"emis": self.emis_user, "naec": self.naec_user},
                    institutions[0],
                    self.anchor,
                    approve=self.phase == "ranking",
                )
            )
        if self.phase == "ranking":  # the demo college's subsequent stage, at EMIS's check
            out.update(
                subsequent_demo.build(
                    self.result.round,
                    institutions[0],
                    {
                        "emis": self.emis_user,
                        "college": self.college_user,
                        "clerk": self.clerk_user,
                    },
                    self.anchor,
                    json.loads(Path(settings.KARI_CIVIL_REGISTRY["PATH"]).read_text("utf-8"))[
                        -12:-6
                    ],
                )
            )
        return out

    def appeals(self, rng) -> dict:
        """The commission (A23.1); on the test day two complaints filed at check-in (A25.1);
        in the results phase everyone sat the test, NAEC's results are in (A26.1) and both
        complaints are decided, one upheld with a re-mark (A25.4)."""
        round_ = self.result.round
        commission = appeals.commission(self.naec_user, round_, self.commission_users)
        if self.phase == "exams":
            filed = appeals.file_two(self.proctor_user, round_, now=timezone.now())
            return {"complaints filed": len(filed)}
        appeals.admit_everyone(self.proctor_user, round_)
        filed = appeals.file_two(self.proctor_user, round_)
        appeals.decide_both(self.naec_user, commission, filed)
        import_results(
            self.naec_user,
            round_,
            appeals.results_file(round_, rng),
            "csv",
            filename="naec-results.csv",
            today=round_.results_published if self.phase != "results" else None,
        )
        return {"complaints decided": len(filed)}

    def certification(self, tbilisi):
        """The Solidarity Fund PL in Georgia, its team, signing key and an open call."""
        fund = self.org(
            "solidarity-fund",
            OrgKind.CERTIFIER,
            "სოლიდარობის ფონდი PL საქართველოში",
            "Solidarity Fund PL in Georgia",
            tbilisi,
            self.rng,
        )
        officer = self.staff("certifier", fund, [Role.CERTIFICATION_OFFICER])
        self.staff("expert1", fund, [Role.CERTIFICATION_REVIEWER])
        self.staff("expert2", fund, [Role.CERTIFICATION_REVIEWER])
        generate_key(fund)
        cert.create_call(
            officer,
            fund,
            programme_ka="დემოკრატიის მხარდაჭერა",
            programme_en="Democracy Support",
            title="ინდივიდუალური სერტიფიცირება — მონაწილეობის მექანიზმები",
            description="სერტიფიკატი მათთვის, ვისაც აქვს გამოცდილება მონაწილეობის მექანიზმებსა და "
            "პროცესებში (სამოქალაქო ბიუჯეტი, მონაწილეობითი ბიუჯეტირება).",
            eligibility="საჯარო და არასამთავრობო სექტორის წარმომადგენლები და ფიზიკური პირები, "
            "მონაწილეობის მექანიზმებში გამოცდილებით.",
            questions=[
                {
                    "code": "experience",
                    "label": (
                        "აღწერეთ თქვენი გამოცდილება მონაწილეობის მექანიზმებში / Your experience"
                    ),
                    "required": True,
                },
                {
                    "code": "motivation",
                    "label": "რატომ გსურთ სერტიფიკატის მიღება? / Your motivation",
                    "required": True,
                },
                {
                    "code": "plans",
                    "label": (
                        "როგორ განავითარებდით სამოქალაქო ბიუჯეტს? / "
                        "How would you develop the civic budget?"
                    ),
                    "required": False,
                },
            ],
            opens_on=self.anchor - dt.timedelta(days=7),
            closes_on=self.anchor + dt.timedelta(days=30),
        )

    def institutions(self, regions):
        rng = self.rng
        names = list(self.people["college_names"])
        rng.shuffle(names)
        patterns = self.people["institution_patterns"]
        slots = []
        for region in regions:
            munis = list(region.municipalities.order_by("code"))
            if munis:
                slots.append((region, munis))
        # every region gets at least two, Tbilisi more, the rest spread by region size
        plan = []
        for region, munis in slots:
            plan += [(region, munis)] * (REGION_WEIGHT.get(region.code, 2))
        while len(plan) < INSTITUTIONS:
            region, munis = rng.choice(slots)
            plan.append((region, munis))
        out = []
        for i, (region, munis) in enumerate(plan[:INSTITUTIONS], start=1):
            name = names[i % len(names)]
            pattern = patterns[i % len(patterns)]
            muni = munis[0] if region.code == "TB" else rng.choice(munis)
            suffix = "" if i <= len(names) else f" {i // len(names) + 1}"
            data = {
                "code": f"inst-{i:03d}",
                "name_ka": pattern["ka"].format(name=name["ka"]) + suffix,
                "name_en": pattern["en"].format(name=name["en"]) + suffix,
                "legal_form": "საჯარო სამართლის იურიდიული პირი"
                if rng.random() < 0.8
                else "არასამეწარმეო (არაკომერციული) იურიდიული პირი",
                "municipality": muni.code,
                "address": (
                    f"{rng.choice(self.people['street_names'])['ka']} {rng.randint(1, 150)}, "
                    f"{muni.name_ka}"
                ),
                "phone": _phone(rng),
                "email": f"info@inst-{i:03d}.demo.kari.ge",
                "heads": [],
            }
            first, last = self.person()
            data["heads"] = [{"name": f"{first['ka']} {last['ka']}", "phone": _phone(rng)}]
            out.append(services.save_institution(self.emis_user, data, reason="demo data"))
        return out

    def programmes(self, institutions):
        """~400 programmes, created through the catalogue service as EMIS would import them."""
        rng = self.rng
        fields = reference.field_defaults()
        field_codes = sorted(fields)
        plan = []
        for inst in institutions:
            for fcode in rng.sample(field_codes, k=rng.randint(3, 6)):
                for p in rng.sample(fields[fcode]["programmes"], k=rng.randint(1, 2)):
                    plan.append((inst, fcode, p))
        while len(plan) < 400:
            fcode = rng.choice(field_codes)
            plan.append(
                (
                    institutions[len(plan) % len(institutions)],
                    fcode,
                    rng.choice(fields[fcode]["programmes"]),
                )
            )
        for n, (inst, fcode, p) in enumerate(plan, start=1):
            f = fields[fcode]
            work_based = rng.random() < 0.08
            services.save_programme(
                self.emis_user,
                inst,
                {
                    "code": f"{fcode}-{n:04d}",
                    "name_ka": p["name_ka"],
                    "name_en": p["name_en"],
                    "field": fcode,
                    "stage": "primary",
                    "art_sport_tourism": bool(p.get("art_sport_tourism")),
                    "work_based": work_based,
                    "framework_based": rng.random() < 0.3,
                    "skills_test": f["skills_test"],
                    "subject_group": f["subject_group"],
                    "foreign_language": rng.choice(["any", "any", "any", "en", "de", "ru", "fr"]),
                    "extra_requirements": rng.choice(
                        [
                            "საბაზო განათლების დამადასტურებელი დოკუმენტი",
                            "საბაზო განათლება; ჯანმრთელობის ცნობა (ფორმა №100)",
                            "საბაზო განათლება; 16 წლის ასაკი",
                        ]
                    ),
                    "work_based_specifics": (
                        "კონკურსი: გასაუბრება და პრაქტიკული დავალება; სწავლება "
                        "დამსაქმებელთან, სამუშაო გარემოში"
                    )
                    if work_based
                    else "",
                    "authorised_places": rng.choice([10, 12, 15, 15, 20, 20, 24, 25, 30, 40]),
                },
                reason="demo data",
            )

    def rounds(self, institutions) -> Round:
        """Two rounds: one running (registration open, all announcements confirmed) and the
        next one, for which institutions are announcing (the demo college's is a draft)."""
        running = running_schedule(self.anchor, self.phase)
        current = self.round_with_announcements(
            institutions, running, lambda n: AnnouncementStatus.CONFIRMED
        )
        self.round_with_announcements(
            institutions,
            next_schedule(self.anchor, running),
            lambda n: (
                AnnouncementStatus.DRAFT
                if n == 0
                else (AnnouncementStatus.SUBMITTED if n % 12 == 5 else AnnouncementStatus.CONFIRMED)
            ),
        )
        return current

    @transaction.atomic
    def round_with_announcements(self, institutions, sched, status_of) -> Round:
        rng = self.rng
        year, season = round_key(
            sched["test_starts"], set(Round.objects.values_list("year", "season"))
        )
        r = Round.objects.create(year=year, season=season, **sched)
        record(None, "round.create", r, after=r.schedule(), reason="demo data")
        now = timezone.now()
        for n, inst in enumerate(institutions):
            status = status_of(n)
            ann = Announcement.objects.create(institution=inst, round=r, status=status)
            lines = []
            for p in inst.programmes.order_by("code"):
                # Most announce the authorised number; a few differ (for A13.6 to catch).
                places = p.authorised_places if rng.random() < 0.95 else p.authorised_places + 5
                sen = 0 if p.work_based else -(-places // 10) + rng.choice([0, 0, 1])
                if status != AnnouncementStatus.DRAFT:
                    lines.append(
                        AnnouncementLine(
                            announcement=ann, programme=p, places=places, sen_places=sen
                        )
                    )
            AnnouncementLine.objects.bulk_create(lines)
            if status != AnnouncementStatus.DRAFT:
                ann.submitted_at = now
            if status == AnnouncementStatus.CONFIRMED:
                ann.confirmed_at = now
            ann.save()
            record(None, f"announcement.{status}", ann, after=ann.snapshot(), reason="demo data")
        return r

    def registry(self):
        rng = random.Random(self.seed + 1)
        path = Path(settings.KARI_CIVIL_REGISTRY["PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        people, seen = [], set()
        while len(people) < self.people_count:
            number = f"{rng.randint(1, 62):02d}{rng.randint(0, 10**9 - 1):09d}"
            if number in seen:
                continue
            seen.add(number)
            first, last = self.person()
            born = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 6))
            people.append(
                {
                    "personal_number": number,
                    "first_name_ka": first["ka"],
                    "last_name_ka": last["ka"],
                    "first_name_en": first["en"],
                    "last_name_en": last["en"],
                    "birth_date": born.isoformat(),
                    "document_number": document_number(number),
                }
            )
        path.write_text(json.dumps(people, ensure_ascii=False, indent=0), "utf-8")


def document_number(personal_number: str) -> str:
    """A demo ID card number (two digits, two letters, five digits), derived from the
    personal number so that the registry's people stay as they were."""
    h = int(hashlib.sha256(f"demo-id:{personal_number}".encode()).hexdigest(), 16)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return f"{h % 100:02d}{letters[h // 100 % 26]}{letters[h // 2600 % 26]}{h // 67600 % 10**5:05d}"


def build(
    seed: int = 1,
    anchor: dt.date | None = None,
    people: int = 2000,
    phase: str = "registration",
    applicants: int = 400,
) -> DemoResult:
    return Builder(seed, anchor or timezone.localdate(), people, phase, applicants).build()
