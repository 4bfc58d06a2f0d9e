"""The response clock as people read it (R16–R19): the target in words, the deadline, the
countdown's first text and colour, the outcome and — on the desk only — the clock's events.

Shared by the desk's ticket page, the portal's ticket page and the SLA page. Only reads: when
a clock starts, stops, pauses or is excluded is decided in ``comanaged.tickets.clock``. The
countdown's words are written again each second by ``tickets/clock.js``, which mirrors
``countdown`` below — keep the two in step."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from comanaged.tickets.clock.models import ClockEvent, ClockState, ClockTimer, ResponseClock, TimerKind

EVENT_LABELS = {
    "started": ("Started", "bi-play-circle"),
    "excluded": ("Excluded", "bi-slash-circle"),
    "included": ("Measured again", "bi-check2-circle"),
    "retargeted": ("Re-targeted", "bi-bullseye"),
    "paused": ("Paused", "bi-pause-circle"),
    "resumed": ("Resumed", "bi-play-circle"),
    "start_not_counted": ("Start not counted", "bi-x-circle"),
    "stopped": ("Responded", "bi-stop-circle-fill"),
    "required_tier": ("Required tier", "bi-chevron-double-up"),
    "warning": ("Warning", "bi-hourglass-split"),
    "breached": ("Breached", "bi-exclamation-triangle-fill"),
    "closed": ("Closed", "bi-lock"),
    "not_retargeted": ("Kept as judged", "bi-lock"),
}


def duration(seconds: float | None) -> str:
    """A length of time: '40 s', '42 m', '2 h', '1 h 30 m', '1 d 2 h' ('—' for none)."""
    if seconds is None:
        return "—"
    total = int(abs(seconds))
    if total < 60:
        return f"{total} s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes} m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} m" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def countdown(seconds: float) -> str:
    """'1 h 12 m 05 s left', '12 m 05 s overdue' — to the second below a day, since it ticks."""
    total = int(abs(seconds))
    suffix = "left" if seconds >= 0 else "overdue"
    if total >= 86_400:
        return f"{duration(total)} {suffix}"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} m {secs:02d} s {suffix}"
    if minutes:
        return f"{minutes} m {secs:02d} s {suffix}"
    return f"{secs} s {suffix}"


def target_text(clock: ResponseClock) -> str:
    """'P2 · respond within 2 h, 24×7' (R16, R13); VIP targets are marked (R9)."""
    priority = clock.priority or "No priority"
    vip = " VIP" if clock.vip else ""
    if clock.target_seconds is None:
        return f"{priority}{vip} · no respond target"
    calendar = "business hours" if clock.business_hours else "24×7"
    return f"{priority}{vip} · respond within {duration(clock.target_seconds)}, {calendar}"


@dataclass(frozen=True)
class ClockView:
    """One clock as a panel shows it. ``tone`` picks the colour: running, warning, overdue,
    paused, met, missed, excluded or cancelled."""

    clock: ResponseClock
    tone: str
    label: str  # the badge: "Running", "Overdue", "Met"…
    target: str
    warn_at: dt.datetime | None
    countdown: str  # the first text of the live countdown; "" when nothing counts down
    outcome: str
    rules: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def due_iso(self) -> str:
        return iso(self.clock.due_at)

    @property
    def warn_iso(self) -> str:
        return iso(self.warn_at)


def iso(value: dt.datetime | None) -> str:
    """An instant for clock.js: UTC, ISO 8601 to the second, which every browser parses."""
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else ""


def with_warning(clocks: QuerySet[ResponseClock]) -> QuerySet[ResponseClock]:
    """Clocks with ``warn_at``, their warning timer's instant, in the same query."""
    warning = ClockTimer.objects.filter(clock=OuterRef("pk"), kind=TimerKind.WARNING).values("fire_at")[:1]
    return clocks.annotate(warn_at=Subquery(warning))


def clocks_of(ticket: Any) -> list[ResponseClock]:
    """Every clock of the ticket, newest first, with its events: two queries whatever the
    history (the desk's page is measured for that)."""
    events = ClockEvent.objects.select_related("actor").order_by("at", "id")
    clocks = ResponseClock.objects.filter(ticket=ticket).select_related("stopped_by__user")
    return list(with_warning(clocks).prefetch_related(Prefetch("events", queryset=events)).order_by("-sequence"))


def current_clock(ticket: Any) -> ResponseClock | None:
    """The current clock with its warning instant, no events: the portal's read."""
    return with_warning(ResponseClock.objects.filter(ticket=ticket, is_current=True)).first()


def view_of(clock: ResponseClock, *, now: dt.datetime, status_label: str = "", with_events: bool = False) -> ClockView:
    """The panel of ``clock`` at ``now``; ``status_label`` says what a paused clock waits on."""
    warn_at: dt.datetime | None = getattr(clock, "warn_at", None)  # from ``with_warning``
    rules: list[str] = []
    text = ticking = ""
    state = clock.state
    if state == ClockState.RUNNING and clock.due_at is not None:
        left = (clock.due_at - now).total_seconds()
        if left < 0 or clock.breached_at is not None:
            tone, label = "overdue", "Overdue"
        elif warn_at is not None and warn_at <= now:
            tone, label = "warning", "Due soon"
        else:
            tone, label = "running", "Running"
        ticking = countdown(left)
    elif state == ClockState.PAUSED:
        tone, label = "paused", "Paused"
        text = f"Paused — {status_label.lower()}" if status_label else "Paused"
    elif state == ClockState.MET:
        tone, label = "met", "Met"
        text = f"Responded in {duration(clock.response_seconds)} — met"
    elif state == ClockState.MISSED:
        tone, label = "missed", "Missed"
        if clock.stopped_at is not None:
            text = f"Responded in {duration(clock.response_seconds)} — missed"
        else:
            text = "Missed — closed without a response after the deadline"
    elif state == ClockState.EXCLUDED:
        tone, label = "excluded", "No target"
        text = f"No respond target: {clock.exclusion.get('message', '')}".strip()
        rules = [str(rule) for rule in clock.exclusion.get("rules", [])]
    elif state == ClockState.CANCELLED:
        tone, label = "cancelled", "Cancelled"
        text = "Cancelled — closed before its deadline without a response; not counted"
    else:  # running without a deadline: never expected, but never a blank panel either
        tone, label, text = "excluded", "No target", "No deadline"
    if clock.business_hours and clock.response_seconds is not None:
        text += " (business time)"
    events = _events(clock) if with_events else []
    return ClockView(clock, tone, label, target_text(clock), warn_at, ticking, text, rules, events)


def _events(clock: ResponseClock) -> list[dict[str, Any]]:
    rows = []
    for event in clock.events.all():
        label, icon = EVENT_LABELS.get(event.kind, (event.kind.replace("_", " ").capitalize(), "bi-dot"))
        rows.append({"event": event, "label": label, "icon": icon})
    return rows
