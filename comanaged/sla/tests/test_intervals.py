"""Business time arithmetic (R13, R16) against a reference that walks minute by minute, in zones
with half-hour and 45-minute offsets and odd DST rules, across every 2026–2027 transition."""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from comanaged.sla.intervals import NoBusinessTime, add_business_seconds, build_table, business_seconds_between
from comanaged.tenancy.calendar import BusinessCalendar

pytestmark = pytest.mark.nodb

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Santiago",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Berlin",
    "Europe/Moscow",
    "Africa/Casablanca",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Asia/Tehran",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "UTC",
]
MINUTE = dt.timedelta(minutes=1)


def walk(calendar: BusinessCalendar, start: dt.datetime, minutes: int) -> dt.datetime:
    """The reference: count business minutes one by one."""
    at, counted = start, 0
    while counted < minutes:
        if calendar.is_business_time(at):
            counted += 1
        at += MINUTE
        assert at - start < dt.timedelta(days=200), "reference walked too far"
    # The deadline is the end of the last counted minute.
    while not calendar.is_business_time(at - MINUTE):
        at -= MINUTE
    return at


times = st.integers(min_value=0, max_value=23).flatmap(
    lambda h: st.sampled_from([0, 15, 30, 45]).map(lambda m: dt.time(h, m))
)


@st.composite
def calendars(draw):
    week = {}
    for day in range(7):
        if draw(st.booleans()) or day < 1:
            opens = draw(times)
            closes = draw(times)
            if closes <= opens:
                closes = dt.time(0)  # open until midnight
            week[day] = ((opens, closes),)
    return BusinessCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        week=week,
        holiday_country=draw(st.sampled_from(["", "US", "GB", "AU", "NZ"])),
        closures=frozenset(draw(st.sets(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), max_size=5))),
    )


def weekly_minutes(calendar: BusinessCalendar) -> int:
    """Open minutes in a week without holidays, to keep targets the reference can walk to."""
    total = 0
    for intervals in calendar.week.values():
        for opens, closes in intervals:
            end = 24 * 60 if closes == dt.time(0) else closes.hour * 60 + closes.minute
            total += end - (opens.hour * 60 + opens.minute)
    return total


starts = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 20), timezones=st.just(dt.UTC)
).map(lambda d: d.replace(second=0, microsecond=0))


@given(calendar=calendars(), start=starts, minutes=st.integers(min_value=1, max_value=1500))
def test_r16_the_deadline_is_exactly_the_target_in_business_minutes(calendar, start, minutes):
    assume(weekly_minutes(calendar) * 6 >= minutes)  # reached within weeks, not years, of walking
    deadline = add_business_seconds(calendar, start, minutes * 60)
    assert deadline == walk(calendar, start, minutes)
    assert business_seconds_between(calendar, start, deadline) == minutes * 60


@given(calendar=calendars(), start=starts, later=st.integers(1, 600), minutes=st.integers(1, 900))
def test_r16_deadlines_are_monotone_in_the_start(calendar, start, later, minutes):
    first = add_business_seconds(calendar, start, minutes * 60)
    second = add_business_seconds(calendar, start + dt.timedelta(minutes=later), minutes * 60)
    assert second >= first


def test_r13_the_default_clock_is_around_the_clock():
    start = dt.datetime(2026, 3, 8, 6, 30, tzinfo=dt.UTC)  # New York springs forward at 07:00 UTC
    assert add_business_seconds(None, start, 3600) == start + dt.timedelta(hours=1)
    assert business_seconds_between(None, start, start + dt.timedelta(hours=3)) == 3 * 3600


def transitions(zone: str, year: int) -> list[dt.datetime]:
    """Every UTC instant of ``year`` at which the zone's offset changes (hour by hour, then refined)."""
    tz = ZoneInfo(zone)
    found = []
    at = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    while at < end:
        nxt = at + dt.timedelta(hours=1)
        if at.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            low = at
            while low.astimezone(tz).utcoffset() == at.astimezone(tz).utcoffset():
                low += MINUTE
            found.append(low)
        at = nxt
    return found


GOLDEN = [(zone, moment) for zone in ZONES for year in (2026, 2027) for moment in transitions(zone, year)]


@pytest.mark.parametrize(("zone", "moment"), GOLDEN, ids=[f"{z}-{m:%Y%m%dT%H%M}" for z, m in GOLDEN])
def test_r16_every_dst_transition_of_2026_2027(zone, moment):
    """A calendar open all day, every day: across a transition the business clock runs with real
    time (a skipped hour is not business time twice, a repeated hour counts twice)."""
    always = BusinessCalendar(time_zone=zone, week={d: ((dt.time(0), dt.time(0)),) for d in range(7)})
    start = moment - dt.timedelta(hours=3)
    assert add_business_seconds(always, start, 6 * 3600) == start + dt.timedelta(hours=6)
    office = BusinessCalendar(time_zone=zone, week={d: ((dt.time(1), dt.time(4)),) for d in range(7)})
    for minutes in (30, 90, 200):
        assert add_business_seconds(office, start, minutes * 60) == walk(office, start, minutes)


def test_the_server_time_zone_changes_nothing():
    calendar = BusinessCalendar(time_zone="Australia/Lord_Howe", holiday_country="AU")
    start = dt.datetime(2026, 4, 4, 14, 0, tzinfo=dt.UTC)
    expected = add_business_seconds(calendar, start, 14 * 3600)
    previous = os.environ.get("TZ")
    try:
        for zone in ("Pacific/Chatham", "America/St_Johns", "UTC"):
            os.environ["TZ"] = zone
            time.tzset()
            from comanaged.sla import intervals

            intervals._TABLES.clear()
            assert add_business_seconds(calendar, start, 14 * 3600) == expected
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


def test_a_calendar_without_business_time_is_a_clear_error():
    closed = BusinessCalendar(time_zone="UTC", week={})
    with pytest.raises(NoBusinessTime):
        add_business_seconds(closed, dt.datetime(2026, 1, 5, tzinfo=dt.UTC), 60)
    with pytest.raises(ValueError, match="aware"):
        add_business_seconds(closed, dt.datetime(2026, 1, 5), 60)


def test_a_new_york_p3_over_a_weekend_and_thanksgiving():
    """14 business hours from Wednesday 25 Nov 2026 15:00 EST, 8–17 weekdays, US holidays: 2 h
    Wednesday, Thanksgiving skipped, 9 h Friday, 3 h Monday → Monday 30 Nov 11:00 EST."""
    calendar = BusinessCalendar(time_zone="America/New_York", holiday_country="US")
    start = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)
    assert add_business_seconds(calendar, start, 14 * 3600) == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    table = build_table(calendar, dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    assert len(table.starts) == 5  # Mon, Tue, Wed, Fri, Mon
