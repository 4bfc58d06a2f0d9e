"""API schemas of the api app: tokens."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from comanaged.tenancy.schemas import Strict


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    scope: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="Shown once; only its digest is kept.")


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    scope: str = Field("read", pattern="^(read|write)$")
    expires_in_days: int = Field(90, ge=1, le=366)
