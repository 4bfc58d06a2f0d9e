"""A ticket's history, and what every change sets off: the client told (R21), integrations told
(signed webhooks). One function records an event, so no change can skip either."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from comanaged.tickets.models import Ticket, TicketEvent

# Event kinds the client may be told about; internal notes and staff-only facts never are.
WEBHOOK_EVENT = {
    "created": "ticket.created",
    "escalated": "ticket.escalated",
    "sla_warning": "ticket.sla_warning",
    "sla_breached": "ticket.sla_breached",
}


def record(
    ticket: Ticket,
    actor: Any,
    kind: str,
    *,
    text: str = "",
    public: bool = True,
    notify: bool = True,
    at: dt.datetime | None = None,
    **data: Any,
) -> TicketEvent:
    """Append an event; public ones are mailed to the client (R21) once the transaction commits.
    ``at``: when it happened, if not now (an escalation or resolution given a time)."""
    from comanaged.tickets import notifications
    from comanaged.webhooks.services import emit

    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        text=text,
        public=public,
        data=data,
        at=at or timezone.now(),
    )
    if public and notify:
        notifications.notify(ticket, event)
    emit(WEBHOOK_EVENT.get(kind, "ticket.updated"), webhook_payload(ticket, event), client_id=ticket.client_id)
    return event


def webhook_payload(ticket: Ticket, event: TicketEvent) -> dict[str, Any]:
    """What integrations receive: the ticket's state and the change, never an internal note's text."""
    return {
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "client_id": ticket.client_id,
            "title": ticket.title,
            "type": ticket.type,
            "priority": ticket.priority,
            "status": ticket.status,
            "tier": ticket.tier,
            "verdict": ticket.verdict,
            "assignee_id": ticket.assignee_id,
            "escalated_at": ticket.escalated_at.isoformat() if ticket.escalated_at else None,
            "respond_due_at": ticket.respond_due_at.isoformat() if ticket.respond_due_at else None,
        },
        "change": {
            "kind": event.kind,
            "public": event.public,
            "text": event.text if event.public else "",
            "at": event.at.isoformat(),
        },
    }
