import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kari.accounts.roles import OrgKind, Role
from kari.certification import services
from kari.certification.models import CertApplicant
from tests.conftest import make_org, make_user

QUESTIONS = [
    {
        "code": "experience",
        "label": "Describe your experience with civic budgets",
        "required": True,
    },
    {"code": "motivation", "label": "Why do you want the certificate?", "required": True},
]


@pytest.fixture(autouse=True)
def notices_sent_at_once(monkeypatch):
    """The test transaction never commits; send notices immediately instead of on commit."""
    import kari.notify

    monkeypatch.setattr(kari.notify.transaction, "on_commit", lambda f, *a, **k: f())


@pytest.fixture
def cert(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org = make_org("solidarity-fund", OrgKind.CERTIFIER)
    officer = make_user("officer", org, [Role.CERTIFICATION_OFFICER])
    reviewers = [make_user(f"reviewer-{i}", org, [Role.CERTIFICATION_REVIEWER]) for i in range(3)]
    today = timezone.localdate()
    call = services.create_call(
        officer,
        org,
        programme_ka="დემოკრატიის მხარდაჭერა",
        programme_en="Democracy Support",
        title="ინდივიდუალური სერტიფიცირება 2026",
        description="მონაწილეობის მექანიზმები",
        eligibility="გამოცდილება სამოქალაქო ბიუჯეტში",
        questions=QUESTIONS,
        opens_on=today - dt.timedelta(days=5),
        closes_on=today + dt.timedelta(days=10),
    )
    return {"org": org, "officer": officer, "reviewers": reviewers, "call": call}


def applicant(email="nino@example.ge", name="ნინო ბერიძე"):
    return CertApplicant.objects.create(email=email, full_name_ka=name)


def submitted(cert, who=None):
    who = who or applicant()
    app = services.save_draft(
        who,
        cert["call"],
        answers={"experience": "5 წელი", "motivation": "სწავლა"},
        profile={"full_name_ka": who.full_name_ka},
    )
    services.add_upload(who, app, "cv", SimpleUploadedFile("cv.pdf", b"%PDF-1.4 cv"))
    return services.submit(who, app)
