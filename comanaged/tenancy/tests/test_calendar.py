"""The client's business calendar (R11 "after hours", R16 business-hours clocks), no database.

Instants are written in UTC; the comments say what they are on the client's wall clock.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comanaged.tenancy.calendar import DEFAULT_WEEK, BusinessCalendar, week_from_rows

pytestmark = pytest.mark.nodb

UTC = dt.UTC
T = dt.time
EVERY_DAY = range(7)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def every_day(*intervals: tuple[dt.time, dt.time]) -> dict[int, tuple[tuple[dt.time, dt.time], ...]]:
    return dict.fromkeys(EVERY_DAY, tuple(intervals))


# --- basics -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["is_business_time", "is_after_hours"])
def test_r11_naive_datetime_is_refused(method):
    calendar = BusinessCalendar("America/New_York")
    with pytest.raises(ValueError, match="aware"):
        getattr(calendar, method)(dt.datetime(2026, 6, 10, 12, 0))


def test_r11_default_week_is_monday_to_friday_eight_to_five():
    assert BusinessCalendar("UTC").week == DEFAULT_WEEK
    assert set(DEFAULT_WEEK) == {0, 1, 2, 3, 4}
    assert all(intervals == ((T(8), T(17)),) for intervals in DEFAULT_WEEK.values())


@pytest.mark.parametrize(
    ("at", "business"),
    [
        pytest.param(utc(2026, 6, 10, 11, 59, 59), False, id="wed-07:59:59"),
        pytest.param(utc(2026, 6, 10, 12, 0), True, id="wed-08:00-opens-inclusive"),
        pytest.param(utc(2026, 6, 10, 20, 59, 59, 999999), True, id="wed-16:59:59.999999"),
        pytest.param(utc(2026, 6, 10, 21, 0), False, id="wed-17:00-closes-exclusive"),
        pytest.param(utc(2026, 6, 13, 16, 0), False, id="saturday-noon"),
        pytest.param(utc(2026, 6, 14, 16, 0), False, id="sunday-noon"),
    ],
)
def test_r11_default_hours_in_new_york(at, business):
    calendar = BusinessCalendar("America/New_York")
    assert calendar.is_business_time(at) is business
    assert calendar.is_after_hours(at) is not business


def test_r11_an_instant_in_another_offset_is_the_same_instant():
    calendar = BusinessCalendar("America/New_York")
    paris = ZoneInfo("Europe/Paris")
    assert calendar.is_business_time(dt.datetime(2026, 6, 10, 14, 0, tzinfo=paris))  # 08:00 EDT
    assert not calendar.is_business_time(dt.datetime(2026, 6, 10, 13, 59, tzinfo=paris))


def test_r11_several_intervals_a_day_leave_the_lunch_break_after_hours():
    calendar = BusinessCalendar("UTC", week={2: ((T(8), T(12)), (T(13), T(17)))})
    assert calendar.is_business_time(utc(2026, 6, 10, 11, 59))
    assert not calendar.is_business_time(utc(2026, 6, 10, 12, 30))
    assert calendar.is_business_time(utc(2026, 6, 10, 13, 0))


def test_r11_a_day_without_intervals_is_after_hours_all_day():
    calendar = BusinessCalendar("UTC", week={})
    assert all(calendar.is_after_hours(utc(2026, 6, 10, hour)) for hour in range(24))


# --- closing time 00:00 means end of day ------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "business"),
    [
        pytest.param(utc(2026, 6, 12, 21, 59, 59), False, id="fri-17:59:59"),
        pytest.param(utc(2026, 6, 12, 22, 0), True, id="fri-18:00"),
        pytest.param(utc(2026, 6, 13, 3, 59, 59, 999999), True, id="fri-23:59:59.999999"),
        pytest.param(utc(2026, 6, 13, 4, 0), False, id="sat-00:00"),
    ],
)
def test_r11_closing_at_midnight_means_end_of_day(at, business):
    calendar = BusinessCalendar("America/New_York", week={4: ((T(18), T(0)),)})
    assert calendar.is_business_time(at) is business


def test_r11_midnight_to_midnight_is_the_whole_day():
    calendar = BusinessCalendar("America/New_York", week={5: ((T(0), T(0)),)})
    start = utc(2026, 6, 13, 4, 0)  # Sat 00:00 EDT
    minutes = [start + dt.timedelta(minutes=m) for m in range(24 * 60)]
    assert all(calendar.is_business_time(at) for at in minutes)
    assert not calendar.is_business_time(start - dt.timedelta(microseconds=1))
    assert not calendar.is_business_time(start + dt.timedelta(days=1))


# --- DST: America/New_York -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "business"),
    [
        pytest.param(utc(2026, 11, 1, 4, 59), False, id="00:59-EDT"),
        pytest.param(utc(2026, 11, 1, 5, 0), True, id="01:00-EDT-first"),
        pytest.param(utc(2026, 11, 1, 5, 30), True, id="01:30-EDT-first-fold"),
        pytest.param(utc(2026, 11, 1, 6, 0), True, id="01:00-EST-second"),
        pytest.param(utc(2026, 11, 1, 6, 30), True, id="01:30-EST-second-fold"),
        pytest.param(utc(2026, 11, 1, 6, 59, 59), True, id="01:59:59-EST"),
        pytest.param(utc(2026, 11, 1, 7, 0), False, id="02:00-EST"),
    ],
)
def test_r11_fall_back_both_instants_of_the_repeated_hour_are_business_time(at, business):
    """2026-11-01, New York: 01:00-02:00 happens twice; an interval 01:00-02:00 covers both."""
    calendar = BusinessCalendar("America/New_York", week=every_day((T(1), T(2))))
    assert calendar.is_business_time(at) is business


def test_r11_fall_back_fold_instants_are_both_01_30_local():
    zone = ZoneInfo("America/New_York")
    first, second = utc(2026, 11, 1, 5, 30).astimezone(zone), utc(2026, 11, 1, 6, 30).astimezone(zone)
    assert first.time() == second.time() == T(1, 30)
    assert (first.fold, second.fold) == (0, 1)


def test_r11_fall_back_repeated_hour_lasts_two_real_hours():
    calendar = BusinessCalendar("America/New_York", week=every_day((T(1), T(2))))
    start = utc(2026, 11, 1, 0, 0)
    business_minutes = sum(calendar.is_business_time(start + dt.timedelta(minutes=m)) for m in range(24 * 60))
    assert business_minutes == 120


@pytest.mark.parametrize(
    ("at", "business"),
    [
        pytest.param(utc(2026, 3, 8, 5, 59), False, id="00:59-EST"),
        pytest.param(utc(2026, 3, 8, 6, 0), True, id="01:00-EST"),
        pytest.param(utc(2026, 3, 8, 6, 59, 59), True, id="01:59:59-EST"),
        pytest.param(utc(2026, 3, 8, 7, 0), False, id="03:00-EDT-after-the-gap"),
    ],
)
def test_r11_spring_forward_interval_spanning_the_gap(at, business):
    """2026-03-08, New York: 02:00 EST jumps to 03:00 EDT. 01:00-03:00 is one real hour."""
    calendar = BusinessCalendar("America/New_York", week=every_day((T(1), T(3))))
    assert calendar.is_business_time(at) is business


def test_r11_spring_forward_interval_spanning_the_gap_lasts_one_real_hour():
    calendar = BusinessCalendar("America/New_York", week=every_day((T(1), T(3))))
    start = utc(2026, 3, 8, 5, 0)  # Sun 00:00 EST
    minutes = [start + dt.timedelta(minutes=m) for m in range(23 * 60)]  # the 23-hour day
    assert sum(calendar.is_business_time(at) for at in minutes) == 60


def test_r11_spring_forward_interval_inside_the_gap_never_happens():
    calendar = BusinessCalendar("America/New_York", week={6: ((T(2), T(3)),)})
    start = utc(2026, 3, 8, 5, 0)
    assert not any(calendar.is_business_time(start + dt.timedelta(minutes=m)) for m in range(23 * 60))
    # A week earlier the same interval is a plain hour.
    assert calendar.is_business_time(utc(2026, 3, 1, 7, 30))  # Sun 02:30 EST


def test_r11_spring_forward_interval_opening_in_the_gap_opens_after_it():
    calendar = BusinessCalendar("America/New_York", week={6: ((T(2, 30), T(4)),)})
    assert not calendar.is_business_time(utc(2026, 3, 8, 6, 59))  # 01:59 EST
    assert calendar.is_business_time(utc(2026, 3, 8, 7, 0))  # 03:00 EDT
    assert not calendar.is_business_time(utc(2026, 3, 8, 8, 0))  # 04:00 EDT


# --- DST with a 30-minute shift; +05:45 -------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "business"),
    [
        pytest.param(utc(2026, 4, 4, 14, 29), False, id="01:29-LHDT"),
        pytest.param(utc(2026, 4, 4, 14, 30), True, id="01:30-LHDT-first"),
        pytest.param(utc(2026, 4, 4, 14, 59), True, id="01:59-LHDT"),
        pytest.param(utc(2026, 4, 4, 15, 0), True, id="01:30-LHST-second"),
        pytest.param(utc(2026, 4, 4, 15, 29), True, id="01:59-LHST"),
        pytest.param(utc(2026, 4, 4, 15, 30), False, id="02:00-LHST"),
    ],
)
def test_r11_lord_howe_half_hour_fall_back_repeats_half_an_hour(at, business):
    """2026-04-05, Lord Howe: 02:00 (+11:00) falls back to 01:30 (+10:30)."""
    calendar = BusinessCalendar("Australia/Lord_Howe", week={6: ((T(1, 30), T(2)),)})
    assert calendar.is_business_time(at) is business


def test_r11_lord_howe_half_hour_spring_gap():
    """2026-10-04, Lord Howe: 02:00 (+10:30) jumps to 02:30 (+11:00)."""
    in_gap = BusinessCalendar("Australia/Lord_Howe", week={6: ((T(2), T(2, 30)),)})
    start = utc(2026, 10, 3, 13, 30)  # Sun 00:00 +10:30
    assert not any(in_gap.is_business_time(start + dt.timedelta(minutes=m)) for m in range(24 * 60))
    spanning = BusinessCalendar("Australia/Lord_Howe", week={6: ((T(2), T(3)),)})
    assert not spanning.is_business_time(utc(2026, 10, 3, 15, 29))  # 01:59 +10:30
    assert spanning.is_business_time(utc(2026, 10, 3, 15, 30))  # 02:30 +11:00
    assert not spanning.is_business_time(utc(2026, 10, 3, 16, 0))  # 03:00 +11:00


@pytest.mark.parametrize(
    ("at", "business"),
    [
        pytest.param(utc(2026, 6, 8, 2, 14, 59), False, id="mon-07:59:59-NPT"),
        pytest.param(utc(2026, 6, 8, 2, 15), True, id="mon-08:00-NPT"),
        pytest.param(utc(2026, 6, 8, 11, 14), True, id="mon-16:59-NPT"),
        pytest.param(utc(2026, 6, 8, 11, 15), False, id="mon-17:00-NPT"),
    ],
)
def test_r11_kathmandu_plus_five_forty_five(at, business):
    assert BusinessCalendar("Asia/Kathmandu").is_business_time(at) is business


# --- local date differs from UTC date ---------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "business"),
    [
        pytest.param(utc(2026, 6, 7, 19, 59), False, id="sun-utc=mon-07:59-NZST"),
        pytest.param(utc(2026, 6, 7, 21, 0), True, id="sun-utc=mon-09:00-NZST"),
        pytest.param(utc(2026, 6, 12, 4, 59), True, id="fri-utc=fri-16:59-NZST"),
        pytest.param(utc(2026, 6, 12, 5, 0), False, id="fri-utc=fri-17:00-NZST"),
        pytest.param(utc(2026, 6, 12, 13, 0), False, id="fri-utc-13:00=sat-01:00-NZST"),
    ],
)
def test_r11_auckland_weekday_is_the_local_one_not_the_utc_one(at, business):
    assert BusinessCalendar("Pacific/Auckland").is_business_time(at) is business


def test_r11_auckland_holiday_is_the_local_date():
    """Christmas Day (NZ) starts on 24 December in UTC."""
    calendar = BusinessCalendar("Pacific/Auckland", holiday_country="NZ")
    assert not calendar.is_business_time(utc(2026, 12, 24, 21, 0))  # Fri 25 Dec 10:00 NZDT
    assert calendar.is_business_time(utc(2026, 12, 23, 21, 0))  # Thu 24 Dec 10:00 NZDT
    assert calendar.closed_reason(dt.date(2026, 12, 25)) == "Christmas Day"


# --- public holidays and provider closures ----------------------------------------------------


def test_r11_us_ny_independence_day_is_closed():
    """2026-07-04 is a Saturday: closed even with Saturday hours; the observed Friday too."""
    calendar = BusinessCalendar(
        "America/New_York",
        week=every_day((T(8), T(17))),
        holiday_country="US",
        holiday_subdivision="NY",
    )
    assert calendar.closed_reason(dt.date(2026, 7, 4)) == "Independence Day"
    assert not calendar.is_business_time(utc(2026, 7, 4, 16, 0))  # Sat 12:00 EDT
    assert not calendar.is_business_time(utc(2026, 7, 3, 16, 0))  # Fri 12:00 EDT (observed)
    assert calendar.is_business_time(utc(2026, 7, 2, 16, 0))  # Thu 12:00 EDT
    assert calendar.is_business_time(utc(2026, 7, 5, 16, 0))  # Sun 12:00 EDT


def test_r11_without_a_holiday_country_holidays_are_business_days():
    calendar = BusinessCalendar("America/New_York", week=every_day((T(8), T(17))))
    assert calendar.closed_reason(dt.date(2026, 7, 4)) is None
    assert calendar.is_business_time(utc(2026, 7, 4, 16, 0))


def test_r11_subdivision_only_holiday_patriots_day_closes_ma_not_ny():
    """2026-04-20 (third Monday of April) is Patriots' Day in Massachusetts only."""
    at = utc(2026, 4, 20, 14, 0)  # Mon 10:00 EDT
    boston = BusinessCalendar("America/New_York", holiday_country="US", holiday_subdivision="MA")
    new_york = BusinessCalendar("America/New_York", holiday_country="US", holiday_subdivision="NY")
    country_only = BusinessCalendar("America/New_York", holiday_country="US")
    assert boston.closed_reason(dt.date(2026, 4, 20)) == "Patriots' Day"
    assert not boston.is_business_time(at)
    assert boston.is_after_hours(at)
    assert new_york.closed_reason(dt.date(2026, 4, 20)) is None
    assert new_york.is_business_time(at)
    assert country_only.is_business_time(at)


def test_r11_provider_closure_closes_the_whole_local_day():
    calendar = BusinessCalendar(
        "America/New_York",
        week={2: ((T(0), T(0)),), 3: ((T(0), T(0)),), 4: ((T(0), T(0)),)},
        closures=frozenset({dt.date(2026, 6, 11)}),
    )
    assert calendar.closed_reason(dt.date(2026, 6, 11)) == "provider closure"
    assert calendar.is_business_time(utc(2026, 6, 11, 3, 59))  # Wed 23:59 EDT
    assert not calendar.is_business_time(utc(2026, 6, 11, 4, 0))  # Thu 00:00 EDT
    assert not calendar.is_business_time(utc(2026, 6, 11, 16, 0))  # Thu 12:00 EDT
    assert not calendar.is_business_time(utc(2026, 6, 12, 3, 59))  # Thu 23:59 EDT
    assert calendar.is_business_time(utc(2026, 6, 12, 4, 0))  # Fri 00:00 EDT


def test_r11_provider_closure_uses_the_local_date():
    """Auckland closed on Monday 8 June: that Monday starts on Sunday in UTC."""
    calendar = BusinessCalendar("Pacific/Auckland", closures=frozenset({dt.date(2026, 6, 8)}))
    assert not calendar.is_business_time(utc(2026, 6, 7, 21, 0))  # Mon 09:00 NZST
    assert calendar.is_business_time(utc(2026, 6, 8, 21, 0))  # Tue 09:00 NZST


def test_r11_closure_reason_wins_over_holiday_name():
    calendar = BusinessCalendar(
        "America/New_York",
        holiday_country="US",
        holiday_subdivision="NY",
        closures=frozenset({dt.date(2026, 7, 3)}),
    )
    assert calendar.closed_reason(dt.date(2026, 7, 3)) == "provider closure"


# --- week_from_rows ---------------------------------------------------------------------------


def test_r11_week_from_rows_groups_and_sorts_intervals_by_weekday():
    week = week_from_rows([(0, T(13), T(17)), (0, T(8), T(12)), (4, T(9), T(0))])
    assert week == {0: ((T(8), T(12)), (T(13), T(17))), 4: ((T(9), T(0)),)}
    assert week_from_rows([]) == {}


# --- property: agrees with a brute-force reading of the rules ---------------------------------

PROPERTY_ZONE = "America/New_York"
PROPERTY_WEEK = {
    0: ((T(8), T(12)), (T(13), T(17))),
    1: ((T(8), T(17)),),
    2: ((T(0), T(0)),),
    3: ((T(9), T(18)),),
    4: ((T(18), T(0)),),
    5: ((T(1), T(2)),),
    6: ((T(1, 30), T(3)),),
}
PROPERTY_CLOSURES = frozenset({dt.date(2020, 12, 24), dt.date(2024, 2, 29), dt.date(2026, 11, 1), dt.date(2030, 3, 10)})
PROPERTY_CALENDAR = BusinessCalendar(
    PROPERTY_ZONE,
    week=PROPERTY_WEEK,
    holiday_country="US",
    holiday_subdivision="NY",
    closures=PROPERTY_CLOSURES,
)
_REFERENCE_HOLIDAYS = holidays.country_holidays("US", subdiv="NY", years=range(2019, 2032))


def _brute_force_business(at: dt.datetime) -> bool:
    local = at.astimezone(ZoneInfo(PROPERTY_ZONE))
    day = local.date()
    if day in PROPERTY_CLOSURES or day in _REFERENCE_HOLIDAYS:
        return False
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    for opens, closes in PROPERTY_WEEK.get(local.weekday(), ()):
        start = opens.hour * 3600 + opens.minute * 60
        end = 24 * 3600 if closes == T(0) else closes.hour * 3600 + closes.minute * 60
        if start <= seconds < end:
            return True
    return False


# Instants near this zone's DST transitions, 2020-2030, so the folds and gaps get sampled.
def _nth_sunday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


_TRANSITIONS = [
    instant
    for year in range(2020, 2031)
    for instant in (
        dt.datetime.combine(_nth_sunday(year, 3, 2), T(7), tzinfo=UTC),  # 02:00 EST -> 03:00 EDT
        dt.datetime.combine(_nth_sunday(year, 11, 1), T(6), tzinfo=UTC),  # 02:00 EDT -> 01:00 EST
    )
]
_NEAR_TRANSITIONS = st.builds(
    lambda start, seconds: start + dt.timedelta(seconds=seconds),
    st.sampled_from(_TRANSITIONS),
    st.integers(min_value=-4 * 3600, max_value=4 * 3600),
)
_ANY_INSTANT = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 12, 31, 23, 59, 59), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(at=st.one_of(_ANY_INSTANT, _NEAR_TRANSITIONS))
def test_r11_property_is_business_time_matches_brute_force(at):
    assert PROPERTY_CALENDAR.is_business_time(at) is _brute_force_business(at)
    assert PROPERTY_CALENDAR.is_after_hours(at) is not _brute_force_business(at)


def test_r11_the_sampled_instants_are_the_dst_transitions():
    """Guard for the strategy above: the offset changes at each sampled transition."""
    zone = ZoneInfo(PROPERTY_ZONE)
    assert len(_TRANSITIONS) == 22
    second = dt.timedelta(seconds=1)
    for instant in _TRANSITIONS:
        assert (instant - second).astimezone(zone).utcoffset() != instant.astimezone(zone).utcoffset()
