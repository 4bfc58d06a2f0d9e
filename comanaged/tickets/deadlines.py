"""The respond deadline stored on a ticket (R16), so the desk sorts by it.

A hook for the response-clock issue: it replaces this 24×7 computation with the agreement's
calendars, VIP targets and clock events. Only a covered ticket has a target: service requests at
P1/P2 (R18) and out-of-scope work such as incidents on unlisted applications (R19) do not.
"""

from __future__ import annotations

import datetime as dt

from comanaged.agreements.policy import RESPOND_TARGETS
from comanaged.tickets.choices import Verdict
from comanaged.tickets.models import Ticket


def respond_due(ticket: Ticket) -> dt.datetime | None:
    if ticket.escalated_at is None or ticket.verdict != Verdict.COVERED:
        return None
    target = RESPOND_TARGETS.get(ticket.priority)
    return ticket.escalated_at + target if target else None
