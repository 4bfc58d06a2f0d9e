"""A clock with pauses (R13, R16, R17) against a minute-by-minute reference: the deadline is the
instant the running business time reaches the target, pauses left out, in any zone."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from comanaged.sla.clock import instant_reached, running_seconds, warning_seconds
from comanaged.sla.tests.test_intervals import MINUTE, calendars, starts, weekly_minutes
from comanaged.tenancy.calendar import BusinessCalendar

pytestmark = pytest.mark.nodb


def reference(calendar: BusinessCalendar | None, start: dt.datetime, pauses, minutes: int) -> dt.datetime:
    """Count running business minutes one by one; the deadline ends the last one counted."""
    at, counted, deadline = start, 0, start
    while counted < minutes:
        paused = any(begin <= at < end for begin, end in pauses)
        if not paused and (calendar is None or calendar.is_business_time(at)):
            counted += 1
            deadline = at + MINUTE
        at += MINUTE
        assert at - start < dt.timedelta(days=200), "reference walked too far"
    return deadline


@st.composite
def pause_lists(draw, start: dt.datetime):
    """Disjoint, minute-aligned pauses after ``start`` (gaps and lengths up to two days)."""
    pauses, at = [], start
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        at += dt.timedelta(minutes=draw(st.integers(min_value=1, max_value=2880)))
        end = at + dt.timedelta(minutes=draw(st.integers(min_value=1, max_value=2880)))
        pauses.append((at, end))
        at = end
    return pauses


def segments_of(start: dt.datetime, pauses) -> list[tuple[dt.datetime, dt.datetime | None]]:
    result: list[tuple[dt.datetime, dt.datetime | None]] = []
    running = start
    for begin, end in pauses:
        result.append((running, begin))
        running = end
    result.append((running, None))
    return result


@given(data=st.data(), calendar=st.one_of(st.none(), calendars()), minutes=st.integers(min_value=1, max_value=1500))
def test_r16_r17_with_pauses_the_deadline_is_exactly_the_target_in_running_business_minutes(data, calendar, minutes):
    assume(calendar is None or weekly_minutes(calendar) * 6 >= minutes)  # walkable in weeks
    start = data.draw(starts)
    pauses = data.draw(pause_lists(start))
    segments = segments_of(start, pauses)
    deadline = instant_reached(calendar, segments, minutes * 60)
    assert deadline == reference(calendar, start, pauses, minutes)
    assert running_seconds(calendar, segments, deadline) == minutes * 60  # type: ignore[arg-type]


@given(data=st.data(), calendar=calendars(), minutes=st.integers(min_value=1, max_value=600))
def test_r16_deadlines_are_monotone_in_the_target(data, calendar, minutes):
    start = data.draw(starts)
    segments = segments_of(start, data.draw(pause_lists(start)))
    shorter = instant_reached(calendar, segments, minutes * 60)
    longer = instant_reached(calendar, segments, (minutes + 1) * 60)
    assert shorter is not None and longer is not None and shorter < longer


def test_r17_a_clock_paused_short_of_its_target_has_no_deadline_until_it_resumes():
    start = dt.datetime(2026, 3, 8, 6, 0, tzinfo=dt.UTC)
    paused = [(start, start + dt.timedelta(minutes=30))]  # ran 30 minutes, then paused (no end yet)
    assert instant_reached(None, paused, 3600) is None
    assert instant_reached(None, paused, 1800) == start + dt.timedelta(minutes=30)
    resumed = [*paused, (start + dt.timedelta(hours=5), None)]
    assert instant_reached(None, resumed, 3600) == start + dt.timedelta(hours=5, minutes=30)
    assert running_seconds(None, resumed, start + dt.timedelta(hours=6)) == 90 * 60


def test_the_warning_is_its_share_of_the_target_in_whole_seconds():
    assert warning_seconds(3600, 75) == 2700
    assert warning_seconds(14 * 3600, 75) == 37800
    assert warning_seconds(61, 50) == 30
