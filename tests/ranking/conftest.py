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
