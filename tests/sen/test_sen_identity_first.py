"""Issue 11, point 2, on the SEN track: wrong ID card numbers slow down the network that types
them (kari.registration.services.check_second_fact gets the client's address), never the
applicant's own registration from their own network."""

import pytest
from django.core.exceptions import ValidationError

from kari.sen import services
from kari.sen.models import Channel, SenRegistration, Stage
from tests.sen.conftest import PEOPLE

pytestmark = pytest.mark.django_db


def _data(sen, i, document):
    return {
        "personal_number": PEOPLE[i][0],
        "document_number": document,
        "phone": f"+995555100{i:03d}",
        "email": f"sen{i}@example.ge",
        "programmes": [p.code for p in sen.programmes[:2]],
    }


def test_an_attackers_wrong_numbers_do_not_hold_up_the_sen_applicant_online(sen):
    sen.schedule()
    for _ in range(8):
        with pytest.raises(ValidationError):
            services.start_registration(
                None, _data(sen, 0, "DOC99999"), sen.round, channel=Channel.ONLINE, ip="203.0.113.6"
            )
    pending = services.start_registration(
        None, _data(sen, 0, PEOPLE[0][1]), sen.round, channel=Channel.ONLINE, ip="198.51.100.7"
    )
    reg = services.confirm_registration(pending.code_id, sen.sent[-1], ip="198.51.100.7")
    assert reg.channel == "online"


def test_the_subsequent_stage_centre_check_is_keyed_by_the_centres_address(sen):
    from kari.catalogue.models import Programme

    sen.schedule(stage=Stage.SUBSEQUENT)
    Programme.objects.filter(pk__in=[p.pk for p in sen.programmes]).update(stage="subsequent")
    data = _data(sen, 1, "DOC99999") | {
        "programmes": [sen.programmes[0].code],
        "education_level": "საბაზო",
    }
    for _ in range(8):
        with pytest.raises(ValidationError):
            services.register_subsequent(sen.clerk, data, sen.round, ip="203.0.113.6")
    # another centre's network, with the person's ID card: not held up by those wrong numbers
    reg = services.register_subsequent(
        sen.clerk, data | {"document_number": PEOPLE[1][1]}, sen.round, ip="198.51.100.7"
    )
    assert reg.stage == Stage.SUBSEQUENT
    assert SenRegistration.objects.filter(stage=Stage.SUBSEQUENT).count() == 1
