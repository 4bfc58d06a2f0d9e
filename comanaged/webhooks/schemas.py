"""API schemas of webhooks. Inputs forbid unknown fields; unknown event names are a 422."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, field_validator

from comanaged.tenancy.schemas import Id, Strict
from comanaged.webhooks.choices import EVENTS

EventList = Annotated[list[str], Field(min_length=1, max_length=len(EVENTS) * 2)]


def _known_events(events: list[str] | None) -> list[str] | None:
    if events is None:
        return None
    unknown = [event for event in events if event not in EVENTS]
    if unknown:
        raise ValueError(f"unknown event {unknown[0]!r}; choose from {', '.join(EVENTS)}")
    return sorted(set(events), key=EVENTS.index)


class EndpointOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    client_id: int | None
    is_active: bool
    previous_secret_expires_at: dt.datetime | None = Field(
        description="Until when deliveries are signed with the previous secret too (after a rotation)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_previous_secret_expires_at(obj: Any) -> dt.datetime | None:
        expires: dt.datetime | None = obj.previous_secret_expires_at
        return expires if obj.previous_secret is not None else None


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="The signing secret. Shown only now: store it with the receiver.")

    @staticmethod
    def resolve_secret(obj: Any) -> str:
        return str(obj.shown_secret)


class EndpointFields(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    url: str | None = Field(None, min_length=1, max_length=2000)
    events: EventList | None = Field(None, description=f"Any of: {', '.join(EVENTS)}.")
    client_id: Id | None = Field(None, description="Only this client's events; null for every client's.")
    is_active: bool | None = None

    @field_validator("events")
    @classmethod
    def _events(cls, events: list[str] | None) -> list[str] | None:
        return _known_events(events)


class EndpointIn(EndpointFields):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=2000)
    events: EventList = Field(description=f"Any of: {', '.join(EVENTS)}.")
    is_active: bool = True


class RotateOptions(Schema):
    previous_valid_for_hours: int = Field(
        0, ge=0, le=168, description="Keep signing with the old secret too for this many hours (0 = stop now)."
    )


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    client_id: int | None
    event: str
    event_id: uuid.UUID
    payload: dict[str, Any]
    occurred_at: dt.datetime
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    last_response: str
    delivered_at: dt.datetime | None
    created_at: dt.datetime


class EventsOut(Schema):
    events: list[str]
