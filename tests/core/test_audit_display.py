"""Issue 19 (2): history in people's words: "Programmes: <names>", booleans and language codes
as words, actions by what they did; never `programmes: ['0716-0076']`, `True` or `en`."""

from django.utils import translation

from kari.accounts.roles import Role
from kari.audit.display import action_label, changes
from kari.catalogue import services
from tests.conftest import sign_in


def _entry(object_type, before, after):
    from kari.audit.models import AuditEntry

    return AuditEntry(object_type=object_type, before=before, after=after)


def test_changes_show_names_words_and_field_labels(world):
    a0, a1 = world["progs_a"][0], world["progs_a"][1]
    entry = _entry(
        "registration.registration",
        {"programmes": [a0.code], "carried_over": True, "test_language": "ka"},
        {"programmes": [a0.code, a1.code], "carried_over": False, "test_language": "en"},
    )
    with translation.override("en"):
        rows = {label: (b, a) for label, b, a in changes(entry)}
        assert rows["Programmes"] == (a0.name, f"{a0.name}, {a1.name}")
        assert rows["Scores carried over"] == ("yes", "no")
        assert rows["Test language"] == ("Georgian", "English")
        assert action_label("announcement.confirm") == "Announcement confirmed"
    text = repr(rows)
    assert "['" not in text and "True" not in text and a0.code not in text


def test_history_page_in_words(world, client):
    admin = world["users"][Role.INSTITUTION_ADMIN]
    services.set_places(admin, world["inst_a"], world["round"], {"A-0": (20, 2)})
    ann = world["inst_a"].announcements.get()
    sign_in(client, world["users"][Role.EMIS_OPERATOR])
    html = client.get(f"/en/audit/catalogue.announcement/{ann.pk}/").content.decode()
    assert "Places entered" in html and "announcement.places" not in html
    with translation.override("en"):
        assert f"{world['progs_a'][0].name}: 20, 2" in html
    assert "Places (places, SEN places)" in html and "{'" not in html and "['" not in html
