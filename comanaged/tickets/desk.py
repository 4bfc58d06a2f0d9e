"""The provider desk's writes: assign and claim (R12 vertical routing), start work (the event the
response clock stops on, R17), raise the tier or go to the vendor (R20, R28), change the
waiting state, override the contract's verdict with a reason, and bulk actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from comanaged.agreements import policy
from comanaged.agreements.models import VendorCoverage
from comanaged.agreements.selectors import coverage_facts
from comanaged.core import audit
from comanaged.core.errors import ApplicationError, Problem
from comanaged.tenancy.choices import StaffRoleCode
from comanaged.tenancy.models import StaffProfile
from comanaged.tenancy.scoping import client_scope
from comanaged.tickets.access import require_desk, require_verdict_editor
from comanaged.tickets.choices import Status, Tier, Verdict
from comanaged.tickets.clock import service as clock
from comanaged.tickets.errors import TicketErrorCode as Code
from comanaged.tickets.events import record
from comanaged.tickets.models import DESK_OPEN, Ticket, VendorEscalation
from comanaged.tickets.resources import TIER_ORDER, appropriate_resource, start_facts, vertical_fit

# The states the desk moves a ticket between by hand.
WORK_STATES = (Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, Status.WAITING_ON_VENDOR)


def _locked_on_desk(ticket: Ticket) -> Ticket:
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.status not in DESK_OPEN:
        raise ApplicationError(
            Code.INVALID_TRANSITION, "Only an escalated, unresolved ticket is on the desk.", field="status"
        )
    return locked


def _save(ticket: Ticket, actor: Any, action: str, before: dict[str, Any], fields: list[str], note: str = "") -> None:
    ticket.save(update_fields=[*fields, "updated_at"])
    audit.record(actor=actor, action=action, instance=ticket, before=before, after=audit.snapshot(ticket), note=note)


def ticket_assign(*, ticket: Ticket, actor: Any, assignee: StaffProfile | None, reason: str = "") -> Ticket:
    """Give the ticket to a technician (or take it back to the queue). Assigning a technician
    without the ticket's vertical needs a reason (R12), kept in the history and the audit."""
    require_desk(actor)
    with transaction.atomic():
        locked = _locked_on_desk(ticket)
        if assignee is not None:
            _check_assignee(locked, assignee, reason)
        if assignee is not None and assignee.pk == locked.assignee_id:
            return locked
        before = audit.snapshot(locked)
        locked.assignee = assignee
        if locked.status == Status.ESCALATED and assignee is not None:
            locked.status = Status.ASSIGNED
        elif assignee is None and locked.status == Status.ASSIGNED:
            locked.status = Status.ESCALATED
        _save(locked, actor, "assign", before, ["assignee", "status"], note=reason.strip())
        text = f"Assigned to {assignee.user.full_name}." if assignee else "Returned to the queue."
        record(locked, actor, "assigned", text=text, assignee=assignee.pk if assignee else None)
        if reason.strip():
            record(locked, actor, "note", text=f"Assignment reason: {reason.strip()}", public=False)
    ticket.refresh_from_db()
    return ticket


def _check_assignee(ticket: Ticket, assignee: StaffProfile, reason: str) -> None:
    if StaffRoleCode.TECHNICIAN not in assignee.role_codes() or not assignee.user.is_active:
        raise ApplicationError(Code.NOT_A_TECHNICIAN, f"{assignee} is not an active technician.", field="assignee")
    if not client_scope(assignee.user).allows(ticket.client_id):
        raise ApplicationError(
            Code.NOT_A_TECHNICIAN, f"{assignee} does not work for {ticket.client} (not on its team).", field="assignee"
        )
    if not vertical_fit(ticket, assignee) and not reason.strip():
        raise ApplicationError(
            Code.VERTICAL_REASON_REQUIRED,
            f"{assignee} is not experienced in {ticket.desk_vertical}; give a reason to take it anyway (R12).",
            field="reason",
        )


def ticket_claim(*, ticket: Ticket, actor: Any, reason: str = "") -> Ticket:
    return ticket_assign(ticket=ticket, actor=actor, assignee=require_desk(actor), reason=reason)


def ticket_start_work(*, ticket: Ticket, actor: Any, reason: str = "", at: dt.datetime | None = None) -> Ticket:
    """A technician starts working and takes the ticket. The first start by an appropriate
    resource (tier, vertical — R17, R12) is the response (``work_started_at``); every start is
    recorded with who, their tier and vertical fit, for the response clock to explain.

    ``at`` is for importing history (the demo, a move from another PSA): the pages and the API
    never pass it — a start counts when it is made, or the clock could be gamed."""
    staff = require_desk(actor)
    with transaction.atomic():
        locked = _locked_on_desk(ticket)
        if at is not None and (at > timezone.now() or (locked.escalated_at and at < locked.escalated_at)):
            raise ApplicationError(Code.INVALID_TRANSITION, "Work starts after the escalation, not later than now.")
        already = locked.work_started_at is not None or not appropriate_resource(locked, staff)
        if locked.status == Status.IN_PROGRESS and locked.assignee_id == staff.pk and already:
            # Pressed again; but an appropriate assignee whose ticket another path set in progress
            # (a colleague, the client's reply) may still record the start that is the response.
            raise ApplicationError(Code.INVALID_TRANSITION, "You are already working on this ticket.", field="status")
        before = audit.snapshot(locked)
        if locked.assignee_id != staff.pk:  # whoever starts work takes the ticket (R17: who responded)
            _check_assignee(locked, staff, reason)
            locked.assignee = staff
            if reason.strip():
                record(locked, actor, "note", text=f"Assignment reason: {reason.strip()}", public=False)
        locked.status = Status.IN_PROGRESS
        _save(locked, actor, "start_work", before, ["status", "assignee"], note=reason.strip())
        _work_started(locked, actor, staff, at=at)
    ticket.refresh_from_db()
    return ticket


def _work_started(ticket: Ticket, actor: Any, staff: StaffProfile, *, at: dt.datetime | None = None) -> None:
    """Record a start of work; an appropriate resource's first is the response (R17)."""
    now = at or timezone.now()
    appropriate = appropriate_resource(ticket, staff)
    facts = start_facts(ticket, staff)
    if appropriate and ticket.work_started_at is None:
        ticket.work_started_at = now
        ticket.save(update_fields=["work_started_at"])
    record(
        ticket,
        actor,
        "work_started",
        text=f"{staff.user.full_name} is working on it.",
        ticket_tier=ticket.tier,
        appropriate=appropriate,
        at=now,
        **facts,
    )
    clock.status_changed(ticket, actor, at=now, reason="Work started.")  # leaving a waiting state resumes it
    clock.work_started(ticket, actor, staff, appropriate=appropriate, at=now, **facts)


def ticket_set_status(*, ticket: Ticket, actor: Any, status: str, note: str = "") -> Ticket:
    """Between in progress and waiting on the client or the vendor; the note tells the client why."""
    staff = require_desk(actor)
    if status not in WORK_STATES:
        raise ApplicationError(
            Code.INVALID_TRANSITION,
            "Choose in progress, waiting on client or waiting on vendor (resolve has its own action).",
            field="status",
        )
    with transaction.atomic():
        locked = _locked_on_desk(ticket)
        if locked.status == status:
            return locked
        before = audit.snapshot(locked)
        locked.status = status
        _save(locked, actor, "status", before, ["status"])
        text = f"Status: {locked.get_status_display()}." + (f" {note.strip()}" if note.strip() else "")
        record(locked, actor, "status", text=text, status=status)
        clock.status_changed(locked, actor, at=timezone.now(), reason=note.strip())
        if status == Status.IN_PROGRESS and locked.assignee_id == staff.pk:
            _work_started(locked, actor, staff)  # the assignee working on it is a start (R17)
    ticket.refresh_from_db()
    return ticket


def ticket_raise_tier(*, ticket: Ticket, actor: Any, tier: str, reason: str) -> Ticket:
    """R20: escalate to higher-level engineers; the ticket goes back to that tier's queue."""
    require_desk(actor)
    if not reason.strip():
        raise ApplicationError(Code.REASON_REQUIRED, "Say why it needs a higher tier.", field="reason")
    if tier not in TIER_ORDER:
        raise ApplicationError(Code.TIER_NOT_HIGHER, "Choose L2 or L3.", field="tier")
    with transaction.atomic():
        locked = _locked_on_desk(ticket)
        current = TIER_ORDER.index(Tier(locked.tier)) if locked.tier in TIER_ORDER else -1
        if TIER_ORDER.index(Tier(tier)) <= current:
            raise ApplicationError(
                Code.TIER_NOT_HIGHER, f"The ticket is already at {locked.get_tier_display()}.", field="tier"
            )
        before = audit.snapshot(locked)
        locked.tier, locked.assignee, locked.status = tier, None, Status.ESCALATED
        _save(locked, actor, "raise_tier", before, ["tier", "assignee", "status"], note=reason.strip())
        record(locked, actor, "tier_raised", text=f"Escalated to {Tier(tier).label} engineers.", tier=tier)
        record(locked, actor, "note", text=f"Tier raised: {reason.strip()}", public=False)
        clock.status_changed(locked, actor, at=timezone.now(), reason=f"Raised to {Tier(tier).label}")
    ticket.refresh_from_db()
    return ticket


def ticket_vendor_escalate(
    *, ticket: Ticket, actor: Any, case_number: str, coverage: VendorCoverage | None = None, note: str = ""
) -> VendorEscalation:
    """R20: take the ticket to the vendor — refused unless the client's current vendor/OEM
    support lists the provider as an authorized user (R28)."""
    require_desk(actor)
    if not case_number.strip():
        raise ApplicationError(Code.REASON_REQUIRED, "Give the vendor's case number.", field="case_number")
    with transaction.atomic():
        locked = _locked_on_desk(ticket)
        if coverage is not None and coverage.client_id != locked.client_id:
            raise ApplicationError(Code.WRONG_CLIENT, "That coverage belongs to another client.", field="coverage")
        if coverage is None and locked.application_id:
            coverage = locked.application.vendor_coverage  # type: ignore[union-attr]
        recorded = VendorCoverage.objects.filter(client=locked.client)
        if coverage is None and recorded.exists():
            # The case is under one support plan: the desk names it (no "any vendor will do").
            raise ApplicationError(
                Code.VENDOR_ESCALATION_REFUSED,
                "Choose which of the client's vendor support plans this case is under.",
                field="coverage",
            )
        coverages = [coverage] if coverage is not None else []
        today = timezone.now().astimezone(ZoneInfo(locked.client.time_zone)).date()
        decision = policy.vendor_escalation(coverage_facts(coverages), today)
        if not decision.allowed or decision.coverage is None:
            raise ApplicationError(Code.VENDOR_ESCALATION_REFUSED, decision.message, field="coverage")
        chosen = next(c for c in coverages if c.pk == decision.coverage.coverage_id)
        escalation = VendorEscalation.objects.create(
            ticket=locked,
            coverage=chosen,
            vendor=chosen.vendor,
            case_number=case_number.strip()[:80],
            contract=chosen.contract_number,
            opened_by=actor if getattr(actor, "pk", None) else None,
        )
        before = audit.snapshot(locked)
        locked.tier, locked.status = Tier.VENDOR, Status.WAITING_ON_VENDOR
        _save(locked, actor, "vendor_escalate", before, ["tier", "status"], note=f"{chosen.vendor} {case_number}")
        record(
            locked,
            actor,
            "vendor_escalated",
            text=f"Escalated to {chosen.vendor} (case {escalation.case_number}).",
            vendor=chosen.vendor,
            case_number=escalation.case_number,
            coverage=chosen.pk,
        )
        clock.status_changed(locked, actor, at=timezone.now(), reason=f"Waiting on {chosen.vendor}")
        if note.strip():
            record(locked, actor, "note", text=note.strip(), public=False)
    return escalation


def ticket_override_verdict(*, ticket: Ticket, actor: Any, verdict: str, reason: str) -> Ticket:
    """Provider staff may change the contract's verdict — e.g. take out-of-scope work on as
    billable (R19, R22) — with a reason, audited and shown to the client."""
    require_verdict_editor(actor)
    if verdict not in Verdict.values or verdict == Verdict.ROUTE_TO_POC:
        raise ApplicationError(
            "invalid_choice", "Choose covered, covered without target, billable or out of scope.", field="verdict"
        )
    if not reason.strip():
        raise ApplicationError(Code.REASON_REQUIRED, "Give the reason for the new verdict.", field="reason")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.escalated_at is None:
            raise ApplicationError(
                Code.INVALID_TRANSITION, "Only an escalated ticket has a verdict to change.", field="verdict"
            )
        if locked.verdict == verdict:
            return locked
        before = audit.snapshot(locked)
        previous = locked.get_verdict_display()
        locked.verdict, locked.verdict_override_reason = verdict, reason.strip()
        locked.verdict_reasons = [
            {"code": "staff_override", "message": reason.strip(), "rules": ["R22"], "previous": previous}
        ]
        _save(
            locked,
            actor,
            "override_verdict",
            before,
            ["verdict", "verdict_override_reason", "verdict_reasons"],
            note=reason.strip(),
        )
        clock.retarget(locked, actor, reason=f"Assessment changed to {locked.get_verdict_display()}: {reason.strip()}")
        record(
            locked,
            actor,
            "verdict_changed",
            text=f"Assessment changed from {previous} to {locked.get_verdict_display()}: {reason.strip()}",
            verdict=verdict,
        )
    ticket.refresh_from_db()
    return ticket


def bulk(tickets: Sequence[Ticket], action: Callable[[Ticket], Any]) -> int:
    """Apply one desk action to many tickets — all or nothing, naming each ticket refused."""
    problems: list[Problem] = []
    with transaction.atomic():
        for ticket in tickets:
            try:
                with transaction.atomic():
                    action(ticket)
            except ApplicationError as error:
                problems.append(Problem(Code.BULK_REFUSED, f"#{ticket.number}: {error.problems[0].message}", "tickets"))
            except PermissionDenied as error:
                problems.append(Problem(Code.BULK_REFUSED, f"#{ticket.number}: {error}", "tickets"))
        if problems:
            transaction.set_rollback(True)
            raise ApplicationError.from_problems(problems)
    return len(tickets)


def ticket_set_required_tier(*, ticket: Ticket, actor: Any, tier: str, reason: str) -> Ticket:
    """Triage (R17): only a start by this tier or higher will be the response. Dispatchers and
    admins decide it, with a reason; it does not move the deadline."""
    require_verdict_editor(actor)
    if tier not in TIER_ORDER:
        raise ApplicationError("invalid_choice", "Choose L1, L2 or L3.", field="tier")
    if not reason.strip():
        raise ApplicationError(Code.REASON_REQUIRED, "Say why this tier is required.", field="reason")
    with transaction.atomic():
        locked = _locked_on_desk(ticket)
        if locked.required_tier == tier:
            return locked
        before = audit.snapshot(locked)
        locked.required_tier = tier
        _save(locked, actor, "required_tier", before, ["required_tier"], note=reason.strip())
        text = f"Requires {Tier(tier).label} or higher: {reason.strip()}"
        record(locked, actor, "required_tier", text=text, public=False, tier=tier)
        clock.required_tier_set(locked, actor, tier=tier, reason=reason.strip())
    ticket.refresh_from_db()
    return ticket
