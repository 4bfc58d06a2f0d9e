"""Settings: safe defaults, a secret required in production."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.nodb


def _settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "COMANAGED_MODE", "DEBUG", "ALLOWED_HOSTS"}}
    code = "import comanaged.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE)"
    return subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=False
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings({})
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_has_debug_off_no_hosts_and_secure_cookies():
    result = _settings({"SECRET_KEY": "x" * 50})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
    assert "[]" in result.stdout and result.stdout.strip().endswith("True")


def test_an_unknown_mode_is_an_error():
    result = _settings({"COMANAGED_MODE": "staging"})
    assert result.returncode != 0 and "COMANAGED_MODE" in result.stderr
