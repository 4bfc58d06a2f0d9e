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
def _fresh_cache():
    """Rate limits and used MFA codes live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path, settings, monkeypatch):
    """Every test gets its own secrets key file; nothing touches var/keys."""
    monkeypatch.delenv("COMANAGED_SECRETS_KEYS", raising=False)
    settings.SECRETS_KEY_FILE = tmp_path / "keys" / "secrets.keys"
    reset_keyring()
    yield
    reset_keyring()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With COMANAGED_REQUIRE_ALL=1 (set by .ci/run), a skipped test is a failure: a missing
    real component must never pass silently."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("COMANAGED_REQUIRE_ALL") == "1" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under COMANAGED_REQUIRE_ALL=1: {report.longrepr}"
