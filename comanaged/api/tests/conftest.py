"""API test helpers: tokens and clients that carry them."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from comanaged.api.services import token_issue


def bearer(user, scope: str = "write") -> HttpClient:
    """A test client sending a fresh token of ``user`` with ``scope``."""
    _, token = token_issue(user=user, name="test", scope=scope, expires_in_days=30)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def as_token():
    return bearer
