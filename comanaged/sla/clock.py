"""A response clock as arithmetic: running segments on a calendar (R13, R16, R17).

A clock runs from the escalation until an appropriate resource starts work, except while it is
paused (waiting on the client or the vendor, where the agreement says so). Its running time is
a list of segments ``(start, end)`` — ``end`` is ``None`` for the segment still running — and
only the calendar's business time inside them counts. These functions answer the two questions
the deadline and the timers ask; they are pure, so the property tests can check them against a
minute-by-minute walk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from comanaged.sla.intervals import add_business_seconds, business_seconds_between
from comanaged.tenancy.calendar import BusinessCalendar

Segment = tuple[dt.datetime, dt.datetime | None]


def instant_reached(calendar: BusinessCalendar | None, segments: Sequence[Segment], seconds: int) -> dt.datetime | None:
    """The instant the clock's running time reaches ``seconds``; ``None`` while it is paused short
    of it (no running segment left to reach it in)."""
    remaining = seconds
    for start, end in segments:
        if end is not None:
            span = business_seconds_between(calendar, start, end)
            if span < remaining:
                remaining -= span
                continue
        return add_business_seconds(calendar, start, remaining)
    return None


def running_seconds(calendar: BusinessCalendar | None, segments: Sequence[Segment], until: dt.datetime) -> int:
    """Business seconds the clock has run by ``until``."""
    total = 0
    for start, end in segments:
        stop = until if end is None else min(end, until)
        total += business_seconds_between(calendar, start, stop)
    return total


def warning_seconds(target_seconds: int, percent: int) -> int:
    """The running time at which a warning is due: ``percent`` of the target, whole seconds."""
    return target_seconds * percent // 100
