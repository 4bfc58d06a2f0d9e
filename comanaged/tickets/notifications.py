"""R21: the POC — and under Co-managed+ the end-user — hears about every public change of a
ticket by e-mail, with the ticket number in the subject so replies and filters can thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.template.loader import render_to_string

from comanaged.agreements.choices import Plan
from comanaged.agreements.selectors import active_agreement
from comanaged.core.tasks import queue_email
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.models import Person
from comanaged.tickets.models import Ticket, TicketEvent

HEADLINES = {
    "created": "logged",
    "escalated": "escalated to the service desk",
    "assigned": "assigned to a technician",
    "work_started": "being worked on",
    "note": "updated",
    "status": "updated",
    "tier_raised": "escalated to a senior engineer",
    "vendor_escalated": "escalated to the vendor",
    "resolved": "resolved",
    "closed": "closed",
    "reopened": "reopened",
    "verdict_changed": "re-assessed",
    "merged_into": "merged",
}


def recipients(ticket: Ticket, *, exclude_user_id: int | None = None) -> list[str]:
    """The client's active POCs, plus the requester and affected end-user on Co-managed+ (R21)."""
    people = list(Person.objects.filter(client_id=ticket.client_id, level=UserLevel.POC, is_active=True))
    agreement = active_agreement(ticket.client_id)
    if agreement is not None and agreement.plan == Plan.CO_MANAGED_PLUS:
        people += [p for p in (ticket.requester, ticket.affected_person) if p is not None and p.is_active]
    addresses: dict[str, None] = {}
    for person in people:
        if person.email and (exclude_user_id is None or person.user_id != exclude_user_id):
            addresses[person.email.lower()] = None
    return list(addresses)


_quiet: ContextVar[bool] = ContextVar("ticket_notifications_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """No e-mail for changes made inside (seeding demo data, imports of history)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def notify(ticket: Ticket, event: TicketEvent) -> None:
    """Queue one e-mail (sent after commit) about a public event; the actor is not mailed."""
    if _quiet.get():
        return
    to = recipients(ticket, exclude_user_id=event.actor_id)
    if not to:
        return
    headline = HEADLINES.get(event.kind, "updated")
    context = {
        "ticket": ticket,
        "event": event,
        "headline": headline,
        "url": f"{settings.SITE_URL.rstrip('/')}/portal/tickets/{ticket.number}/",
    }
    queue_email(
        subject=f"[#{ticket.number}] {' '.join(ticket.title.split())} — {headline}",  # one header line
        body=render_to_string("tickets/email/event.txt", context),
        to=to,
    )
