"""Business time as arithmetic (R13, R16): a calendar's open periods, precomputed once as sorted
UTC instants with running totals, so "the instant N business seconds after t" and "business
seconds between a and b" are binary searches — not a minute-by-minute walk.

Exactness across DST: a local day is cut into pieces of constant UTC offset (a piece ends at a
transition), and each business interval ``[opens, closes)`` of wall time is intersected with each
piece. A wall time inside a gap (02:30 on spring-forward) never happens, so the interval starts
when the clocks jump; a wall time inside a fold (01:30 on fall-back) happens twice, so the hour
counts twice. That is exactly ``BusinessCalendar.is_business_time`` asked of every instant.

Instants here are integer seconds since the epoch (UTC); nothing depends on the server's ``TZ``.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from comanaged.tenancy.calendar import MIDNIGHT, BusinessCalendar

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DAY = 86_400
# UTC offsets stay within [-12 h, +14 h]: a local date's instants lie inside this window.
BEFORE_MIDNIGHT, AFTER_MIDNIGHT = 14 * 3600, 12 * 3600
SPAN_YEARS = 1  # a table covers the start's year and one on either side


class NoBusinessTime(ValueError):
    """The calendar has no business time in reach (no hours at all, or a year of closures)."""


def epoch(at: dt.datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("business-time questions need an aware datetime")
    return int((at - EPOCH).total_seconds())


def instant(seconds: int) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=seconds)


def _offset(zone: ZoneInfo, seconds: int) -> int:
    return int(instant(seconds).astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]


def _pieces(zone: ZoneInfo, start: int, end: int) -> list[tuple[int, int, int]]:
    """``[start, end)`` cut where the UTC offset changes: (from, to, offset) pieces."""
    pieces = []
    while start < end:
        offset = _offset(zone, start)
        if _offset(zone, end - 1) == offset and _offset(zone, (start + end) // 2) == offset:
            pieces.append((start, end, offset))
            break
        low, high = start, end - 1  # first instant whose offset differs
        while low + 1 < high:
            middle = (low + high) // 2
            if _offset(zone, middle) == offset:
                low = middle
            else:
                high = middle
        if _offset(zone, high) == offset:  # no change after all (two changes cancelled out)
            pieces.append((start, end, offset))
            break
        pieces.append((start, high, offset))
        start = high
    return pieces


@dataclass(frozen=True, eq=False)
class IntervalTable:
    """Open periods ``[starts[i], ends[i])`` (UTC seconds, sorted, disjoint), the business seconds
    before and after each, covering ``[covers_from, covers_to)``."""

    starts: list[int]
    ends: list[int]
    before: list[int]
    after: list[int]
    covers_from: int
    covers_to: int

    def position(self, at: int) -> int:
        """Business seconds in ``[covers_from, at)``."""
        i = bisect_right(self.ends, at)
        if i == len(self.starts):
            return self.before[-1] + (self.ends[-1] - self.starts[-1]) if self.starts else 0
        return self.before[i] + max(0, at - self.starts[i])

    def at_position(self, position: int) -> int:
        """The first instant by which ``position`` business seconds have passed."""
        j = bisect_left(self.after, position)
        if j == len(self.after):
            raise NoBusinessTime("no business time within reach of this calendar")
        return self.starts[j] + (position - self.before[j])


def build_table(calendar: BusinessCalendar, first_day: dt.date, last_day: dt.date) -> IntervalTable:
    """The open periods of local days ``first_day`` … ``last_day``."""
    zone = calendar.zone
    periods: list[tuple[int, int]] = []
    day = first_day
    while day <= last_day:
        intervals = calendar.week.get(day.weekday(), ())
        if intervals and calendar.closed_reason(day) is None:
            midnight = epoch(dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC))  # wall midnight as if UTC
            pieces = _pieces(zone, midnight - BEFORE_MIDNIGHT, midnight + DAY + AFTER_MIDNIGHT)
            for opens, closes in intervals:
                wall_from = midnight + opens.hour * 3600 + opens.minute * 60 + opens.second
                wall_to = midnight + DAY if closes == MIDNIGHT else midnight + closes.hour * 3600 + closes.minute * 60
                for piece_from, piece_to, offset in pieces:
                    start = max(piece_from, wall_from - offset)
                    end = min(piece_to, wall_to - offset)
                    if start < end:
                        periods.append((start, end))
        day += dt.timedelta(days=1)
    periods.sort()
    merged: list[list[int]] = []
    for start, end in periods:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    starts = [p[0] for p in merged]
    ends = [p[1] for p in merged]
    before, after, total = [], [], 0
    for start, end in merged:
        before.append(total)
        total += end - start
        after.append(total)
    covers_from = epoch(dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC)) - BEFORE_MIDNIGHT
    covers_to = epoch(dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)) + AFTER_MIDNIGHT
    return IntervalTable(starts, ends, before, after, covers_from, covers_to)


CalendarKey = tuple[object, ...]


def calendar_key(calendar: BusinessCalendar) -> CalendarKey:
    """Everything a calendar's business time depends on, hashable (its week is a mapping)."""
    week = tuple(sorted((day, tuple(intervals)) for day, intervals in calendar.week.items()))
    return (calendar.time_zone, week, calendar.holiday_country, calendar.holiday_subdivision, calendar.closures)


_TABLES: dict[tuple[CalendarKey, int], IntervalTable] = {}
_TABLES_MAX = 256


def table_for(calendar: BusinessCalendar, year: int) -> IntervalTable:
    """The table around ``year``, built once per calendar and kept (bounded, oldest dropped)."""
    key = (calendar_key(calendar), year)
    table = _TABLES.get(key)
    if table is None:
        table = build_table(calendar, dt.date(year - SPAN_YEARS, 1, 1), dt.date(year + SPAN_YEARS, 12, 31))
        if len(_TABLES) >= _TABLES_MAX:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = table
    return table


def _table(calendar: BusinessCalendar, at: int) -> IntervalTable:
    return table_for(calendar, instant(at).year)


def add_business_seconds(calendar: BusinessCalendar | None, start: dt.datetime, seconds: int) -> dt.datetime:
    """The instant ``seconds`` of business time after ``start``; ``None`` is the 24×7 clock (R13)."""
    if seconds < 0:
        raise ValueError("a target is a positive duration")
    if calendar is None:
        return start + dt.timedelta(seconds=seconds)
    at = epoch(start)
    table = _table(calendar, at)
    return instant(table.at_position(table.position(at) + seconds))


def business_seconds_between(calendar: BusinessCalendar | None, start: dt.datetime, end: dt.datetime) -> int:
    """Business seconds in ``[start, end)`` (0 when end is not after start)."""
    if end <= start:
        return 0
    if calendar is None:
        return int((end - start).total_seconds())
    a, b = epoch(start), epoch(end)
    table = _table(calendar, a)
    if b > table.covers_to:
        raise NoBusinessTime("the period is longer than a calendar table covers")
    return table.position(b) - table.position(a)
