"""API schemas of the tenancy app. Inputs forbid unknown fields."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Schema
from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from comanaged.tenancy.access import MAX_ID, is_staff_caller

# Database ids are signed 64-bit; anything outside is refused as invalid input, not a 500.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Instants a contract can be about; far-off dates would overflow time-zone arithmetic.
Instant = Annotated[
    AwareDatetime, Field(ge=dt.datetime(1970, 1, 1, tzinfo=dt.UTC), le=dt.datetime(2200, 1, 1, tzinfo=dt.UTC))
]


class Strict(Schema):
    """Request bodies: unknown fields and NUL characters (PostgreSQL cannot store them) refused."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not accepted.")
        return value


class ProviderOut(Schema):
    name: str
    legal_name: str
    currency: str
    time_zone: str
    support_email: str
    support_phone: str


def internal_notes(obj: Any, context: Any) -> str:
    """Provider-internal notes, blanked for a client's people."""
    request = (context or {}).get("request")
    return str(getattr(obj, "notes", "")) if is_staff_caller(request) else ""


class ClientOut(Schema):
    id: int
    name: str
    code: str
    is_active: bool
    time_zone: str
    holiday_country: str
    holiday_subdivision: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_notes(obj: Any, context: Any) -> str:
        return internal_notes(obj, context)


class ClientIn(Strict):
    name: str = Field(max_length=200)
    code: str = Field(max_length=40)
    time_zone: str = "America/New_York"
    holiday_country: str = "US"
    holiday_subdivision: str = ""
    notes: str = ""


class ClientPatch(Strict):
    name: str | None = Field(None, max_length=200)
    time_zone: str | None = None
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    is_active: bool | None = None
    notes: str | None = None


class SiteOut(Schema):
    id: int
    client_id: Id
    name: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str
    is_office: bool


class SiteIn(Strict):
    client_id: Id
    name: str = Field(max_length=120)
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"
    is_office: bool = True


class SitePatch(Strict):
    name: str | None = Field(None, max_length=120)
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    is_office: bool | None = None


class PersonOut(Schema):
    id: int
    client_id: Id
    full_name: str
    email: str
    phone: str
    mobile: str
    job_title: str
    kind: str
    level: str
    site_id: int | None
    is_active: bool
    has_sign_in: bool

    @staticmethod
    def resolve_has_sign_in(obj: object) -> bool:
        return getattr(obj, "user_id", None) is not None


class PersonIn(Strict):
    client_id: Id
    full_name: str = Field(max_length=200)
    email: str = ""
    phone: str = ""
    mobile: str = ""
    job_title: str = ""
    kind: str = "employee"
    level: str = ""
    site_id: Id | None = None


class PersonPatch(Strict):
    full_name: str | None = Field(None, max_length=200)
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    job_title: str | None = None
    kind: str | None = None
    level: str | None = None
    site_id: Id | None = None
    is_active: bool | None = None


class AbsenceOut(Schema):
    id: int
    client_id: Id
    person_id: int
    kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: str


class AbsenceIn(Strict):
    person_id: Id
    kind: str = "pto"
    starts_at: Instant
    ends_at: Instant
    note: str = Field("", max_length=200)
