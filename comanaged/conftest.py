"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

from comanaged.core.crypto import reset_keyring

# A bounded hypothesis profile keeps CI time predictable.
hypothesis_settings.register_profile("ci", max_examples=200, deadline=None)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path, settings, monkeypatch):
    """Every test gets its own secrets key file; nothing touches var/keys."""
    monkeypatch.delenv("COMANAGED_SECRETS_KEYS", raising=False)
    settings.SECRETS_KEY_FILE = tmp_path / "keys" / "secrets.keys"
    reset_keyring()
    yield
    reset_keyring()
