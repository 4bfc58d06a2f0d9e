"""How the provider measures up (R16–R19): met, missed and excluded respond targets per client,
priority, vertical, technician or month, with the time-to-respond distribution. Read by the SLA
page, the API and the reports; every figure is a count of clocks, each explained by its events.

- *met*: an appropriate resource started work by the deadline (R17);
- *missed*: started late, closed unanswered after the deadline, or still open past it;
- *excluded*: no respond target applied (R18, R19, billable or out-of-scope work), reason kept;
- *open*: running or paused, deadline not yet passed; *cancelled*: closed before its deadline
  without a response (withdrawn by the client, merged) — neither met nor missed.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from comanaged.tickets.clock.models import OPEN_STATES, ClockState, ResponseClock

GROUPS = {
    "client": "client_id",
    "priority": "priority",
    "vertical": "vertical_id",
    "technician": "stopped_by_id",
    "month": "started_at",
}


@dataclass(frozen=True)
class Attainment:
    key: Any  # the group's value (an id, a priority, a "2026-11" month), None for the whole set
    met: int = 0
    missed: int = 0
    excluded: int = 0
    open: int = 0
    cancelled: int = 0
    median_seconds: float | None = None  # time to respond, business seconds, pauses left out
    p90_seconds: int | None = None

    @property
    def measured(self) -> int:
        return self.met + self.missed

    @property
    def rate(self) -> float | None:
        """The share of measured clocks that met their target; None when none was measured."""
        return self.met / self.measured if self.measured else None


def outcome(state: str, breached_at: dt.datetime | None, due_at: dt.datetime | None, now: dt.datetime) -> str:
    """A clock's column: an open clock past its deadline is already a miss."""
    if state in OPEN_STATES:
        late = breached_at is not None or (due_at is not None and due_at < now and state == ClockState.RUNNING)
        return "missed" if late else "open"
    return str(state)


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile (the value below which ``share`` of them lie), None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def attainment(
    clocks: QuerySet[ResponseClock], *, by: str | None = None, time_zone: str = "UTC", now: dt.datetime | None = None
) -> list[Attainment]:
    """One row per group (``by``: one of ``GROUPS``; None: one row for all), largest first."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    now = now or timezone.now()
    zone = ZoneInfo(time_zone)
    column = GROUPS[by] if by else "pk"
    rows = clocks.values_list(column, "state", "breached_at", "due_at", "response_seconds")
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    times: dict[Any, list[int]] = defaultdict(list)
    for value, state, breached_at, due_at, seconds in rows.iterator(chunk_size=5000):
        key = _key(by, value, zone)
        column_of = outcome(state, breached_at, due_at, now)
        counts[key][column_of] += 1
        if seconds is not None and column_of in ("met", "missed"):
            times[key].append(seconds)
    groups = [_row(key, counts[key], times[key]) for key in counts]
    return sorted(groups, key=lambda row: (-(row.measured + row.excluded + row.open), str(row.key)))


def _key(by: str | None, value: Any, zone: ZoneInfo) -> Any:
    if by is None:
        return None
    if by == "month":
        return value.astimezone(zone).strftime("%Y-%m")
    return value


def _row(key: Any, counts: dict[str, int], times: list[int]) -> Attainment:
    return Attainment(
        key=key,
        met=counts["met"],
        missed=counts["missed"],
        excluded=counts["excluded"],
        open=counts["open"],
        cancelled=counts["cancelled"],
        median_seconds=statistics.median(times) if times else None,
        p90_seconds=percentile(times, 0.9),
    )


def overall(clocks: QuerySet[ResponseClock], **options: Any) -> Attainment:
    rows = attainment(clocks, **options)
    return rows[0] if rows else Attainment(key=None)


def clocks_between(
    start: dt.datetime, end: dt.datetime, clients: Iterable[int] | None = None
) -> QuerySet[ResponseClock]:
    """Clocks started (escalations made) in ``[start, end)``, optionally of some clients only."""
    clocks = ResponseClock.objects.filter(started_at__gte=start, started_at__lt=end)
    return clocks.filter(client_id__in=list(clients)) if clients is not None else clocks
