"""Issue 19 (2): labels are never capitalised in Georgian. Django's ModelForm labels a field
``capfirst(verbose_name)``, which turns a Georgian first letter into Mtavruli (an empty box in
the interface's fonts); English labels keep their capital."""

import pytest
from django.utils import translation

from kari.accounts.roles import Role
from kari.exams.models import ExamCentre
from kari.labels import has_mtavruli, sentence_case
from kari.rounds.models import Round
from tests.conftest import sign_in


def test_sentence_case_leaves_georgian_as_written_and_capitalises_english():
    assert str(sentence_case("კოდი")) == "კოდი"
    assert str(sentence_case("\u1c99ოდი")) == "კოდი"  # a Mtavruli first letter is undone
    assert str(sentence_case("code")) == "Code"
    assert has_mtavruli("\u1c99") and not has_mtavruli("კოდი Code")


@pytest.mark.parametrize(
    "role, url",
    [
        (Role.MINISTRY_OFFICER, "/rounds/new/"),
        (Role.MINISTRY_OFFICER, "/rounds/{round}/schedule/"),
        (Role.EMIS_OPERATOR, "/exams/centres/new/"),
    ],
)
def test_form_labels_have_no_mtavruli_in_georgian(world, client, role, url):
    sign_in(client, world["users"][role])
    response = client.get(url.format(round=world["round"].pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert not has_mtavruli(html), [c for c in html if 0x1C90 <= ord(c) <= 0x1CBF][:5]
    model = ExamCentre if "centres" in url else Round
    field = "seats" if model is ExamCentre else "registration_opens"
    with translation.override("ka"):
        label = str(model._meta.get_field(field).verbose_name)
    assert f">{label}</label>" in html
    english = client.get("/en" + url.format(round=world["round"].pk)).content.decode()
    with translation.override("en"):
        label = str(model._meta.get_field(field).verbose_name)
    assert f">{label[0].upper()}{label[1:]}</label>" in english
