import datetime as dt

import pytest
from django.utils import timezone


def make_registration(round_, n, programmes, *, carried_over=False, retakes_test=True):
    """An applicant with a registration for the round and a ranked list of programmes."""
    from kari.registration.models import Applicant, Choice, Registration

    a = Applicant.objects.create(
        personal_number=f"0200200{n:04d}",
        first_name_ka="გიორგი",
        last_name_ka=f"მაისურაძე{n}",
        first_name_en="Giorgi",
        last_name_en=f"Maisuradze{n}",
        birth_date=dt.date(2008, 2, 1 + n % 27),
        phone=f"+99559913{n:04d}",
        email=f"giorgi{n}@example.ge",
    )
    now = timezone.now()
    first = programmes[0] if programmes else None
    reg = Registration.objects.create(
        applicant=a,
        round=round_,
        channel="online",
        test_language="ka",
        foreign_language="en",
        skills_test=first.skills_test if first else None,
        subject_group=first.subject_group if first else None,
        registered_at=now,
        updated_at=now,
        carried_over=carried_over,
        retakes_test=retakes_test,
    )
    for rank, p in enumerate(programmes, start=1):
        Choice.objects.create(registration=reg, rank=rank, programme=p)
    return reg


@pytest.fixture
def make_reg():
    return make_registration


class RoundBuilder:
    """A round after its re-ranking window: programmes with confirmed places, applicants with
    ranked lists and NAEC's results, built through the models the earlier apps fill."""

    def __init__(self, world):
        from kari.accounts.roles import Role

        self.world = world
        self.round = world["round"]
        self.emis = world["users"][Role.EMIS_OPERATOR]
        self.naec = world["users"][Role.NAEC_OFFICER]
        self.admin = world["users"][Role.INSTITUTION_ADMIN]
        self.inst = world["inst_a"]
        self.n = 0
        self._results = []
        today = timezone.localdate()
        r = self.round
        d = lambda n: today + dt.timedelta(days=n)  # noqa: E731
        r.announcement_deadline = d(-80)
        r.registration_opens, r.registration_closes = d(-75), d(-60)
        r.test_starts, r.test_ends = d(-30), d(-28)
        r.results_published, r.reranking_opens, r.reranking_closes = d(-20), d(-19), d(-2)
        r.ranking_date, r.enrolment_starts, r.enrolment_ends = d(3), d(10), d(20)
        r.save()

    def programme(self, code, places, *, kind="ordinary", authorised=None, institution=None):
        from kari.catalogue.models import Announcement, AnnouncementLine, AnnouncementStatus
        from kari.catalogue.services import save_programme
        from tests.conftest import programme_data

        inst = institution or self.inst
        admin = self.admin if inst == self.inst else self.world["admin_b"]
        p = save_programme(admin, inst, programme_data(code))
        p.work_based = kind == "work_based"
        p.art_sport_tourism = kind == "art"
        p.authorised_places = authorised
        p.save()
        ann, _ = Announcement.objects.get_or_create(
            institution=inst,
            round=self.round,
            defaults={"status": AnnouncementStatus.CONFIRMED},
        )
        AnnouncementLine.objects.create(announcement=ann, programme=p, places=places, sen_places=0)
        return p

    def applicant(self, score, programmes, status="completed", **flags):
        self.n += 1
        reg = make_registration(self.round, self.n, programmes, **flags)
        if status is not None:
            self._results.append((reg, status, score))
        return reg

    def publish_results(self):
        from decimal import Decimal

        from kari.exams.models import Result, ResultImport

        imp = ResultImport.objects.create(
            round=self.round,
            number=ResultImport.objects.filter(round=self.round).count() + 1,
            at=timezone.now(),
            by=self.naec,
            filename="results.csv",
            sha256="0" * 64,
            rows=len(self._results),
            on_time=True,
        )
        Result.objects.bulk_create(
            Result(
                result_import=imp,
                registration=reg,
                status=status,
                skills_score=None if score is None else Decimal(str(score)),
                subject_scores={},
            )
            for reg, status, score in self._results
        )
        return imp

    def competition(self, programme, reg, score):
        from kari.ranking.models import CompetitionResult

        return CompetitionResult.objects.create(
            round=self.round,
            programme=programme,
            registration=reg,
            score=score,
            submitted_at=timezone.now(),
            submitted_by=self.admin,
        )

    def rank(self, *, approve=False):
        from kari.ranking import services

        self.publish_results()
        services.freeze_final_lists(self.emis, self.round)
        ranking = services.build_ranking(self.naec, self.round)
        if approve:
            ranking = services.approve_ranking(self.naec, ranking)
        return ranking


@pytest.fixture
def rb(world, settings, tmp_path):
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.FileOutboxBackend",
        "OPTIONS": {"path": str(tmp_path / "sms.jsonl")},
    }
    return RoundBuilder(world)


def outcome(ranking):
    """Registration id -> (programme code, by tie rule) of the admitted."""
    return {
        a.registration_id: (a.programme.code, a.by_tie_rule)
        for a in ranking.admissions.select_related("programme")
    }


@pytest.fixture
def stage(rb):
    """Two subsequent-stage programmes of the demo college, with the head's test schedule and
    registrants who chose them."""
    from kari.catalogue.models import Announcement, AnnouncementLine, SubsequentSchedule
    from kari.catalogue.services import save_programme
    from kari.registration.models import Choice
    from tests.conftest import programme_data

    progs = []
    ann = Announcement.objects.get_or_create(
        institution=rb.inst, round=rb.round, defaults={"status": "confirmed"}
    )[0]
    for code, places in (("S-1", 2), ("S-2", 2)):
        p = save_programme(rb.admin, rb.inst, programme_data(code, stage="subsequent"))
        AnnouncementLine.objects.create(announcement=ann, programme=p, places=places, sen_places=0)
        progs.append(p)
    today = timezone.localdate()
    SubsequentSchedule.objects.create(
        institution=rb.inst,
        round=rb.round,
        test_starts=today - dt.timedelta(days=3),
        test_ends=today - dt.timedelta(days=2),
        act_number="15/3",
        act_date=today - dt.timedelta(days=30),
        updated_at=timezone.now(),
    )
    regs = []
    for n in range(5):
        reg = make_registration(rb.round, 500 + n, [])
        reg.stage = "subsequent"
        reg.save(update_fields=["stage"])
        for rank, p in enumerate(progs, start=1):
            Choice.objects.create(registration=reg, rank=rank, programme=p)
        regs.append(reg)
    return rb, progs, regs
