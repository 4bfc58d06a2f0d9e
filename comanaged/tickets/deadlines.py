"""The respond deadline stored on a ticket (R16, R9, R13), so the desk sorts by it.

The agreement's target for the ticket's priority (R16 defaults where it sets none), the VIP
target when the affected person is a VIP (R9), on the 24×7 clock (R13) or the client's business
hours when the agreement says so (``comanaged.sla``). Only a covered ticket has a target: service
requests at P1/P2 (R18) and out-of-scope work such as incidents on unlisted applications (R19)
do not. The response-clock issue adds pauses and clock events on top.
"""

from __future__ import annotations

import datetime as dt
import logging

from comanaged.agreements.models import Agreement
from comanaged.agreements.selectors import active_agreement
from comanaged.sla.intervals import NoBusinessTime, add_business_seconds
from comanaged.sla.selectors import agreement_targets
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.selectors import client_calendar
from comanaged.tickets.choices import Verdict
from comanaged.tickets.models import Ticket

log = logging.getLogger(__name__)


def respond_due(ticket: Ticket, agreement: Agreement | None = None) -> dt.datetime | None:
    """``agreement``: the client's active agreement when the caller already has it."""
    if ticket.escalated_at is None or ticket.verdict != Verdict.COVERED:
        return None
    agreement = agreement if agreement is not None else active_agreement(ticket.client_id)
    target = agreement_targets(agreement).get(ticket.priority)
    if target is None:
        return None
    vip = ticket.affected_person_id is not None and ticket.affected_person.level == UserLevel.VIP  # type: ignore[union-attr]
    seconds = int(target.respond_for(vip=vip).total_seconds())
    if not target.business_hours:
        return add_business_seconds(None, ticket.escalated_at, seconds)
    try:
        return add_business_seconds(client_calendar(ticket.client), ticket.escalated_at, seconds)
    except NoBusinessTime:  # hours removed after the target was set: never leave a ticket without a deadline
        log.warning("client %s has no business hours; ticket #%s measured 24x7", ticket.client_id, ticket.number)
        return add_business_seconds(None, ticket.escalated_at, seconds)
