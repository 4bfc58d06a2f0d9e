"""Writes of a ticket's life on the client side: log (the POC's own queue), edit, escalate
(R14, R10–R13, R27), resolve internally (R15). The desk's writes are in ``desk``; notes,
confirmation and reopening in ``conversation``; merge and parent/child in ``relations``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
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
from comanaged.tenancy.models import Person
from comanaged.tickets.access import client_actor, editable_fields, is_desk, require_desk, require_poc_or_desk
from comanaged.tickets.choices import Status, Tier, Verdict
from comanaged.tickets.clock import service as clock
from comanaged.tickets.entitlement import Assessment, TicketFacts, assess
from comanaged.tickets.errors import TicketErrorCode as Code
from comanaged.tickets.events import record
from comanaged.tickets.fields import EDITABLE_FIELDS
from comanaged.tickets.models import DESK_OPEN, Ticket, TicketSequence
from comanaged.tickets.resources import appropriate_resource, start_facts

# R14: what an escalation must carry, with the words the POC sees.
ESCALATION_FIELDS = {
    "category": "a category",
    "priority": "a priority",
    "description": "the nature of the problem",
    "tried": "what has already been tried",
    "error_messages": "the error messages received (or 'none')",
    "conditions": "the conditions under which it occurs",
}
OPEN = frozenset({Status.NEW, *DESK_OPEN})


def ticket_problems(ticket: Ticket) -> list[Problem]:
    """Every link stays inside the ticket's client; only people (not service accounts) ask."""
    problems = []
    for name in ("requester", "affected_person", "site", "application"):
        related = getattr(ticket, name) if getattr(ticket, f"{name}_id") else None
        if related is not None and related.client_id != ticket.client_id:
            problems.append(
                Problem(Code.WRONG_CLIENT, f"That {name.replace('_', ' ')} belongs to another client.", name)
            )
    if not ticket.title.isprintable():
        problems.append(Problem("invalid", "The summary is one line of text (no line breaks or tabs).", "title"))
    if ticket.category_id and not ticket.category.is_active:  # type: ignore[union-attr]
        problems.append(Problem("inactive_category", "That category is no longer in use.", "category"))
    return problems


def escalation_problems(ticket: Ticket) -> list[Problem]:
    """R14: the escalation names each missing field."""
    missing = []
    for name, words in ESCALATION_FIELDS.items():
        value = getattr(ticket, f"{name}_id" if name == "category" else name)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            missing.append(Problem(Code.FIELD_REQUIRED_TO_ESCALATE, f"To escalate, give {words} (R14).", name))
    return missing


TRUSTED_ON_LOG = (
    "number",
    "client",
    "requester",
    "affected_person",
    "logged_by",
    "site",
    "application",
    "category",
    "idempotency_key",
)


def _idempotency_key(value: str) -> str:
    key = value.strip()[:80]
    if not key.isprintable():
        raise ApplicationError("invalid", "The submission key holds characters it may not.", field="idempotency_key")
    return key


def _replayed(actor: Any, key: str) -> Ticket | None:
    """The ticket this user already submitted with this key, if any."""
    if not key or not _actor_user(actor):
        return None
    existing = Ticket.objects.filter(logged_by=actor, idempotency_key=key).first()
    if existing is not None:
        existing._replayed = True  # type: ignore[attr-defined]
    return existing


def _allocate_number() -> int:
    """A number in its own short transaction when the caller is not inside one: the counter's row
    lock is then held for a moment instead of for the whole intake, so concurrent submits stop
    queueing on it. A submit refused after this point leaves a gap in the numbering."""
    if transaction.get_connection().in_atomic_block:
        return _next_number()
    with transaction.atomic():
        return _next_number()


def _next_number() -> int:
    sequence, _ = TicketSequence.objects.select_for_update().get_or_create(pk=1)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last


def _actor_user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def ticket_log(*, ticket: Ticket, actor: Any, idempotency_key: str = "") -> Ticket:
    """Log a ticket in the client's own queue (the POC works it; nothing reaches the desk yet).

    With an idempotency key, sending the same submit again returns the ticket already logged
    (``ticket._replayed`` is then True) instead of a duplicate."""
    key = _idempotency_key(idempotency_key)
    existing = _replayed(actor, key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            if ticket.number is None:
                ticket.number = _next_number()
            ticket.logged_by = _actor_user(actor)
            ticket.idempotency_key = key if ticket.logged_by else ""
            # The links were looked up (scoped) by the caller and the database enforces keys and
            # uniqueness, so model validation need not query each again (bench/tickets.py).
            save_audited(ticket, actor=actor, checks=[lambda: ticket_problems(ticket)], trusted=TRUSTED_ON_LOG)
            record(ticket, actor, "created", text=ticket.title)
    except IntegrityError:
        existing = Ticket.objects.filter(logged_by=actor, idempotency_key=key).first() if key else None
        if existing is None:
            raise
        existing._replayed = True  # type: ignore[attr-defined]
        return existing
    return ticket


def ticket_update(*, ticket: Ticket, actor: Any, changes: dict[str, Any]) -> Ticket:
    """Change what the ticket says. The client edits its own queue's tickets; once escalated only
    the desk changes the classification, and a priority change moves the deadline (R16)."""
    allowed = editable_fields(actor, ticket) if actor is not None else frozenset(EDITABLE_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            "unknown_field", f"{sorted(unknown)[0]} cannot be changed here.", field=sorted(unknown)[0]
        )
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status not in OPEN:
            raise ApplicationError(
                Code.NOT_OPEN, "A resolved ticket cannot be edited; reopen it first.", field="status"
            )
        before = {name: getattr(locked, name) for name in changes}
        for name, value in changes.items():
            setattr(locked, name, value)
        changed = [name for name in changes if before[name] != getattr(locked, name)]
        if not changed:
            return locked
        if locked.escalated_at is not None and VERDICT_INPUTS & set(changed):
            _reassess(locked)
        save_audited(locked, actor=actor, checks=[lambda: ticket_problems(locked)])
        if locked.escalated_at is not None:
            raise_problems(escalation_problems(locked))  # an escalated ticket keeps what R14 asks
            if CLOCK_INPUTS & set(changed):
                clock.retarget(locked, actor, reason=_describe_changes(locked, before, changed))
        record(locked, actor, "updated", text=_describe_changes(locked, before, changed), fields=changed)
    return locked


# What the verdict depends on: a desk reclassification re-runs the engine (R18, R19, R22).
VERDICT_INPUTS = frozenset(
    {
        "type",
        "priority",
        "category",
        "application",
        "application_name",
        "site",
        "on_site_requested",
        "device_class",
        "device_ownership",
        "device_beyond_vendor_support",
    }
)


# What the respond target depends on besides the verdict: a VIP affected person has its own (R9).
CLOCK_INPUTS = VERDICT_INPUTS | {"affected_person"}


def _reassess(ticket: Ticket) -> None:
    """The verdict as of the escalation, on the ticket's new facts; a staff override stands. The
    clock follows (a priority change re-targets from the original escalation time, R16)."""
    if not ticket.verdict_override_reason:
        escalated = ticket.events.filter(kind="escalated").order_by("-at", "-id").first()
        person_id = escalated.data.get("escalated_by") if escalated else None
        person = Person.objects.filter(pk=person_id).first() if person_id else None
        assessment = ticket_assessment(
            ticket=ticket, escalating_person=person or ticket.requester, at=ticket.escalated_at
        )
        if assessment.may_escalate:
            ticket.verdict = assessment.verdict
            ticket.verdict_reasons = [r.as_dict() for r in assessment.reasons]


def _describe_changes(ticket: Ticket, before: dict[str, Any], changed: list[str]) -> str:
    parts = []
    for name in changed:
        label = getattr(Ticket._meta.get_field(name), "verbose_name", name)
        if name == "priority":
            parts.append(f"Priority {before[name] or '—'} → {ticket.priority}")
        elif name in {"description", "tried", "error_messages", "conditions"}:
            parts.append(f"{str(label).capitalize()} updated")
        else:
            parts.append(f"{str(label).capitalize()} changed")
    return "; ".join(parts) + "."


def ticket_resolve(*, ticket: Ticket, actor: Any, resolution: str, at: dt.datetime | None = None) -> Ticket:
    """Resolve a ticket; before any escalation this is the POC handling it internally (R15).
    Open children of an incident are resolved with it."""
    if actor is not None:  # None: the system itself (a cleared monitoring alert, the demo)
        require_poc_or_desk(actor, ticket, "resolve a ticket")
    if not resolution.strip():
        raise ApplicationError("resolution_required", "Say how it was resolved.", field="resolution")
    at = at or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status not in OPEN:
            raise ApplicationError(Code.NOT_OPEN, "Only an open ticket can be resolved.", field="status")
        _resolve_locked(locked, actor, resolution.strip(), at)
        for child in Ticket.objects.select_for_update().filter(parent=locked, status__in=OPEN):
            _resolve_locked(child, actor, f"Resolved with #{locked.number}: {resolution.strip()}", at)
    ticket.refresh_from_db()
    return ticket


def _resolve_locked(ticket: Ticket, actor: Any, resolution: str, at: dt.datetime) -> None:
    if ticket.escalated_at is not None:
        _stop_clock_on_resolution(ticket, actor, at)
    before = audit.snapshot(ticket)
    ticket.status, ticket.resolved_at, ticket.resolution = Status.RESOLVED, at, resolution
    ticket.save(update_fields=["status", "resolved_at", "resolution", "updated_at"])
    audit.record(actor=actor, action="resolve", instance=ticket, before=before, after=audit.snapshot(ticket))
    record(ticket, actor, "resolved", text=resolution, internally=ticket.escalated_at is None, at=at)


def _stop_clock_on_resolution(ticket: Ticket, actor: Any, at: dt.datetime) -> None:
    """Resolving is working on it: an appropriate technician's resolution is the response if
    none came before (R17). Anyone else's closes the clock unanswered (missed if late)."""
    staff = require_desk(actor) if actor is not None and is_desk(actor) else None
    if staff is not None and ticket.work_started_at is None and appropriate_resource(ticket, staff):
        ticket.work_started_at = at
        ticket.save(update_fields=["work_started_at"])
        clock.work_started(ticket, actor, staff, appropriate=True, at=at, **start_facts(ticket, staff))
    clock.closed(ticket, actor, at=at, reason="Resolved before an appropriate resource started work.")


def ticket_assessment(
    *, ticket: Ticket, escalating_person: Any, at: dt.datetime | None = None, agreement: Any = None
) -> Assessment:
    """The contract's verdict on this ticket if ``escalating_person`` put it on the desk now."""
    agreement = agreement if agreement is not None else active_agreement(ticket.client_id)
    decision = person_may_escalate(
        person=escalating_person, priority=ticket.priority or "P4", at=at, agreement=agreement
    )
    application = on_site = device = None
    if agreement is not None:
        if ticket.application_name and not ticket.application_id:
            application = policy.application_listed(ticket.application_name, listed_application_names(agreement))
        if ticket.on_site_requested:
            on_site = policy.on_site_support(ticket.site_id, supported_office_ids(agreement))
        if ticket.device_class:
            device = policy.device_coverage(
                policy.DeviceFacts(
                    device_class=ticket.device_class,
                    ownership=ticket.device_ownership or "client",
                    covered_classes=frozenset(agreement.covered_device_classes),
                    beyond_vendor_support=ticket.device_beyond_vendor_support,
                )
            )
    facts = TicketFacts(
        escalation=decision,
        ticket_type=ticket.type,
        priority=ticket.priority,
        billable_kind=ticket.category.billable_kind if ticket.category_id else "",  # type: ignore[union-attr]
        application=application,
        on_site=on_site,
        device=device,
    )
    return assess(facts)


def ticket_escalate(
    *,
    ticket: Ticket,
    actor: Any,
    escalating_person: Person,
    at: dt.datetime | None = None,
) -> Ticket:
    """Put a ticket on the provider's desk: refused, naming each missing field, without what
    R14 requires; refused (route to the POC) when the contract does not let this person escalate
    now (R10, R11, R27). The verdict is stored with its reasons; a vertical agreement's ticket
    goes to the vertical desk (R12)."""
    if actor is not None:
        _ensure_may_escalate_for(actor, ticket, escalating_person)
    now = timezone.now()
    if at is not None and at > now + CLOCK_SKEW:
        # The clock starts at the escalation (R17): one in the future would start it late.
        raise ApplicationError(
            Code.ESCALATED_IN_FUTURE, "The escalation time is in the future; give when it was escalated.", field="at"
        )
    at = at or now
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status != Status.NEW:
            raise ApplicationError(
                Code.NOT_ESCALATABLE, "Only a new ticket of the client's queue can be escalated.", field="status"
            )
        raise_problems(escalation_problems(locked))
        agreement = active_agreement(locked.client_id)
        assessment = ticket_assessment(ticket=locked, escalating_person=escalating_person, at=at, agreement=agreement)
        if not assessment.may_escalate:
            raise ApplicationError(Code.ROUTE_TO_POC, assessment.reasons[0].message, field="requester")
        before = audit.snapshot(locked)
        locked.status, locked.tier, locked.escalated_at = Status.ESCALATED, Tier.L1, at
        locked.work_started_at = None
        locked.verdict = assessment.verdict
        locked.verdict_reasons = [r.as_dict() for r in assessment.reasons]
        locked.desk_vertical = agreement.vertical if agreement is not None and agreement.is_vertical else None
        locked.save()
        clock.start(locked, actor, agreement=agreement)
        audit.record(actor=actor, action="escalate", instance=locked, before=before, after=audit.snapshot(locked))
        record(
            locked,
            actor,
            "escalated",
            text=_escalation_sentence(locked),
            verdict=assessment.verdict,
            reasons=locked.verdict_reasons,
            escalated_by=escalating_person.pk,
            at=at,
        )
    ticket.refresh_from_db()
    return ticket


CLOCK_SKEW = dt.timedelta(minutes=1)  # clients' clocks drift; a minute is not a future escalation


def _ensure_may_escalate_for(actor: Any, ticket: Ticket, escalating_person: Person) -> None:
    """A client's person escalates as themselves (a POC, or the end-user on their own ticket);
    the desk escalates on behalf of the requester (a phone call)."""
    person = client_actor(actor, ticket)
    if person is None:
        require_desk(actor)
    elif person.pk != escalating_person.pk or not (person.is_poc or ticket.requester_id == person.pk):
        raise PermissionDenied("Only the POC or the requester escalates this ticket.")


def _escalation_sentence(ticket: Ticket) -> str:
    desk = f"the {ticket.desk_vertical.name} desk" if ticket.desk_vertical else "the service desk"
    sentence = f"Escalated to {desk} — {ticket.get_verdict_display()}."
    if ticket.respond_due_at and ticket.escalated_at:
        hours = round((ticket.respond_due_at - ticket.escalated_at).total_seconds() / 3600)
        sentence += f" Response target: {hours} h (R16)."
    return sentence


def ticket_submit(
    *, ticket: Ticket, actor: Any, escalating_person: Person, escalate: bool, idempotency_key: str = ""
) -> Ticket:
    """The portal's and the API's "new ticket": log it and, when asked, escalate it in the same
    transaction — all or nothing (an escalation missing R14 fields saves nothing). An end-user's
    request the contract routes to the POC (R10, R11) is logged in the POC's queue with that verdict."""
    existing = _replayed(actor, _idempotency_key(idempotency_key))
    if existing is not None:
        return existing
    # What can be refused is checked before a number is taken (numbers are not given back).
    raise_problems(ticket_problems(ticket))
    if escalate and escalating_person.is_poc:
        raise_problems(escalation_problems(ticket))
    ticket.number = ticket.number or _allocate_number()
    with transaction.atomic():
        logged = ticket_log(ticket=ticket, actor=actor, idempotency_key=idempotency_key)
        if getattr(logged, "_replayed", False) or not escalate:
            return logged
        if not escalating_person.is_poc:
            assessment = ticket_assessment(ticket=logged, escalating_person=escalating_person)
            if not assessment.may_escalate:
                _store_verdict(logged, assessment)
                return logged
        return ticket_escalate(ticket=logged, actor=actor, escalating_person=escalating_person)


def _store_verdict(ticket: Ticket, assessment: Assessment) -> None:
    ticket.verdict = assessment.verdict
    ticket.verdict_reasons = [r.as_dict() for r in assessment.reasons]
    ticket.save(update_fields=["verdict", "verdict_reasons", "updated_at"])
    if assessment.verdict == Verdict.ROUTE_TO_POC:
        record(ticket, None, "routed_to_poc", text=assessment.reasons[0].message)
