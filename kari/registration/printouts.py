"""The registration printout (A15.4, A15.6, A16.4) and its verification link."""

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from kari.documents import Printout, ProgrammeChoice, registration_printout

SALT = "kari.registration.printout"


def verify_path(reg) -> str:
    token = signing.dumps({"r": reg.pk, "v": reg.version}, salt=SALT)
    return reverse("registration:verify", args=[token])


def _local(dt_value) -> str:
    return timezone.localtime(dt_value).strftime("%d.%m.%Y %H:%M:%S")


def render(reg, verify_url: str) -> bytes:
    a = reg.applicant
    return registration_printout(
        Printout(
            number=reg.number,
            round_label=str(reg.round),
            stage=reg.stage,
            applicant_name=a.full_name,
            personal_number=a.personal_number,
            birth_date=a.birth_date.strftime("%d.%m.%Y"),
            phone=a.phone,
            email=a.email,
            exam_municipality=reg.exam_municipality.name_ka if reg.exam_municipality else "",
            test_language=reg.get_test_language_display(),
            foreign_language=reg.foreign_language,
            skills_test=reg.skills_test.name_ka if reg.skills_test else "",
            subject_group=reg.subject_group.name_ka if reg.subject_group else "",
            adapted_environment=reg.adapted_environment,
            programmes=[
                ProgrammeChoice(
                    rank=c.rank,
                    code=c.programme.code,
                    name=c.programme.name_ka,
                    institution=c.programme.institution.organisation.name_ka,
                )
                for c in reg.choices.select_related("programme__institution__organisation")
            ],
            registered_at=_local(reg.registered_at),
            version=reg.version,
            channel=reg.get_channel_display(),
            clerk_name=reg.clerk.display_name if reg.clerk else "",
            centre_name=reg.centre.name_ka if reg.centre else "",
            printed_at=_local(timezone.now()),
            verify_url=verify_url,
        )
    )
