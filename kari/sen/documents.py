"""The SEN documents built from the database, rendered by :mod:`kari.documents.sen`."""

from django.urls import reverse
from django.utils import timezone, translation

from kari.documents.sen import SenAct, SenPlacement, SenPrintout, render_act, render_printout
from kari.identity.validators import mask_personal_number

from . import rules, selectors
from .models import Act, DocumentKind, SenRegistration, Stage


def site_url(path: str) -> str:
    from .services import site_url as url

    return url(path)


def both(label) -> str:
    """A label as "ქართული / English"."""
    texts = []
    for lang in ("ka", "en"):
        with translation.override(lang):
            texts.append(str(label))
    return texts[0] if texts[0] == texts[1] else " / ".join(texts)


A38_10 = (
    "მუხლი 38.10: დოკუმენტების წარდგენა სავალდებულოა მხოლოდ იმ შემთხვევაში, თუ აპლიკანტი "
    "ექსპერტთა გუნდის მიერ შეფასებული არ არის ან/და სწავლას აგრძელებს სხვა პროფესიულ "
    "საგანმანათლებლო დაწესებულებაში / A38.10: the documents are required only if the applicant "
    "has not been assessed by an expert team or continues at another vocational institution"
)
A38_10_EXEMPT = (
    "აპლიკანტი შეფასებულია ექსპერტთა გუნდის მიერ და სწავლას არ აგრძელებს სხვა დაწესებულებაში: "
    "დოკუმენტების წარდგენა სავალდებულო არ არის / The applicant has been assessed by an expert "
    "team and does not continue at another institution: the documents are not required"
)


def _document_lines(reg: SenRegistration) -> list[str]:
    """All of A37.10 (a)-(e) / A38.9 (a)-(e), each saying when it is needed: the printout lists
    them all, as the rule says (A37.6, A38.6), without the applicant's own findings. At the
    subsequent stage A38.10's condition comes first, and whether it exempts the applicant."""
    subsequent = reg.stage == Stage.SUBSEQUENT
    when = {
        DocumentKind.CONCLUSION: (
            "(ა) ექსპერტთა გუნდის მინიმუმ სამი წევრის ხელმოწერით / signed by at least three members"
            if subsequent
            else "(ა) სავალდებულოა; ექსპერტთა გუნდის მინიმუმ სამი წევრის ხელმოწერით / "
            "required; signed by at least three members"
        ),
        DocumentKind.LEARNING_PLAN: "(ბ) ასეთის არსებობის შემთხვევაში / if any",
        DocumentKind.AUDIOGRAM: "(გ.ა) სმენის დარღვევისას / for a hearing impairment",
        DocumentKind.OPHTHALMOLOGIST: "(გ.ბ) მხედველობის დარღვევისას / for a sight impairment",
        DocumentKind.SPECIALIST: (
            "(დ) ქცევითი და ემოციური აშლილობისას / for a behavioural or emotional disorder"
        ),
        DocumentKind.DISABILITY: "(ე) ასეთის არსებობის შემთხვევაში / if any",
    }
    lines = [f"{both(label)}: {when[kind]}" for kind, label in DocumentKind.choices]
    if subsequent:
        lines.insert(0, A38_10_EXEMPT if selectors.documents_exempt(reg) else A38_10)
    return lines


def printout_pdf(reg: SenRegistration) -> bytes:
    a = reg.applicant
    return render_printout(
        SenPrintout(
            number=reg.number,
            round_label=both(reg.round),
            stage=both(Stage(reg.stage).label),
            applicant=a.full_name,
            personal_number=a.personal_number,
            phone=reg.phone,
            email=reg.email,
            registered_at=f"{timezone.localtime(reg.registered_at):%d.%m.%Y %H:%M:%S}",
            version=reg.version,
            clerk=reg.clerk_name or "— (ონლაინ / online)",
            centre=reg.centre.name_ka if reg.centre else "—",
            documents_due=f"{reg.documents_due:%d.%m.%Y}",
            programmes=[
                (
                    c.programme.code,
                    c.programme.name_ka,
                    c.programme.institution.organisation.name_ka,
                )
                for c in reg.choices.select_related("programme__institution__organisation")
            ],
            documents=_document_lines(reg),
            verify_url=site_url(reverse("sen:verify", args=[reg.token])),
        )
    )


def act_pdf(act: Act, verify_url: str, ministry) -> bytes:
    return render_act(
        SenAct(
            number=act.number,
            round_label=both(act.round),
            stage=both(Stage(act.stage).label),
            issued_on=f"{act.issued_on:%d.%m.%Y}" if act.issued_on else "",
            distributed_on=f"{act.distributed_on:%d.%m.%Y}",
            placements=[
                SenPlacement(
                    applicant=p.registration.applicant.full_name,
                    personal_number=mask_personal_number(p.registration.applicant.personal_number),
                    programme=f"{p.programme.code} {p.programme.name_ka}",
                    institution=p.programme.institution.organisation.name_ka,
                )
                for p in selectors.placements_of(act)
            ],
            verify_url=verify_url,
        )
    )


__all__ = ["act_pdf", "printout_pdf", "rules"]
