"""API schemas of response-time terms (R16, R9, R13) and attainment (R16–R19). Inputs forbid
unknown fields; minutes, shares and choices are bounded, so bad input is a 422 naming the field
with a plain message — never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, ValidationError, ValidationInfo, ValidatorFunctionWrapHandler, field_validator
from pydantic_core import PydanticCustomError

from comanaged.sla.models import MAX_TARGET_MINUTES
from comanaged.tenancy.schemas import Id, Instant, Strict

# Spelled out for the type checker and OpenAPI; a test keeps them equal to the model choices.
PriorityCode = Literal["P1", "P2", "P3", "P4"]
ClockCode = Literal["24x7", "business_hours"]
BreachActionCode = Literal["notify", "raise_tier", "return_to_queue"]
GroupCode = Literal["client", "priority", "vertical", "technician", "month"]
# Days a report can be about; far-off dates would overflow time-zone arithmetic.
Day = Annotated[dt.date, Field(ge=dt.date(1970, 1, 2), le=dt.date(2199, 12, 31))]

# The bounds are published in the OpenAPI document; the validator below words the refusal.
Minutes = Annotated[int, Field(json_schema_extra={"minimum": 1, "maximum": MAX_TARGET_MINUTES})]
MINUTE_FIELDS = {
    "respond_minutes": "The respond target",
    "vip_respond_minutes": "The VIP respond target",
    "resolve_minutes": "The resolution target",
}


def _minutes_in_range(value: int | None, name: str) -> int | None:
    if value is not None and not 1 <= value <= MAX_TARGET_MINUTES:
        raise PydanticCustomError(
            "out_of_range",
            "{what} must be between 1 and {most} minutes (30 days); {value} is not.",
            {"what": MINUTE_FIELDS[name], "most": f"{MAX_TARGET_MINUTES:,}", "value": value},
        )
    return value


class ResponseTargetIn(Strict):
    """One priority's terms; minutes are 1 … 43,200 (30 days)."""

    respond_minutes: Minutes = Field(description="The contractual respond target (R16)")
    vip_respond_minutes: Minutes | None = Field(
        None, description="The target when the affected person is a VIP (R9); null: the same as everyone's"
    )
    resolve_minutes: Minutes | None = Field(None, description="Optional; tracked, not contractual")
    clock: ClockCode = Field(
        "24x7", description="24x7 (R13, the default) or the client's business hours (refused while it has none)"
    )

    @field_validator("respond_minutes", "vip_respond_minutes", "resolve_minutes")
    @classmethod
    def _bounded(cls, value: int | None, info: Any) -> int | None:
        return _minutes_in_range(value, info.field_name)


class ResponseTargetOut(Schema):
    priority: PriorityCode
    respond_minutes: int
    vip_respond_minutes: int | None = Field(description="null: a VIP gets the same target (R9)")
    resolve_minutes: int | None
    clock: ClockCode
    default: bool = Field(description="true: the agreement sets nothing for this priority; the R16 default applies")


class ResponseTermsIn(Strict):
    """The clock's behaviour; a field left out takes its default."""

    warning_percent: int = Field(
        75, json_schema_extra={"minimum": 1, "maximum": 99}, description="Warn when this share of the target is used"
    )
    pause_waiting_on_client: bool = Field(False, description="Waiting on the client stops the clock")
    pause_waiting_on_vendor: bool = Field(False, description="Waiting on the vendor stops the clock")
    breach_action: BreachActionCode = Field(
        "notify", description="Besides notifying: raise the ticket one tier, or unassign it back to the queue"
    )

    @field_validator("warning_percent")
    @classmethod
    def _share(cls, value: int) -> int:
        if not 1 <= value <= 99:
            raise PydanticCustomError(
                "out_of_range", "The warning share must be between 1 and 99 percent; {value} is not.", {"value": value}
            )
        return value


class ResponseTermsOut(Schema):
    warning_percent: int
    pause_waiting_on_client: bool
    pause_waiting_on_vendor: bool
    breach_action: BreachActionCode
    default: bool = Field(description="true: the agreement sets no terms; these are the defaults")


class AttainmentQuery(Schema):
    """``from``/``to``: a date (midnight in ``time_zone``) or an aware instant; ``to`` is exclusive."""

    start: Instant | Day = Field(alias="from", description="First day or instant (inclusive)")
    end: Instant | Day = Field(alias="to", description="Last day or instant (exclusive)")
    by: GroupCode | None = Field(None, description="Group rows by this; none: one row for the whole set")
    client_id: Id | None = Field(None, description="Only this client (one in the caller's scope)")
    priority: PriorityCode | None = None
    time_zone: str | None = Field(
        None, max_length=64, description="Zone of dates and months (IANA); default: the provider's"
    )

    @field_validator("start", "end", mode="wrap")
    @classmethod
    def _moment(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        """One plain message instead of one per member of the union."""
        try:
            return handler(value)
        except ValidationError as error:
            name = "from" if info.field_name == "start" else "to"
            raise PydanticCustomError(
                "invalid_moment",
                "`{name}` is a date (2026-11-01) or an instant with its offset (2026-11-01T09:00:00-05:00), "
                "between 1970 and 2200.",
                {"name": name},
            ) from error


class AttainmentRow(Schema):
    key: int | str | None = Field(description="The group's value: an id, a priority, a month (YYYY-MM); null: all")
    label: str
    met: int
    missed: int
    excluded: int
    open: int
    cancelled: int
    measured: int = Field(description="met + missed")
    rate: float | None = Field(description="met / measured; null when nothing was measured")
    median_seconds: float | None = Field(description="Time to respond, business seconds, pauses left out")
    p90_seconds: int | None


class AttainmentOut(Schema):
    start: dt.datetime = Field(serialization_alias="from")
    end: dt.datetime = Field(serialization_alias="to")
    by: GroupCode | None
    time_zone: str
    overall: AttainmentRow
    rows: list[AttainmentRow]
