"""Shared fixtures for the verifiable-credential tests (pure: no database)."""

from __future__ import annotations

import pytest
from credentials_support import make_credential

from kari.credentials import keys, vc


@pytest.fixture(scope="session")
def issuer_keys():
    return keys.generate()


@pytest.fixture(scope="session")
def other_keys():
    return keys.generate()


@pytest.fixture
def signed(issuer_keys):
    pem, public = issuer_keys
    return vc.sign(make_credential(public), pem, created="2025-06-01T10:00:05Z")
