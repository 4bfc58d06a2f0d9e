"""Error codes of tickets."""

from enum import StrEnum


class TicketErrorCode(StrEnum):
    FIELD_REQUIRED_TO_ESCALATE = "required_to_escalate"  # R14
    ROUTE_TO_POC = "route_to_poc"  # R10, R11, R27
    WRONG_CLIENT = "wrong_client"
    NOT_ESCALATABLE = "not_escalatable"
    ESCALATED_IN_FUTURE = "escalated_in_future"
    NOT_OPEN = "not_open"
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    VERTICAL_REASON_REQUIRED = "vertical_reason_required"  # R12
    NOT_A_TECHNICIAN = "not_a_technician"
    TIER_NOT_HIGHER = "tier_not_higher"
    VENDOR_ESCALATION_REFUSED = "vendor_escalation_refused"  # R20, R28
    INVALID_RELATION = "invalid_relation"
    TEXT_REQUIRED = "text_required"
    TOO_MANY_FILES = "too_many_files"
    BULK_REFUSED = "bulk_refused"
