"""Issue 19 (1, 6): every page has a favicon and the script that makes wide tables keyboard
scrollable; the language switch is a labelled control; error lists keep list semantics (no
role="alert" on the <ul>, which fails axe's "listitem" and "aria-allowed-role"), and each
field names its error."""

import re

from django.contrib.staticfiles import finders

from kari.accounts.roles import Role
from tests.conftest import sign_in


def test_every_page_has_a_favicon_and_a_labelled_language_switch(client, db):
    html = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert icon and finders.find("kari/favicon.svg")
    assert '<form class="lang"' in html and 'aria-label="ენა"' in html
    assert re.search(r'<script src="[^"]*kari/kari\.js" defer></script>', html)
    assert finders.find("kari/kari.js")


def test_error_lists_keep_list_semantics(world, client):
    sign_in(client, world["users"][Role.MINISTRY_OFFICER])
    response = client.post("/rounds/new/", {"year": "", "season": ""})
    html = response.content.decode()
    assert 'class="errorlist" id="id_year_error"' in html
    assert not re.search(r'<ul class="errorlist"[^>]*role=', html)
    assert 'aria-describedby="id_year_error"' in html and 'aria-invalid="true"' in html
