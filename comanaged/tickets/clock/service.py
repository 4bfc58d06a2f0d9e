"""Writes of the response clock, called by the ticket services inside their transaction, on the
locked ticket. Each keeps ``Ticket.respond_due_at`` equal to the current clock's deadline, so
the desk queue sorts on one indexed column.

- ``start``: the ticket was escalated (again): a new clock from ``escalated_at`` (R16, R17).
- ``retarget``: an input of the target changed (priority, affected person, verdict, type,
  application): the terms are re-read and the deadline recomputed from the escalation.
- ``work_started``: someone started work; only an appropriate resource stops the clock (R17).
- ``status_changed``: waiting on the client or vendor pauses it where the agreement says so.
- ``closed``: resolved or merged without a response.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from django.utils import timezone

from comanaged.agreements.models import Agreement
from comanaged.agreements.selectors import active_agreement
from comanaged.sla import clock as arithmetic
from comanaged.sla.intervals import NoBusinessTime
from comanaged.sla.selectors import agreement_rules, agreement_targets
from comanaged.tenancy.calendar import BusinessCalendar
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.models import StaffProfile
from comanaged.tenancy.selectors import client_calendar
from comanaged.tickets.choices import Verdict
from comanaged.tickets.clock.models import ClockEvent, ClockState, ClockTimer, ResponseClock, TimerKind
from comanaged.tickets.models import DESK_OPEN, Ticket

log = logging.getLogger(__name__)

NO_AGREEMENT = {"code": "no_agreement", "message": "The client has no active agreement.", "rules": ["R16"]}


@dataclass(frozen=True)
class Terms:
    """What the clock measures against, read from the agreement and the ticket."""

    target_seconds: int | None
    business_hours: bool
    vip: bool
    exclusion: dict[str, Any]
    warning_percent: int
    pause_statuses: frozenset[str]


def terms_for(ticket: Ticket, agreement: Agreement | None) -> Terms:
    rules = agreement_rules(agreement)
    vip = ticket.affected_person_id is not None and ticket.affected_person.level == UserLevel.VIP  # type: ignore[union-attr]
    exclusion: dict[str, Any] = {}
    if agreement is None:
        exclusion = NO_AGREEMENT
    elif ticket.verdict != Verdict.COVERED:
        # R18 (service request at P1/P2), R19 (unlisted application), billable or out-of-scope work.
        first = ticket.verdict_reasons[0] if ticket.verdict_reasons else {}
        exclusion = {
            "code": first.get("code", ticket.verdict),
            "message": first.get("message", Verdict(ticket.verdict).label if ticket.verdict else ""),
            "rules": first.get("rules", []),
            "verdict": ticket.verdict,
        }
    target = agreement_targets(agreement).get(ticket.priority)
    if target is None and not exclusion:
        exclusion = {"code": "no_priority", "message": "The ticket has no priority.", "rules": ["R16"]}
    return Terms(
        target_seconds=None if exclusion or target is None else int(target.respond_for(vip=vip).total_seconds()),
        business_hours=bool(target and target.business_hours),
        vip=vip,
        exclusion=exclusion,
        warning_percent=rules.warning_percent,
        pause_statuses=rules.pause_statuses,
    )


def current(ticket: Ticket) -> ResponseClock | None:
    return ResponseClock.objects.filter(ticket=ticket, is_current=True).first()


def _event(clock: ResponseClock, kind: str, actor: Any, at: dt.datetime, text: str = "", **data: Any) -> None:
    ClockEvent.objects.create(
        clock=clock, kind=kind, at=at, actor=actor if getattr(actor, "pk", None) else None, text=text[:300], data=data
    )


def segments(clock: ResponseClock, *, until: dt.datetime | None = None) -> list[arithmetic.Segment]:
    """The clock's running periods, from its pause and resume events (closed at ``until``)."""
    result: list[arithmetic.Segment] = []
    running_since: dt.datetime | None = clock.started_at
    for kind, at in clock.events.filter(kind__in=("paused", "resumed")).values_list("kind", "at"):
        if kind == "paused" and running_since is not None:
            result.append((running_since, at))
            running_since = None
        elif kind == "resumed" and running_since is None:
            running_since = at
    if running_since is not None:
        result.append((running_since, until))
    return result


def _calendar(clock: ResponseClock, ticket: Ticket) -> BusinessCalendar | None:
    return client_calendar(ticket.client) if clock.business_hours else None


def _deadlines(clock: ResponseClock, ticket: Ticket) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(due, warn) for the clock as it stands; (None, None) without a target or while paused short."""
    if clock.target_seconds is None:
        return None, None
    running = segments(clock)  # the deadline as if the clock ran on: a stop is compared with it
    calendar = _calendar(clock, ticket)
    try:
        due = arithmetic.instant_reached(calendar, running, clock.target_seconds)
        warn_seconds = arithmetic.warning_seconds(clock.target_seconds, clock.warning_percent)
        warn = arithmetic.instant_reached(calendar, running, warn_seconds)
    except NoBusinessTime:
        # Hours removed after the target was set: never leave a ticket without a deadline.
        log.warning("client %s has no business hours; ticket #%s measured 24x7", ticket.client_id, ticket.number)
        clock.business_hours = False
        return _deadlines(clock, ticket)
    return due, warn


def _apply(clock: ResponseClock, terms: Terms) -> None:
    clock.target_seconds = terms.target_seconds
    clock.business_hours = terms.business_hours
    clock.vip = terms.vip
    clock.exclusion = terms.exclusion
    clock.warning_percent = terms.warning_percent


def _settle(clock: ResponseClock, ticket: Ticket) -> None:
    """Recompute the deadline, the state and the timers of ``clock`` and store them."""
    due, warn = _deadlines(clock, ticket)
    clock.due_at = due
    if clock.exclusion:
        clock.state = ClockState.EXCLUDED
    elif clock.stopped_at is not None:
        clock.state = ClockState.MET if due is not None and clock.stopped_at <= due else ClockState.MISSED
    elif ticket.status not in DESK_OPEN:  # re-targeted after it closed unanswered: judged at the close
        closed_at = ticket.resolved_at or ticket.closed_at or timezone.now()
        clock.state = ClockState.MISSED if due is not None and closed_at > due else ClockState.CANCELLED
    else:
        running = segments(clock)
        clock.state = ClockState.RUNNING if running and running[-1][1] is None else ClockState.PAUSED
    clock.save()
    if clock.is_open and not clock.exclusion:
        _arm(clock, TimerKind.WARNING, warn)
        _arm(clock, TimerKind.BREACH, due)
    else:
        ClockTimer.objects.filter(clock=clock, fired_at__isnull=True).delete()
    if clock.is_current:
        ticket.respond_due_at = due
        Ticket.objects.filter(pk=ticket.pk).update(respond_due_at=due)


def _arm(clock: ResponseClock, kind: str, at: dt.datetime | None) -> None:
    """Set a pending timer's time (empty while paused). A fired timer stays fired: each clock
    warns and breaches at most once, whatever re-targets follow."""
    timer, created = ClockTimer.objects.get_or_create(clock=clock, kind=kind, defaults={"fire_at": at})
    if not created and timer.fired_at is None and timer.fire_at != at:
        timer.fire_at = at
        timer.save(update_fields=["fire_at"])


def start(ticket: Ticket, actor: Any, *, agreement: Agreement | None = None) -> ResponseClock:
    """A new clock from the ticket's escalation; the previous one, if any, stops being current."""
    assert ticket.escalated_at is not None, "a clock starts at an escalation"
    agreement = agreement if agreement is not None else active_agreement(ticket.client_id)
    previous = ResponseClock.objects.filter(ticket=ticket)
    sequence = (previous.aggregate(last=Max("sequence"))["last"] or 0) + 1
    previous.filter(is_current=True).update(is_current=False)
    ClockTimer.objects.filter(clock__ticket=ticket, fired_at__isnull=True).delete()
    clock = ResponseClock(
        ticket=ticket,
        client_id=ticket.client_id,
        sequence=sequence,
        started_at=ticket.escalated_at,
        priority=ticket.priority,
        vertical_id=ticket.desk_vertical_id,
    )
    terms = terms_for(ticket, agreement)
    _apply(clock, terms)
    clock.state = ClockState.EXCLUDED if terms.exclusion else ClockState.RUNNING
    clock.save()
    _event(clock, "started", actor, ticket.escalated_at, _started_text(clock), **_terms_data(clock))
    if terms.exclusion:
        _event(clock, "excluded", actor, ticket.escalated_at, terms.exclusion.get("message", ""), **terms.exclusion)
    _settle(clock, ticket)
    return clock


def _started_text(clock: ResponseClock) -> str:
    if clock.target_seconds is None:
        return "Escalated; no respond target applies."
    hours = clock.target_seconds / 3600
    calendar = "business hours" if clock.business_hours else "24×7"
    return f"Escalated at {clock.priority}{' (VIP)' if clock.vip else ''}: respond within {hours:g} h ({calendar})."


def _terms_data(clock: ResponseClock) -> dict[str, Any]:
    return {
        "priority": clock.priority,
        "target_seconds": clock.target_seconds,
        "business_hours": clock.business_hours,
        "vip": clock.vip,
    }


def retarget(ticket: Ticket, actor: Any, *, reason: str, agreement: Agreement | None = None) -> None:
    """An input of the target changed: re-read the terms, recompute from the escalation (R16)."""
    clock = current(ticket)
    if clock is None or clock.state == ClockState.CANCELLED:
        return
    if clock.stopped_at is not None or clock.state == ClockState.MISSED:
        # Judged already: a change after the response (or an unanswered close) is kept, not re-scored.
        _event(clock, "not_retargeted", actor, timezone.now(), reason, outcome=clock.state)
        return
    agreement = agreement if agreement is not None else active_agreement(ticket.client_id)
    terms = terms_for(ticket, agreement)
    before = (_terms_data(clock), clock.exclusion)
    clock.priority, clock.vertical_id = ticket.priority, ticket.desk_vertical_id
    _apply(clock, terms)
    if (_terms_data(clock), clock.exclusion) == before:
        return
    now = timezone.now()
    was_excluded = bool(before[1])
    if terms.exclusion and not was_excluded:
        _event(clock, "excluded", actor, now, terms.exclusion.get("message", reason), **terms.exclusion)
    elif was_excluded and not terms.exclusion:
        _event(clock, "included", actor, now, reason)
    _event(clock, "retargeted", actor, now, reason, before=before[0], **_terms_data(clock))
    _settle(clock, ticket)


def work_started(
    ticket: Ticket, actor: Any, by: StaffProfile, *, appropriate: bool, at: dt.datetime, **facts: Any
) -> None:
    """R17: only an appropriate resource's start stops the clock; anyone else's is recorded."""
    clock = current(ticket)
    if clock is None or clock.stopped_at is not None or clock.state == ClockState.CANCELLED:
        return
    who = by.user.full_name
    if not appropriate:
        _event(
            clock, "start_not_counted", actor, at, f"{who} started work but is not an appropriate resource.", **facts
        )
        return
    if clock.state == ClockState.PAUSED:  # a start from a state that does not pause (callers resume first)
        _event(clock, "resumed", actor, at, "Work started.")
    clock.stopped_at, clock.stopped_by = at, by
    clock.response_seconds = arithmetic.running_seconds(_calendar(clock, ticket), segments(clock, until=at), at)
    _event(clock, "stopped", actor, at, f"{who} started work.", **facts)
    _settle(clock, ticket)


def status_changed(ticket: Ticket, actor: Any, *, at: dt.datetime, reason: str = "") -> None:
    """Pause on a waiting state the agreement pauses on; resume on leaving it."""
    clock = current(ticket)
    if clock is None or not clock.is_open:
        return
    pausing = ticket.status in agreement_rules(active_agreement(ticket.client_id)).pause_statuses
    if pausing and clock.state == ClockState.RUNNING:
        clock.state = ClockState.PAUSED
        _event(clock, "paused", actor, at, reason or ticket.get_status_display(), status=ticket.status)
    elif not pausing and clock.state == ClockState.PAUSED:
        clock.state = ClockState.RUNNING
        _event(clock, "resumed", actor, at, reason or ticket.get_status_display(), status=ticket.status)
    else:
        return
    _settle(clock, ticket)


def closed(ticket: Ticket, actor: Any, *, at: dt.datetime, reason: str) -> None:
    """Resolved or merged with no response: missed if its deadline had passed, else cancelled."""
    clock = current(ticket)
    if clock is None or not clock.is_open:
        return
    late = clock.due_at is not None and at > clock.due_at
    clock.state = ClockState.MISSED if late else ClockState.CANCELLED
    if clock.state == ClockState.MISSED:
        clock.stopped_at = None
    _event(clock, "closed", actor, at, reason, outcome=clock.state)
    clock.save()
    ClockTimer.objects.filter(clock=clock, fired_at__isnull=True).delete()


def required_tier_set(ticket: Ticket, actor: Any, *, tier: str, reason: str) -> None:
    """Triage changed who may stop the clock; the deadline stays (kept to explain later starts)."""
    clock = current(ticket)
    if clock is not None and clock.is_open:
        _event(clock, "required_tier", actor, timezone.now(), reason, tier=tier)
