"""Catalogue rules, one test per citation: A4.2, A7.1-A7.5, A10.4, A13."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kari.accounts.roles import Role
from kari.audit.models import AuditEntry
from kari.catalogue import rules
from kari.catalogue.models import Programme, Subject, SubjectGroup
from kari.catalogue.services import save_programme
from tests.conftest import programme_data

pytestmark = pytest.mark.django_db


def test_A13_4_e_a_programme_needs_at_least_5_places():
    with pytest.raises(ValidationError) as exc:
        rules.check_places(4, 1, work_based=False)
    assert "(მუხ. 13.4 „ე“)" in exc.value.message_dict["places"][0]
    rules.check_places(5, 1, work_based=False)


def test_A13_2_at_least_10_percent_of_places_for_SEN_applicants():
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as exc:
        rules.check_places(21, 2, work_based=False)  # 10% of 21 is 2.1: 3 needed
    assert "3 of 21" in exc.value.message_dict["sen_places"][0]
    rules.check_places(21, 3, work_based=False)
    rules.check_places(20, 2, work_based=False)


def test_A10_4_work_based_programmes_need_no_SEN_reservation():
    rules.check_places(20, 0, work_based=True)
    with pytest.raises(ValidationError):
        rules.check_places(20, 0, work_based=False)


def test_SEN_places_cannot_exceed_places():
    with pytest.raises(ValidationError) as exc:
        rules.check_places(10, 11, work_based=False)
    assert "sen_places" in exc.value.message_dict


def test_A7_3_the_subjects_are_exactly_the_regulations_list(reference):
    assert set(Subject.objects.values_list("code", flat=True)) == {
        "georgian",
        "mathematics",
        "foreign_language",
        "history",
        "geography",
        "physics",
        "chemistry",
        "biology",
        "art",
    }


def test_A7_4_a_subject_group_lists_every_subject_the_applicant_sits(reference):
    multi = [g for g in SubjectGroup.objects.all() if g.subjects.count() > 1]
    assert multi, "the shipped groups include multi-subject groups"
    assert all(g.subjects.count() >= 1 for g in SubjectGroup.objects.all())


def test_A7_1_a_primary_programme_names_its_skills_test_and_subject_group(reference):
    """A7.1-A7.2: the programme takes its field's test from NAEC's mapping; the institution
    cannot choose another."""
    clean = rules.clean_programme(programme_data("P-1", skills_test="", subject_group=""))
    assert (clean["skills_test"].code, clean["subject_group"].code) == ("general", "G4")
    with pytest.raises(ValidationError) as exc:
        rules.clean_programme(programme_data("P-1", skills_test="mechanical", subject_group="G2"))
    errors = exc.value.message_dict
    assert "(მუხ. 7.2)" in errors["skills_test"][0] and "general" in errors["skills_test"][0]
    assert "G4" in errors["subject_group"][0]
    clean = rules.clean_programme(
        programme_data("P-1", stage="subsequent", skills_test="", subject_group="")
    )
    assert clean["skills_test"] is None  # A8.2: the institution sets the subsequent-stage test


def test_A7_2_naecs_act_sets_the_test_and_names_the_programmes_it_affects(world):
    from kari.catalogue import services
    from kari.catalogue.models import Announcement, AnnouncementLine, Programme, TestMapping

    naec = world["users"][Role.NAEC_OFFICER]
    prog = world["progs_a"][0]
    ann = Announcement.objects.create(
        institution=prog.institution, round=world["round"], status="submitted"
    )
    AnnouncementLine.objects.create(announcement=ann, programme=prog, places=20, sen_places=2)
    with pytest.raises(PermissionDenied):
        services.set_test_mapping(
            world["users"][Role.INSTITUTION_ADMIN],
            prog.field.code,
            "mechanical",
            "G2",
            act_number="N-1",
            act_date=dt.date(2027, 1, 10),
        )
    with pytest.raises(ValidationError) as exc:
        services.set_test_mapping(
            naec, prog.field.code, "mechanical", "G2", act_number="", act_date=None
        )
    assert {"act_number", "act_date"} <= set(exc.value.message_dict)
    affected = services.set_test_mapping(
        naec, prog.field.code, "mechanical", "G2", act_number="N-1", act_date=dt.date(2027, 1, 10)
    )
    assert prog.code in affected
    prog = Programme.objects.get(pk=prog.pk)
    assert (prog.skills_test.code, prog.subject_group.code) == ("mechanical", "G2")
    mapping = TestMapping.objects.get(field=prog.field)
    assert mapping.act_number == "N-1"
    entry = AuditEntry.objects.get(action="catalogue.test_mapping")
    assert prog.code in entry.after["affected_programmes"] and entry.after["act_number"] == "N-1"


def test_A7_5_foreign_language_is_one_of_four_or_any(reference):
    for lang in ("any", "en", "de", "ru", "fr"):
        assert (
            rules.clean_programme(programme_data("P-1", foreign_language=lang))["foreign_language"]
            == lang
        )
    with pytest.raises(ValidationError) as exc:
        rules.clean_programme(programme_data("P-1", foreign_language="it"))
    assert "7.5)" in exc.value.message_dict["foreign_language"][0]


def test_A4_2_framework_flag_is_recorded_and_validated(world):
    admin = world["admin_b"]
    p = save_programme(
        admin, world["inst_b"], programme_data("B-2", framework_based="yes", art_sport_tourism="no")
    )
    assert Programme.objects.get(pk=p.pk).framework_based is True
    with pytest.raises(ValidationError) as exc:
        save_programme(admin, world["inst_b"], programme_data("B-3", framework_based="maybe"))
    assert "framework_based" in exc.value.message_dict


def test_A13_4_g_work_based_programmes_state_their_specifics(reference):
    with pytest.raises(ValidationError) as exc:
        rules.clean_programme(programme_data("P-1", work_based=True))
    assert "მუხ. 13.4 „ზ“" in exc.value.message_dict["work_based_specifics"][0]


def test_A13_4_institution_data_is_complete(reference):
    with pytest.raises(ValidationError) as exc:
        rules.clean_institution(
            {
                "code": "x",
                "name_ka": "",
                "municipality": "nowhere",
                "phone": "123",
                "email": "bad",
                "heads": "",
            }
        )
    errors = exc.value.message_dict
    assert {"name_ka", "legal_form", "address", "municipality", "phone", "email", "heads"} <= set(
        errors
    )


def test_programme_code_of_another_institution_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        save_programme(world["admin_b"], world["inst_b"], programme_data("A-0"))
    assert "code" in exc.value.message_dict
