"""The provider's SLA page (R16–R19): how the desk met its respond targets over a period —
attainment, met, missed, excluded and open clocks and the time to respond — by priority, client
and technician; the clocks at risk right now; and the misses, each linked to the ticket whose
clock events explain it.

Figures come from ``tickets.clock.attainment`` (one rule for what counts as met or missed) over
the clocks of the clients in the user's scope only (``client_scope``): a client-scoped advisor
never sees another client's numbers. Filters are parsed here; anything not understood is named
in a message and left out, never a 500."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from comanaged.agreements.choices import Priority
from comanaged.console.access import staff_page
from comanaged.tenancy.access import parse_id
from comanaged.tenancy.models import Client, ProviderSettings, StaffProfile, Vertical
from comanaged.tenancy.permissions import Area
from comanaged.tenancy.scoping import client_scope
from comanaged.tickets.clock.attainment import Attainment, attainment, clocks_between, overall
from comanaged.tickets.clock.display import countdown, duration, iso
from comanaged.tickets.clock.models import OPEN_STATES, ClockState, ResponseClock

PERIODS = {
    "this_month": "This month",
    "last_month": "Last month",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "custom": "Custom dates",
}
DAYS = {"7d": 7, "30d": 30, "90d": 90}
MAX_CUSTOM_DAYS = 731  # every figure is computed from the period's clocks: keep the scan bounded
AT_RISK_WINDOW = dt.timedelta(minutes=60)
LIST_LIMIT = 25


@dataclass
class Filters:
    """The page's filters as understood, with a message for each value that was not. The period
    is [start, end) in the provider's zone; the form shows what was asked, so a wrong date stays
    there to be fixed while the figures fall back to this month."""

    start: dt.datetime
    end: dt.datetime
    period: str = "this_month"
    asked_period: str = "this_month"
    date_from: str = ""
    date_to: str = ""
    client: int | None = None
    priority: str = ""
    vertical: int | None = None
    problems: list[str] = field(default_factory=list)


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _date(text: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def parse_filters(
    params: QueryDict, *, clients: dict[int, str], verticals: dict[int, str], zone: ZoneInfo, today: dt.date
) -> Filters:
    """The query string → filters; anything not understood is named in ``problems`` and left out."""
    problems: list[str] = []
    asked = params.get("period", "").strip()[:20] or "this_month"
    if asked not in PERIODS:
        problems.append(f"“{asked}” is not a period; showing this month.")
        asked = "this_month"
    period = asked
    first, last = _month_start(today), today  # last: inclusive
    date_from, date_to = params.get("from", "").strip()[:20], params.get("to", "").strip()[:20]
    if period == "last_month":
        last = first - dt.timedelta(days=1)
        first = _month_start(last)
    elif period in DAYS:
        first = today - dt.timedelta(days=DAYS[period] - 1)
    elif period == "custom":
        start_day, end_day = _date(date_from), _date(date_to)
        if start_day is None or end_day is None:
            problem = "Give both dates as YYYY-MM-DD, between 2000 and 2100"
        elif start_day > end_day:
            problem = "The start date is after the end date"
        elif (end_day - start_day).days >= MAX_CUSTOM_DAYS:
            problem = f"Choose at most {MAX_CUSTOM_DAYS} days"
        else:
            problem = ""
            first, last = start_day, end_day
        if problem:
            problems.append(f"{problem}; showing this month.")
            period = "this_month"
    found = Filters(
        start=_midnight(first, zone),
        end=_midnight(last + dt.timedelta(days=1), zone),
        period=period,
        asked_period=asked,
        date_from=date_from if asked == "custom" else "",
        date_to=date_to if asked == "custom" else "",
        problems=problems,
    )

    raw_client = params.get("client", "").strip()
    if raw_client:
        found.client = parse_id(raw_client)
        if found.client not in clients:  # another client's id reads exactly like a missing one
            problems.append("There is no such client among yours; showing every client.")
            found.client = None
    priority = params.get("priority", "").strip()
    if priority in Priority.values:
        found.priority = priority
    elif priority:
        problems.append("Choose a priority from P1 to P4; showing every priority.")
    raw_vertical = params.get("vertical", "").strip()
    if raw_vertical:
        found.vertical = parse_id(raw_vertical)
        if found.vertical not in verticals:
            problems.append("There is no such vertical; showing every vertical.")
            found.vertical = None
    return found


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def _row(label: str, row: Attainment) -> dict[str, Any]:
    return {
        "label": label,
        "row": row,
        "rate": percent(row.rate),
        "rate_width": round((row.rate or 0) * 100),
        "median": duration(row.median_seconds),
        "p90": duration(row.p90_seconds),
    }


def _scoped(queryset: QuerySet[ResponseClock], filters: Filters, client_ids: list[int] | None) -> Any:
    if filters.client is not None:
        queryset = queryset.filter(client_id=filters.client)
    elif client_ids is not None:
        queryset = queryset.filter(client_id__in=client_ids)
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    if filters.vertical is not None:
        queryset = queryset.filter(vertical_id=filters.vertical)
    return queryset


def _missed(now: dt.datetime) -> Q:
    """What ``attainment.outcome`` counts as missed, as a condition."""
    return (
        Q(state=ClockState.MISSED)
        | Q(state__in=OPEN_STATES, breached_at__isnull=False)
        | Q(state=ClockState.RUNNING, due_at__lt=now)
    )


@require_GET
@staff_page(Area.TICKETS)
def sla(request: HttpRequest) -> HttpResponse:
    """Respond-target attainment over a period for the clients in scope (R16–R19)."""
    user = request.user
    now = timezone.now()
    zone = ZoneInfo(ProviderSettings.load().time_zone)
    clients = dict(Client.objects.for_user(user).order_by("name").values_list("pk", "name"))
    verticals = dict(Vertical.objects.order_by("name").values_list("pk", "name"))
    filters = parse_filters(
        request.GET, clients=clients, verticals=verticals, zone=zone, today=now.astimezone(zone).date()
    )
    scope = client_scope(user)
    client_ids = None if scope.all_clients else list(clients)
    clocks = _scoped(clocks_between(filters.start, filters.end), filters, client_ids)

    total = overall(clocks, now=now)
    by_priority = sorted(attainment(clocks, by="priority", now=now), key=lambda row: row.key or "P9")
    by_client = attainment(clocks, by="client", now=now)
    by_technician = attainment(clocks, by="technician", now=now)
    staff_ids = [row.key for row in by_technician if row.key is not None]
    names = {
        s.pk: s.user.full_name or s.user.email
        for s in StaffProfile.objects.filter(pk__in=staff_ids).select_related("user")
    }

    at_risk = _scoped(
        ResponseClock.objects.filter(is_current=True, state=ClockState.RUNNING, due_at__lt=now + AT_RISK_WINDOW),
        filters,
        client_ids,
    )
    missed = clocks.filter(_missed(now)).select_related("ticket", "client", "stopped_by__user")
    context = {
        "section": "sla",
        "filters": filters,
        "periods": list(PERIODS.items()),
        "period_label": PERIODS[filters.period],
        "last_day": filters.end - dt.timedelta(days=1),
        "zone": str(zone),
        "clients": list(clients.items()),
        "verticals": list(verticals.items()),
        "priorities": Priority.choices,
        "total": _row("All", total),
        "by_priority": [_row(row.key or "No priority", row) for row in by_priority],
        "by_client": [_row(clients.get(row.key, "—"), row) for row in by_client],
        # Clocks nobody stopped are a technician's only when missed: "Unanswered", if any.
        "by_technician": [
            _row(names.get(row.key, "—") if row.key else "Unanswered", row)
            for row in by_technician
            if row.key is not None or row.missed
        ],
        "at_risk": [
            _risk(clock, now) for clock in at_risk.select_related("ticket", "client").order_by("due_at")[:LIST_LIMIT]
        ],
        "at_risk_count": at_risk.count(),
        "missed": [_miss(clock, now) for clock in missed.order_by("-started_at")[:LIST_LIMIT]],
        "missed_count": total.missed,
        "now": now,
    }
    return render(request, "console/sla.html", context)


def _risk(clock: ResponseClock, now: dt.datetime) -> dict[str, Any]:
    assert clock.due_at is not None
    left = (clock.due_at - now).total_seconds()
    tone = "overdue" if left < 0 else "warning"
    # Amber from the moment the clock entered this list: clock.js keeps the tone as time passes.
    warn = iso(clock.due_at - AT_RISK_WINDOW)
    return {"clock": clock, "tone": tone, "countdown": countdown(left), "due_iso": iso(clock.due_at), "warn_iso": warn}


def _miss(clock: ResponseClock, now: dt.datetime) -> dict[str, Any]:
    """A miss and the first words of its explanation; the ticket's clock events say the rest."""
    if clock.stopped_at is not None:
        how = f"responded in {duration(clock.response_seconds)}"
        if clock.stopped_by is not None:
            how += f" by {clock.stopped_by.user.full_name}"
    elif clock.state == ClockState.MISSED:
        how = "closed without a response"
    else:
        how = "no response yet"
    late = None
    if clock.due_at is not None and (clock.stopped_at is not None or clock.is_open):
        late = duration(((clock.stopped_at or now) - clock.due_at).total_seconds())
    return {"clock": clock, "how": how, "late": late}
