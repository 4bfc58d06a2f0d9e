"""Validators for facts that must name something real: time zones, holiday calendars."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

import holidays
from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=1)
def _holiday_countries() -> dict[str, list[str]]:
    return dict(holidays.list_supported_countries())


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(
            "%(value)s is not a known IANA time zone (for example America/New_York).",
            code="unknown_time_zone",
            params={"value": value},
        )


def validate_holiday_country(value: str) -> None:
    if value and value.upper() not in _holiday_countries():
        raise ValidationError(
            "%(value)s is not a country with a public-holiday calendar (ISO 3166 code, e.g. US).",
            code="unknown_holiday_country",
            params={"value": value},
        )


def holiday_subdivision_problem(country: str, subdivision: str) -> str | None:
    """A message when the subdivision does not belong to the country, else None."""
    if not subdivision:
        return None
    if not country:
        return "Choose a holiday country before a subdivision."
    known = _holiday_countries().get(country)
    if known is None:
        return None  # the country itself is reported by validate_holiday_country
    if subdivision not in known:
        sample = ", ".join(known[:8])
        return f"{subdivision} is not a subdivision of {country} (known: {sample}…)."
    return None
