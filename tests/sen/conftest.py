"""The SEN track's test world: the shared world's institutions with confirmed announcements
that reserve SEN places, a civil registry, an expert team of three, and the SEN schedule."""

import datetime as dt
import json
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from kari.accounts.roles import OrgKind, Role
from kari.catalogue.models import Announcement, AnnouncementLine, AnnouncementStatus
from kari.sen import services
from kari.sen.models import Channel, Stage
from tests.conftest import make_user

TODAY = timezone.localdate()
PEOPLE = [(f"0200000{i:04d}", f"DOC{i:05d}", "სახელი", f"გვარი{i}") for i in range(20)]


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@dataclass
class Sen:
    world: dict
    round: object
    officer: object
    distributor: object
    clerk: object
    admin: object
    commission_member: object
    experts: list
    team: object
    programmes: list
    sent: list = field(default_factory=list)
    acts: int = 0

    def schedule(self, opens=-5, closes=5, test=(10, 12), minutes=120, stage=Stage.PRIMARY):
        return services.set_schedule(
            self.officer,
            self.round,
            stage,
            registration_opens=days(opens),
            registration_closes=days(closes),
            test_starts=days(test[0]),
            test_ends=days(test[1]),
            max_minutes=minutes,
        )

    def register(self, i=0, codes=None, *, channel=Channel.CENTRE, stage=Stage.PRIMARY, **extra):
        data = {
            "personal_number": PEOPLE[i][0],
            "document_number": PEOPLE[i][1],
            "phone": f"+995555100{i:03d}",
            "email": f"sen{i}@example.ge",
            "programmes": codes or [p.code for p in self.programmes[:3]],
            **extra,
        }
        actor = self.clerk if channel == Channel.CENTRE else None
        if stage == Stage.SUBSEQUENT and channel == Channel.CENTRE:  # A38.6: no code
            return services.register_subsequent(actor, data, self.round)
        pending = services.start_registration(actor, data, self.round, stage=stage, channel=channel)
        return services.confirm_registration(pending.code_id, self.sent[-1])

    def hosts(self, assignments, *, actor=None, number=None, issued_on=None, stage=Stage.PRIMARY):
        """A39.1: the minister's act distributing `assignments` (registration → institution)
        to the hosts it names."""
        self.acts += 1
        return services.issue_hosts_act(
            actor or self.officer,
            self.round,
            stage,
            number=number or f"ც-{self.acts}",
            issued_on=issued_on or TODAY,
            hosts=list({i.pk: i for i in assignments.values()}.values()) or [self.world["inst_a"]],
            assignments=assignments,
        )

    def conclusion(self, i=0, *, signers=3, **flags):
        from kari.registration.models import Applicant

        a = services.request_assessment(
            self.experts[0], PEOPLE[i][0], requested_on=TODAY, requested_by="applicant"
        )
        services.write_conclusion(
            self.experts[0], a, findings="ფუნქციური უნარები შეფასებულია.", **flags
        )
        for e in self.experts[:signers]:
            services.sign_conclusion(e, a)
        assert Applicant.objects.filter(pk=a.applicant_id).exists()
        return a


@pytest.fixture
def sen(world, tmp_path, settings, monkeypatch):
    import kari.notify

    monkeypatch.setattr(kari.notify.transaction, "on_commit", lambda f, *a, **k: f())
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps(
            [
                {
                    "personal_number": n,
                    "document_number": d,
                    "first_name_ka": f,
                    "last_name_ka": la,
                    "birth_date": "2007-05-01",
                }
                for n, d, f, la in PEOPLE
            ]
        ),
        "utf-8",
    )
    settings.KARI_CIVIL_REGISTRY = {
        "BACKEND": "kari.identity.registry.LocalFileRegistry",
        "PATH": str(path),
    }
    settings.KARI_SMS = {
        "BACKEND": "kari.sms.FileOutboxBackend",
        "OPTIONS": {"path": str(tmp_path / "sms.jsonl")},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent: list[str] = []
    monkeypatch.setattr(
        services, "_deliver_code", lambda email, phone, plain: sent.append(plain) or ["•••"]
    )
    users = world["users"]
    round_ = world["round"]
    programmes = [*world["progs_a"], world["prog_b"]]
    for inst in (world["inst_a"], world["inst_b"]):
        ann = Announcement.objects.create(
            institution=inst, round=round_, status=AnnouncementStatus.CONFIRMED
        )
        for p in programmes:
            if p.institution_id == inst.pk:
                AnnouncementLine.objects.create(
                    announcement=ann, programme=p, places=20, sen_places=2
                )
    team_org = world["orgs"][OrgKind.EXPERT_TEAM][0]
    experts = [users[Role.SEN_EXPERT]] + [
        make_user(f"expert-{i}", team_org, [Role.SEN_EXPERT]) for i in (2, 3, 4)
    ]
    team = services.form_team(
        users[Role.SEN_OFFICER], team_org, act_number="ექსპ-1", formed_on=TODAY, members=experts
    )
    for p in programmes:  # A40.4: the minister's form for every programme
        services.set_scoring_form(
            users[Role.SEN_OFFICER],
            p,
            act_number=f"ფ-{p.code}",
            issued_on=TODAY,
            activities=[{"name": "ბოსტნეულის დაჭრა", "max_score": 10, "criteria": "სიზუსტე"}],
        )
    return Sen(
        world=world,
        round=round_,
        officer=users[Role.SEN_OFFICER],
        distributor=users[Role.SEN_DISTRIBUTION],
        clerk=users[Role.REGISTRATION_CLERK],
        admin=users[Role.INSTITUTION_ADMIN],
        commission_member=users[Role.SEN_EXAM_COMMISSION],
        experts=experts,
        team=team,
        programmes=programmes,
        sent=sent,
    )


def cites(exc, citation: str) -> bool:
    """The refusal names its rule, in English or in its Georgian form („მუხ. 37.8“)."""
    from kari.citations import cite

    text = str(exc)
    return citation in text or cite(citation, "ka") in text
