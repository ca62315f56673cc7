"""Fixtures shared by the whole suite. The building blocks are in tests/factories.py (re-exported
here, where many tests import them from); the shared worlds are in tests/worlds.py."""

import socket

import pytest
from aiosmtpd.controller import Controller

from tests.factories import (  # noqa: F401  (re-exported)
    Inbox,
    _emis_user,
    make_institution,
    make_org,
    make_user,
    programme_data,
    sign_in,
    system_actor,
)
from tests.worlds import Worlds, chain_for


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (Georgian), whatever an earlier test activated."""
    from django.utils import translation

    translation.activate("ka")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many staff accounts; production keeps Django's strong default hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def self_signed_document_keys(settings):
    """Signing bodies get a self-signed document certificate on first use, as in the demo
    (production loads each body's PKCS#12 from the environment: kari.accounts.signing)."""
    settings.KARI_DOCUMENT_SIGNING = {**settings.KARI_DOCUMENT_SIGNING, "SELF_SIGNED": True}


@pytest.fixture(scope="session")
def _worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    """The shared worlds of this test process (tests/worlds.py), rolled back at the end."""
    worlds = Worlds(tmp_path_factory.mktemp("worlds"))
    yield worlds
    with django_db_blocker.unblock():
        worlds.unwind_to(0)


@pytest.fixture
def _worlds_ready(request, _worlds, django_db_blocker):
    """Before pytest-django opens the test's own transaction: the worlds this test names are
    built (or kept), and every other world is rolled back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        n in request.fixturenames for n in ("transactional_db", "live_server")
    )
    with django_db_blocker.unblock():
        if transactional:
            _worlds.unwind_to(0)
        else:
            _worlds.prepare(chain_for(request.fixturenames))
    return _worlds


@pytest.fixture
def _django_db_helper(_worlds_ready, _django_db_helper):
    """pytest-django's per-test transaction, opened inside the worlds' transactions."""
    yield


@pytest.fixture
def reference(db, _worlds):
    """The reference data (municipalities, tests, subject groups, directions and fields)."""
    return _worlds.get("reference")


@pytest.fixture
def round_open(db, _worlds):
    """A round whose announcement deadline is ten days away."""
    return _worlds.get("round_open")


@pytest.fixture
def world(db, _worlds):
    """Two institutions with programmes, the national bodies, and a user for every role."""
    return _worlds.get("world")


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield inbox
    controller.stop()
