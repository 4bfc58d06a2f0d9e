"""API schemas of tickets. Inputs forbid unknown fields; choices and lengths are bounded so bad
input is a 422, never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from comanaged.agreements.choices import DeviceClass, Ownership, Priority
from comanaged.tenancy.schemas import Id, Strict
from comanaged.tickets.choices import Impact, Source, Status, TicketType, Tier, Urgency, Verdict

# Spelled out for the type checker and OpenAPI; a test keeps them equal to the model choices.
PriorityCode = Literal["P1", "P2", "P3", "P4"]
TypeCode = Literal["incident", "service_request"]
ImpactCode = Literal["company", "department", "user"]
UrgencyCode = Literal["stopped", "degraded", "irritation"]
SourceCode = Literal["portal", "api", "phone", "email", "monitoring"]
StatusCode = Literal[
    "new", "escalated", "assigned", "in_progress", "waiting_on_client", "waiting_on_vendor", "resolved", "closed"
]
TierCode = Literal["poc", "l1", "l2", "l3", "vendor"]
VerdictCode = Literal["covered", "covered_no_target", "billable", "out_of_scope", "route_to_poc"]
DeviceClassCode = Literal[
    "workstation",
    "laptop",
    "tablet",
    "server",
    "switch",
    "router",
    "firewall",
    "access_point",
    "printer",
    "voip_phone",
    "mobile",
    "other",
]
OwnershipCode = Literal["client", "provider", "user_byod", "user_other"]
LITERAL_CHOICES = {
    PriorityCode: Priority,
    TypeCode: TicketType,
    ImpactCode: Impact,
    UrgencyCode: Urgency,
    SourceCode: Source,
    StatusCode: Status,
    TierCode: Tier,
    VerdictCode: Verdict,
    DeviceClassCode: DeviceClass,
    OwnershipCode: Ownership,
}


class TicketFields(Strict):
    """What a ticket says; every field may be left out while the ticket is in the client's queue."""

    title: str | None = Field(None, min_length=1, max_length=200)
    type: TypeCode | None = None
    category_id: Id | None = None
    priority: PriorityCode | None = None
    impact: ImpactCode | None = None
    urgency: UrgencyCode | None = None
    description: str | None = Field(None, max_length=20_000, description="R14: the nature of the problem")
    tried: str | None = Field(None, max_length=20_000, description="R14: what has been tried")
    error_messages: str | None = Field(None, max_length=20_000, description="R14: error messages received")
    conditions: str | None = Field(None, max_length=20_000, description="R14: when it occurs")
    affected_person_id: Id | None = None
    site_id: Id | None = None
    application_id: Id | None = None
    application_name: str | None = Field(None, max_length=200, description="An application not in the agreement")
    on_site_requested: bool | None = None
    device_name: str | None = Field(None, max_length=120)
    device_class: DeviceClassCode | None = None
    device_ownership: OwnershipCode | None = None
    device_beyond_vendor_support: bool | None = None


class TicketIn(TicketFields):
    title: str = Field(min_length=1, max_length=200)
    client_id: Id | None = Field(None, description="Staff only; a client's person logs for their own client")
    requester_id: Id | None = Field(None, description="Who asks; defaults to the caller's own person")
    source: SourceCode | None = Field(None, description="Staff only (phone, email…); defaults to api")
    escalate: bool = Field(False, description="Escalate to the provider's desk in the same request")


class ReasonOut(Schema):
    code: str
    message: str
    rules: list[str]


class AssessmentOut(Schema):
    verdict: VerdictCode
    verdict_label: str
    may_escalate: bool
    reasons: list[ReasonOut]
    missing: list[dict[str, Any]] = Field(description="R14 fields an escalation still needs")
    suggested_priority: PriorityCode | None = None


class TicketOut(Schema):
    id: int
    number: int
    client_id: int
    title: str
    type: str
    category_id: int | None
    category: str | None
    priority: str
    impact: str
    urgency: str
    description: str
    tried: str
    error_messages: str
    conditions: str
    requester_id: int
    affected_person_id: int | None
    source: str
    site_id: int | None
    application_id: int | None
    application_name: str
    on_site_requested: bool
    device_name: str
    device_class: str
    device_ownership: str
    device_beyond_vendor_support: bool
    status: str
    tier: str
    assignee_id: int | None
    desk_vertical_id: int | None
    escalated_at: dt.datetime | None
    work_started_at: dt.datetime | None
    respond_due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution: str
    verdict: str
    verdict_reasons: list[dict[str, Any]]
    verdict_override_reason: str
    parent_id: int | None
    merged_into_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_category(obj: Any) -> str | None:
        return str(obj.category) if obj.category_id else None


class EventOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    public: bool
    text: str
    actor: str | None
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return obj.actor.full_name if obj.actor_id else None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    public: bool
    created_at: dt.datetime


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=20_000)
    public: bool = True


class ResolveIn(Strict):
    resolution: str = Field(min_length=1, max_length=20_000)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=2_000)


class OptionalReasonIn(Strict):
    reason: str = Field("", max_length=2_000)


class AssignIn(Strict):
    assignee_id: Id | None = Field(description="A technician's staff id; null returns it to the queue")
    reason: str = Field("", max_length=2_000, description="Needed for a technician outside the ticket's vertical (R12)")


class RaiseTierIn(Strict):
    tier: Literal["l2", "l3"]
    reason: str = Field(min_length=1, max_length=2_000)


class StatusIn(Strict):
    status: Literal["in_progress", "waiting_on_client", "waiting_on_vendor"]
    note: str = Field("", max_length=2_000)


class VendorEscalationIn(Strict):
    case_number: str = Field(min_length=1, max_length=80)
    coverage_id: Id | None = None
    note: str = Field("", max_length=2_000)


class VendorEscalationOut(Schema):
    id: int
    vendor: str
    case_number: str
    contract: str
    coverage_id: int
    opened_at: dt.datetime


class VerdictIn(Strict):
    verdict: Literal["covered", "covered_no_target", "billable", "out_of_scope"]
    reason: str = Field(min_length=1, max_length=2_000)


class MergeIn(Strict):
    into_id: Id


class ParentIn(Strict):
    parent_id: Id | None


class CategoryOut(Schema):
    id: int
    name: str
    parent_id: int | None
    path: str
    billable_kind: str

    @staticmethod
    def resolve_path(obj: Any) -> str:
        return str(obj)


# --- the response clock (R16–R19) ------------------------------------------------------------


class RequiredTierIn(Strict):
    tier: Literal["l1", "l2", "l3"] = Field(description="R17: the least tier whose start of work is the response")
    reason: str = Field(min_length=1, max_length=2_000)


class TicketTriageOut(TicketOut):
    required_tier: str = Field(description="R17: a start of work by this tier or higher stops the clock")


class ClockEventOut(Schema):
    at: dt.datetime
    kind: str
    text: str
    actor: str | None
    data: dict[str, Any]


class ClockSummaryOut(Schema):
    """An earlier escalation's clock (the ticket was reopened and escalated again)."""

    sequence: int
    state: str
    priority: str
    target_seconds: int | None
    started_at: dt.datetime
    due_at: dt.datetime | None
    stopped_at: dt.datetime | None
    response_seconds: int | None
    breached_at: dt.datetime | None


ClockStateCode = Literal["running", "paused", "met", "missed", "excluded", "cancelled"]


class TicketClockOut(Schema):
    """The current escalation's respond clock; ``events`` and ``stopped_by_id`` are for staff."""

    ticket_id: int
    number: int
    sequence: int
    state: ClockStateCode
    priority: str
    target_seconds: int | None = Field(description="Null when no respond target applies (see exclusion)")
    business_hours: bool = Field(description="Measured on the client's business hours (else 24×7, R13)")
    vip: bool = Field(description="The affected person is a VIP (R9)")
    started_at: dt.datetime = Field(description="The escalation (R17)")
    due_at: dt.datetime | None
    warn_at: dt.datetime | None = Field(description="When the pending warning fires; null once fired or paused")
    stopped_at: dt.datetime | None = Field(description="When an appropriate resource started work (R17)")
    response_seconds: int | None = Field(description="Time to respond in business seconds, pauses left out")
    breached_at: dt.datetime | None
    exclusion: dict[str, Any] = Field(description="Why no target applies (R18, R19, not covered): code, message, rules")
    stopped_by_id: int | None = Field(description="The staff member whose start stopped it; null for a client's people")
    events: list[ClockEventOut] | None = Field(description="Every event of the clock; null for a client's people")
    previous: list[ClockSummaryOut]
