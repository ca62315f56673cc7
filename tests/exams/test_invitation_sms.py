"""Issue 19, point 4: the invitation SMS fits in two messages and carries the date, the
check-in time, the centre and a working link (KARI_PUBLIC_URL)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kari import sms
from kari.exams.models import ExamCentre, Invitation
from kari.exams.services.invitations import invitation_sms

pytestmark = pytest.mark.django_db


def test_segments_count_gsm_and_georgian_texts():
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("a" * 306) == 2 and sms.segments("a" * 307) == 3
    assert sms.segments("ა" * 70) == 1 and sms.segments("ა" * 71) == 2
    assert sms.segments("ა" * 134) == 2 and sms.segments("ა" * 135) == 3


@given(
    st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=400),
    st.sampled_from(["a", "ა", "€"]),
)
def test_a_longer_text_never_takes_fewer_messages(text, more):
    n = sms.segments(text)
    assert n >= 1 and sms.segments(text + more) >= n
    assert n == 1 or len(text) > 67  # more than one message only for a text that needs it


def test_the_invitation_sms_has_date_time_centre_and_link_in_two_messages(issued, settings):
    settings.KARI_PUBLIC_URL = "http://127.0.0.1:8123"
    inv = Invitation.objects.select_related("assignment__centre").first()
    first = min(
        (s.session for s in inv.assignment.sittings.select_related("session")),
        key=lambda s: (s.date, s.check_in_opens),
    )
    text = invitation_sms(inv, "http://127.0.0.1:8123/cabinet/")
    assert f"{first.date:%d.%m.%Y}" in text and f"{first.check_in_opens:%H:%M}" in text
    assert inv.assignment.centre.name_ka in text
    assert text.endswith("http://127.0.0.1:8123/cabinet/")
    assert sms.segments(text) <= 2, (len(text), text)


def test_a_long_centre_name_is_shortened_to_stay_in_two_messages(issued):
    inv = Invitation.objects.select_related("assignment__centre").first()
    ExamCentre.objects.filter(pk=inv.assignment.centre_id).update(name_ka="ცენტრი " * 40)
    inv = Invitation.objects.select_related("assignment__centre").get(pk=inv.pk)
    text = invitation_sms(inv, "https://kari.example.ge/cabinet/")
    assert sms.segments(text) == 2 and "…" in text and text.endswith("/cabinet/")
