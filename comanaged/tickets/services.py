"""Writes of tickets: log (the POC's own queue), resolve internally (R15), escalate (R14, R10–R13)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from comanaged.agreements import policy
from comanaged.agreements.selectors import (
    active_agreement,
    listed_application_names,
    person_may_escalate,
    supported_office_ids,
)
from comanaged.core import audit
from comanaged.core.errors import ApplicationError, Problem
from comanaged.core.services import raise_problems, save_audited
from comanaged.tickets.choices import Status, Tier
from comanaged.tickets.entitlement import Assessment, TicketFacts, assess
from comanaged.tickets.errors import TicketErrorCode as Code
from comanaged.tickets.models import Ticket, TicketEvent, TicketSequence

# R14: what an escalation must carry, with the words the POC sees.
ESCALATION_FIELDS = {
    "category": "a category",
    "priority": "a priority",
    "description": "the nature of the problem",
    "tried": "what has already been tried",
    "error_messages": "the error messages received (or 'none')",
    "conditions": "the conditions under which it occurs",
}
OPEN = frozenset(
    {
        Status.NEW,
        Status.ESCALATED,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.WAITING_ON_CLIENT,
        Status.WAITING_ON_VENDOR,
    }
)


def ticket_problems(ticket: Ticket) -> list[Problem]:
    """Every link stays inside the ticket's client."""
    problems = []
    for name in ("requester", "affected_person", "site", "application"):
        related = getattr(ticket, name) if getattr(ticket, f"{name}_id") else None
        if related is not None and related.client_id != ticket.client_id:
            problems.append(
                Problem(Code.WRONG_CLIENT, f"That {name.replace('_', ' ')} belongs to another client.", name)
            )
    return problems


def escalation_problems(ticket: Ticket) -> list[Problem]:
    """R14: the escalation names each missing field."""
    missing = []
    for name, words in ESCALATION_FIELDS.items():
        value = getattr(ticket, f"{name}_id" if name == "category" else name)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            missing.append(Problem(Code.FIELD_REQUIRED_TO_ESCALATE, f"To escalate, give {words} (R14).", name))
    return missing


def _next_number() -> int:
    sequence, _ = TicketSequence.objects.select_for_update().get_or_create(pk=1)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def _event(ticket: Ticket, actor: Any, kind: str, *, text: str = "", public: bool = True, **data: Any) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        text=text,
        public=public,
        data=data,
    )


def ticket_log(*, ticket: Ticket, actor: Any) -> Ticket:
    """Log a ticket in the client's own queue (the POC works it; nothing reaches the desk yet)."""
    with transaction.atomic():
        ticket.number = _next_number()
        ticket.logged_by = actor if getattr(actor, "pk", None) else None
        save_audited(ticket, actor=actor, checks=[lambda: ticket_problems(ticket)])
        _event(ticket, actor, "created", text=ticket.title)
    return ticket


def ticket_resolve(*, ticket: Ticket, actor: Any, resolution: str, at: dt.datetime | None = None) -> Ticket:
    """Resolve a ticket; before any escalation this is the POC handling it internally (R15)."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status not in OPEN:
            raise ApplicationError(Code.NOT_OPEN, "Only an open ticket can be resolved.", field="status")
        if not resolution.strip():
            raise ApplicationError("resolution_required", "Say how it was resolved.", field="resolution")
        before = audit.snapshot(locked)
        locked.status = Status.RESOLVED
        locked.resolved_at = at or timezone.now()
        locked.save(update_fields=["status", "resolved_at", "updated_at"])
        audit.record(actor=actor, action="resolve", instance=locked, before=before, after=audit.snapshot(locked))
        _event(locked, actor, "resolved", text=resolution, internally=locked.escalated_at is None)
    ticket.refresh_from_db()
    return ticket


def ticket_assessment(*, ticket: Ticket, escalating_person: Any, at: dt.datetime | None = None) -> Assessment:
    """The contract's verdict on this ticket if ``escalating_person`` put it on the desk now."""
    decision = person_may_escalate(person=escalating_person, priority=ticket.priority or "P4", at=at)
    agreement = active_agreement(ticket.client_id)
    application = None
    if ticket.application_name and agreement is not None:
        application = policy.application_listed(ticket.application_name, listed_application_names(agreement))
    on_site = None
    if ticket.on_site_requested and agreement is not None:
        on_site = policy.on_site_support(ticket.site_id, supported_office_ids(agreement))
    facts = TicketFacts(
        escalation=decision,
        ticket_type=ticket.type,
        priority=ticket.priority,
        billable_kind=ticket.category.billable_kind if ticket.category_id else "",  # type: ignore[union-attr]
        application=application,
        on_site=on_site,
    )
    return assess(facts)


def ticket_escalate(
    *,
    ticket: Ticket,
    actor: Any,
    escalating_person: Any,
    at: dt.datetime | None = None,
) -> Ticket:
    """Put a ticket on the provider's desk: refused, naming each missing field, without what
    R14 requires; refused (route to the POC) when the contract does not let this person escalate
    now (R10, R11, R27). The verdict is stored with its reasons."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status != Status.NEW:
            raise ApplicationError(
                Code.NOT_ESCALATABLE, "Only a new ticket of the client's queue can be escalated.", field="status"
            )
        raise_problems(escalation_problems(locked))
        assessment = ticket_assessment(ticket=locked, escalating_person=escalating_person, at=at)
        if not assessment.may_escalate:
            reason = assessment.reasons[0]
            raise ApplicationError(Code.ROUTE_TO_POC, reason.message, field="requester")
        before = audit.snapshot(locked)
        locked.status, locked.tier, locked.escalated_at = Status.ESCALATED, Tier.L1, at
        locked.verdict = assessment.verdict
        locked.verdict_reasons = [r.as_dict() for r in assessment.reasons]
        locked.save(update_fields=["status", "tier", "escalated_at", "verdict", "verdict_reasons", "updated_at"])
        audit.record(actor=actor, action="escalate", instance=locked, before=before, after=audit.snapshot(locked))
        _event(locked, actor, "escalated", verdict=assessment.verdict, reasons=locked.verdict_reasons)
    ticket.refresh_from_db()
    return ticket
