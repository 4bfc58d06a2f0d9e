"""A client's business calendar as plain facts: "is this instant inside business hours?"

Hours are wall-clock intervals in the client's time zone; instants are aware datetimes (UTC in
storage). Converting an instant to local wall time is always well defined, so DST gaps (local
times that never happen) and folds (local times that happen twice) need no special case: an
instant is business time when its local wall time falls inside an interval on a day that is
neither a public holiday (country + subdivision, ``holidays``) nor a provider closure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MIDNIGHT = dt.time(0)
Interval = tuple[dt.time, dt.time]
DEFAULT_WEEK: dict[int, tuple[Interval, ...]] = {day: ((dt.time(8), dt.time(17)),) for day in range(5)}


@lru_cache(maxsize=256)
def _holiday_calendar(country: str, subdivision: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision or None)


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly hours (weekday 0 = Monday → intervals), a time zone, holidays and closures."""

    time_zone: str
    week: Mapping[int, tuple[Interval, ...]] = field(default_factory=lambda: DEFAULT_WEEK)
    holiday_country: str = ""
    holiday_subdivision: str = ""
    closures: frozenset[dt.date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local(self, at: dt.datetime) -> dt.datetime:
        if at.tzinfo is None:
            raise ValueError("business-time questions need an aware datetime")
        return at.astimezone(self.zone)

    def closed_reason(self, day: dt.date) -> str | None:
        """Why a whole local day is closed (holiday or closure name), else None."""
        if day in self.closures:
            return "provider closure"
        if self.holiday_country:
            name = _holiday_calendar(self.holiday_country, self.holiday_subdivision).get(day)
            if name:
                return str(name)
        return None

    def is_business_time(self, at: dt.datetime) -> bool:
        local = self.local(at)
        if self.closed_reason(local.date()) is not None:
            return False
        wall = local.time().replace(tzinfo=None)
        return any(
            opens <= wall and (closes == MIDNIGHT or wall < closes)
            for opens, closes in self.week.get(local.weekday(), ())
        )

    def is_after_hours(self, at: dt.datetime) -> bool:
        """R11: outside the client's business hours, in the client's time zone."""
        return not self.is_business_time(at)


def week_from_rows(rows: Iterable[tuple[int, dt.time, dt.time]]) -> dict[int, tuple[Interval, ...]]:
    week: dict[int, list[Interval]] = {}
    for weekday, opens, closes in rows:
        week.setdefault(weekday, []).append((opens, closes))
    return {day: tuple(sorted(intervals)) for day, intervals in week.items()}


WeekRow = tuple[int, dt.time, dt.time]  # (weekday, opens, closes); closes 00:00 = the end of the day


def _end(closes: dt.time) -> tuple[int, dt.time]:
    return (1, MIDNIGHT) if closes == MIDNIGHT else (0, closes)


def intervals_overlap(a: Interval, b: Interval) -> bool:
    """Whether two intervals of one day share any time (touching ends do not: 08–12 and 12–17)."""
    return (0, a[0]) < _end(b[1]) and (0, b[0]) < _end(a[1])


def week_overlaps(rows: Iterable[WeekRow]) -> list[tuple[WeekRow, WeekRow]]:
    """Each pair of intervals of the same weekday that overlap, in the order of the week."""
    ordered = sorted(rows, key=lambda row: (row[0], row[1], _end(row[2])))
    clashes = []
    for index, row in enumerate(ordered):
        for other in ordered[index + 1 :]:
            if other[0] != row[0] or (0, other[1]) >= _end(row[2]):
                break  # sorted by opening time: nothing later on this day can start before row closes
            clashes.append((row, other))
    return clashes
