"""Reads of the tenancy app."""

from __future__ import annotations

from comanaged.tenancy.calendar import BusinessCalendar, week_from_rows
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.models import BusinessHours, Client, Closure, Person


def client_calendar(client: Client) -> BusinessCalendar:
    """The client's business calendar: weekly hours, time zone, holidays and closures."""
    rows = BusinessHours.objects.filter(client=client).values_list("weekday", "opens", "closes")
    return BusinessCalendar(
        time_zone=client.time_zone,
        week=week_from_rows(rows),
        holiday_country=client.holiday_country,
        holiday_subdivision=client.holiday_subdivision,
        closures=frozenset(Closure.objects.filter(client=client).values_list("date", flat=True)),
    )


def active_poc_ids(client: Client | int) -> frozenset[int]:
    return frozenset(
        Person.objects.filter(client=client, level=UserLevel.POC, is_active=True).values_list("pk", flat=True)
    )
