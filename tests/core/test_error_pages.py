"""Issue 19 (2): branded, translated 403, 404 and 500 pages, with the header and a way back."""

from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from kari.accounts.roles import Role
from tests.conftest import sign_in


def _branded(html: str, prefix: str = "") -> None:
    assert '<header class="top">' in html and 'id="error-title"' in html
    assert f'<li><a href="{prefix}/">' in html  # a way back
    assert "kari/kari.css" in html


def test_404_is_branded_and_translated(client, db):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    _branded(html)
    with translation.override("ka"):
        assert translation.gettext("Page not found") in html
    english = client.get("/en/no-such-page/").content.decode()
    assert "Page not found" in english and 'lang="en"' in english


def test_403_is_branded_and_offers_the_staff_home(world, client):
    sign_in(client, world["users"][Role.PROCTOR])
    response = client.get("/en/audit/")
    if response.status_code != 403:  # the proctor may see the log: another staff-only page
        response = client.get("/en/catalogue/review/")
    html = response.content.decode()
    assert response.status_code == 403
    _branded(html, "/en")
    assert "You cannot open this page" in html and 'href="/en/staff/"' in html


def test_500_is_branded_without_a_request_context(db):
    request = RequestFactory().get("/")
    with translation.override("ka"):
        response = server_error(request)
        html = response.content.decode()
        assert translation.gettext("Sorry, there is a problem with the service") in html
    assert response.status_code == 500
    _branded(html)
    assert 'class="lang"' not in html  # no form that would need a CSRF token
