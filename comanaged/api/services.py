"""Writes of the api app: issuing and revoking personal API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from comanaged.api.models import ApiToken, digest, new_token
from comanaged.core import audit


def token_issue(*, user: Any, name: str, scope: str, expires_in_days: int) -> tuple[ApiToken, str]:
    """A new token for ``user``; the plain token is returned once and never stored."""
    token = new_token()
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user,
            name=name,
            scope=scope,
            digest=digest(token),
            hint=token[:10],
            expires_at=timezone.now() + dt.timedelta(days=expires_in_days),
        )
        audit.record(
            actor=user,
            action="token_issue",
            instance=row,
            changes={"scope": [None, scope], "expires_at": [None, row.expires_at.isoformat()]},
        )
    return row, token


def token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
            audit.record(actor=actor, action="token_revoke", instance=token)
    return token
