"""Error codes of tickets."""

from enum import StrEnum


class TicketErrorCode(StrEnum):
    FIELD_REQUIRED_TO_ESCALATE = "required_to_escalate"  # R14
    ROUTE_TO_POC = "route_to_poc"  # R10, R11, R27
    WRONG_CLIENT = "wrong_client"
    NOT_ESCALATABLE = "not_escalatable"
    NOT_OPEN = "not_open"
