"""Deadlines per second (issue 5, R16): ``add_business_seconds`` on a business-hours calendar with
public holidays, from random escalation instants over two years, on one core.

    .venv/bin/python bench/sla.py [--count 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comanaged.settings")
os.environ.setdefault("COMANAGED_MODE", "test")

import django

django.setup()

from comanaged.sla.intervals import _TABLES, add_business_seconds  # noqa: E402
from comanaged.tenancy.calendar import BusinessCalendar  # noqa: E402

TARGETS = [3600, 7200, 14 * 3600, 24 * 3600]  # R16: P1–P4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    rng = random.Random(42)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    starts = [base + dt.timedelta(seconds=rng.randrange(0, 2 * 365 * 86400)) for _ in range(args.count)]
    targets = [rng.choice(TARGETS) for _ in range(args.count)]
    for zone, country in (("America/New_York", "US"), ("Australia/Lord_Howe", "AU"), ("Asia/Kathmandu", "NP")):
        calendar = BusinessCalendar(time_zone=zone, holiday_country=country)
        _TABLES.clear()
        t0 = time.perf_counter()
        add_business_seconds(calendar, base, 3600)  # builds the table around 2026
        add_business_seconds(calendar, base.replace(year=2027), 3600)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        for start, seconds in zip(starts, targets, strict=True):
            add_business_seconds(calendar, start, seconds)
        elapsed = time.perf_counter() - t0
        rate = args.count / elapsed
        verdict = "ok" if rate >= 200_000 else "MISS"
        print(
            f"{zone:<22} {args.count:,} deadlines in {elapsed:.2f} s: {rate:,.0f}/s per core "
            f"(target >= 200,000: {verdict}); tables built in {build * 1000:.0f} ms"
        )
    print("24x7 clock:", end=" ")
    t0 = time.perf_counter()
    for start, seconds in zip(starts, targets, strict=True):
        add_business_seconds(None, start, seconds)
    print(f"{args.count / (time.perf_counter() - t0):,.0f}/s")


if __name__ == "__main__":
    main()
