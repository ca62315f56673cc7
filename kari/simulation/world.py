"""The world a simulated round runs in: the national bodies and their staff, institutions
with programmes, exam centres, the civil registry's people. Reference data, created through
the services as EMIS and the bodies would enter it."""

import datetime as dt
import hashlib
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from kari import workdays
from kari.accounts import services as accounts
from kari.accounts.roles import OrgKind, Role
from kari.catalogue import reference
from kari.catalogue import services as catalogue
from kari.catalogue.models import Municipality, Region
from kari.exams import services as exams

# simulated accounts, never signed in; unlike any username the simulation makes ("sen-trial-sim-022"
# was too similar to the earlier "simulated-staff-2027" for the password validators)
PASSWORD = "Kvevri-Amber-Harvest-8613"  # noqa: S105


@dataclass
class World:
    staff: dict = field(default_factory=dict)  # role name -> user
    institutions: list = field(default_factory=list)
    admins: dict = field(default_factory=dict)  # institution pk -> its admin
    programmes: list = field(default_factory=list)
    centres: list = field(default_factory=list)
    clerks: list = field(default_factory=list)
    commission: list = field(default_factory=list)
    people: list = field(default_factory=list)  # the applicants-to-be, from the registry
    parents: dict = field(default_factory=dict)  # personal number -> a parent's record
    # how staff accounts are made: (username, organisation, roles) -> user; None: simulated
    # accounts that never sign in (the demo passes its own, with passwords and authenticators)
    make_staff: object = None


def sizes(applicants: int) -> dict:
    """How big the world is for a number of applicants: Georgia's ~60 institutions and 33 exam
    centres at 10,000 applicants; fewer for a small simulation."""
    institutions = max(6, min(60, applicants // 160))
    centres = max(4, min(33, applicants // 300))
    return {"institutions": institutions, "centres": centres}


def _phone(rng) -> str:
    prefix = rng.choice(["555", "557", "558", "568", "571", "574", "577", "591", "593", "599"])
    return f"+995{prefix}{rng.randint(100000, 999999)}"


def document_number(personal_number: str) -> str:
    h = int(hashlib.sha256(f"sim-id:{personal_number}".encode()).hexdigest(), 16)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return f"{h % 100:02d}{letters[h // 100 % 26]}{letters[h // 2600 % 26]}{h // 67600 % 10**5:05d}"


class WorldBuilder:
    def __init__(self, rng: random.Random, applicants: int, directory: Path, make_staff=None):
        self.rng, self.n, self.dir = rng, applicants, directory
        self.names = reference.data("people")
        self.world = World(make_staff=make_staff)
        self.size = sizes(applicants)

    def person(self):
        female = self.rng.random() < 0.5
        first = self.rng.choice(self.names["female_names" if female else "male_names"])
        return first, self.rng.choice(self.names["surnames"])

    def org(self, code, kind, name_ka, name_en, municipality):
        return accounts.create_organisation(
            None,
            code=code,
            kind=kind,
            name_ka=name_ka,
            name_en=name_en,
            municipality=municipality,
            address=f"{self.rng.choice(self.names['street_names'])['ka']} {self.rng.randint(1, 9)}",
            phone=f"+995322{self.rng.randint(100000, 999999)}",
            email=f"info@{code}.sim.kari.ge",
        )

    def staff(self, username, org, roles):
        if self.world.make_staff is not None:
            return self.world.make_staff(username, org, roles)
        first, last = self.person()
        return accounts.create_staff(
            None,
            username=username,
            password=PASSWORD,
            organisation=org,
            roles=roles,
            full_name_ka=f"{first['ka']} {last['ka']}",
            email=f"{username}@sim.kari.ge",
        )

    def build(self) -> World:
        reference.load_reference()
        w = self.world
        tbilisi = Municipality.objects.get(code="tbilisi")
        bodies = {
            "ministry": (OrgKind.MINISTRY, Role.MINISTRY_OFFICER, "სამინისტრო", "Ministry"),
            "emis": (OrgKind.EMIS, Role.EMIS_OPERATOR, "მართვის სისტემა", "EMIS"),
            "naec": (OrgKind.NAEC, Role.NAEC_OFFICER, "ცენტრი", "NAEC"),
            "quality": (OrgKind.QUALITY_CENTRE, Role.QUALITY_OFFICER, "ხარისხის ცენტრი", "NCEQE"),
        }
        orgs = {}
        for code, (kind, role, ka, en) in bodies.items():
            orgs[code] = self.org(code, kind, ka, en, tbilisi)
            w.staff[code] = self.staff(code, orgs[code], [role])
        w.staff["proctor"] = self.staff("proctor", orgs["naec"], [Role.PROCTOR])
        w.commission = [
            self.staff(f"commission-{n}", orgs["naec"], [Role.COMMISSION_MEMBER])
            for n in range(1, 6)
        ]
        regions = list(Region.objects.prefetch_related("municipalities").order_by("code"))
        for region in regions[:4]:
            munis = list(region.municipalities.exclude(lat=None).order_by("code"))
            if munis:
                rc = self.org(
                    f"rc-{region.code.lower()}",
                    OrgKind.RESOURCE_CENTRE,
                    f"{region.name_ka} — რესურსცენტრი",
                    f"{region.name_en} resource centre",
                    munis[0],
                )
                w.clerks.append(
                    self.staff(f"clerk-{region.code.lower()}", rc, [Role.REGISTRATION_CLERK])
                )
        self.institutions(regions)
        self.programmes()
        self.registry()
        return w

    def institutions(self, regions) -> None:
        w, rng = self.world, self.rng
        slots = [(r, list(r.municipalities.exclude(lat=None).order_by("code"))) for r in regions]
        slots = [(r, m) for r, m in slots if m]
        names = self.names["college_names"]
        for i in range(1, self.size["institutions"] + 1):
            region, munis = slots[(i - 1) % len(slots)] if i <= len(slots) else rng.choice(slots)
            muni = munis[0] if i % 3 else rng.choice(munis)
            name = names[i % len(names)]
            first, last = self.person()
            inst = catalogue.save_institution(
                w.staff["emis"],
                {
                    "code": f"sim-{i:03d}",
                    "name_ka": f"{name['ka']} კოლეჯი {i}",
                    "name_en": f"{name['en']} College {i}",
                    "legal_form": "საჯარო სამართლის იურიდიული პირი",
                    "municipality": muni.code,
                    "address": f"{muni.name_ka}, {rng.randint(1, 150)}",
                    "phone": _phone(rng),
                    "email": f"info@sim-{i:03d}.sim.kari.ge",
                    "heads": [{"name": f"{first['ka']} {last['ka']}", "phone": _phone(rng)}],
                },
                reason="simulation: reference data",
            )
            w.institutions.append(inst)
            w.admins[inst.pk] = self.staff(
                f"admin-{i:03d}",
                inst.organisation,
                [Role.INSTITUTION_ADMIN, Role.REGISTRATION_CLERK],
            )

    def programmes(self) -> None:
        """Three to six fields per institution, one or two programmes each; places so that
        about four in five applicants can be admitted somewhere."""
        w, rng = self.world, self.rng
        fields = reference.field_defaults()
        codes = sorted(fields)
        plan = []
        for inst in w.institutions:
            for fcode in rng.sample(codes, k=min(len(codes), rng.randint(3, 6))):
                for p in rng.sample(fields[fcode]["programmes"], k=rng.randint(1, 2)):
                    plan.append((inst, fcode, p))
        mean = max(4, math.ceil(0.8 * self.n / len(plan)))
        for n, (inst, fcode, p) in enumerate(plan, start=1):
            f = fields[fcode]
            places = max(5, int(mean * rng.uniform(0.5, 1.5)))
            w.programmes.append(
                catalogue.save_programme(
                    w.staff["emis"],
                    inst,
                    {
                        "code": f"{fcode}-{n:04d}",
                        "name_ka": p["name_ka"],
                        "name_en": p["name_en"],
                        "field": fcode,
                        "stage": "primary",
                        "art_sport_tourism": False,
                        "work_based": False,
                        "framework_based": rng.random() < 0.3,
                        "skills_test": f["skills_test"],
                        "subject_group": f["subject_group"],
                        "foreign_language": rng.choice(["any"] * 5 + ["en", "de"]),
                        "extra_requirements": "საბაზო განათლების დამადასტურებელი დოკუმენტი",
                        "work_based_specifics": "",
                        "authorised_places": places,
                    },
                    reason="simulation: reference data",
                )
            )

    def registry(self) -> None:
        """The civil registry's people: the applicants-to-be (born 2005-2011) and a parent of
        each (who signs a minor's contract, A29.2)."""
        w, rng = self.world, random.Random(self.rng.random())
        people, seen = [], set()

        def number():
            while True:
                n = f"{rng.randint(1, 62):02d}{rng.randint(0, 10**9 - 1):09d}"
                if n not in seen:
                    seen.add(n)
                    return n

        def someone(born):
            first, last = self.person()
            pn = number()
            return {
                "personal_number": pn,
                "first_name_ka": first["ka"],
                "last_name_ka": last["ka"],
                "first_name_en": first["en"],
                "last_name_en": last["en"],
                "birth_date": born.isoformat(),
                "document_number": document_number(pn),
            }

        for _i in range(self.n):
            person = someone(dt.date(2005, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 6)))
            parent = someone(dt.date(1968, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 18)))
            w.people.append(person)
            w.parents[person["personal_number"]] = parent
            people += [person, parent]
        path = Path(settings.KARI_CIVIL_REGISTRY["PATH"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(people, ensure_ascii=False), "utf-8")


def centres(world: World, rng: random.Random, applicants: int) -> list:
    """Exam centres in the municipalities with the most institutions, hosted by colleges
    there; a third adapted (A17.2); seats enough for every session."""
    emis = world.staff["emis"]
    count = {}
    hosts = {}
    for inst in world.institutions:
        m = inst.organisation.municipality
        count[m] = count.get(m, 0) + 1
        hosts.setdefault(m.pk, []).append(inst.organisation)
    munis = sorted(count, key=lambda m: (-count[m], m.code))
    n = sizes(applicants)["centres"]
    seats = max(24, math.ceil(1.6 * applicants / n))
    out = []
    for i in range(n):
        muni = munis[i % len(munis)]
        k = i // len(munis) + 1
        host = hosts[muni.pk][(k - 1) % len(hosts[muni.pk])]
        out.append(
            exams.save_centre(
                emis,
                {
                    "code": f"EC-{muni.code}-{k}",
                    "name_ka": f"{muni.name_ka} — საგამოცდო ცენტრი №{k}",
                    "name_en": f"{muni.name_en} exam centre No. {k}",
                    "host": host,
                    "municipality": muni,
                    "address": host.address or muni.name_ka,
                    "seats": seats,
                    "sessions_per_day": 4,
                    "adapted": i % 3 == 0,
                    "active": True,
                },
            )
        )
    world.centres = out
    return out


STARTS = [dt.time(9, 0), dt.time(11, 30), dt.time(14, 0), dt.time(16, 30)]


def session_plan(round_, items) -> list[tuple[dt.date, dt.time]]:
    """Four sessions a working day from the first test day (Georgian holidays skipped)."""
    out, day = [], round_.test_starts
    for n in range(len(items)):
        if n and n % len(STARTS) == 0:
            day = workdays.next_working_day(day)
        out.append((day, STARTS[n % len(STARTS)]))
    return out
