"""How fast the contract's questions are answered (pure functions, no database)."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from comanaged.agreements.policy import AbsenceFact, EscalationFacts, may_escalate
from comanaged.tenancy.calendar import BusinessCalendar

N = 200_000
calendar = BusinessCalendar("America/New_York", holiday_country="US", holiday_subdivision="NY")
start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
instants = [start + dt.timedelta(minutes=37 * i) for i in range(N)]

t0 = time.perf_counter()
open_count = sum(calendar.is_business_time(at) for at in instants)
elapsed = time.perf_counter() - t0
print(f"is_business_time: {N / elapsed:,.0f} calls/s ({open_count / N:.1%} of instants in business hours)")

facts = [
    EscalationFacts(
        agreement_status="active",
        plan="co_managed_plus",
        is_vertical=i % 3 == 0,
        requester_id=10,
        requester_is_human=True,
        requester_is_active=True,
        requester_level=("end_user", "vip", "poc")[i % 3],
        priority=("P1", "P2", "P3", "P4")[i % 4],
        at=at,
        calendar=calendar,
        poc_ids=frozenset({1, 2}),
        absences=(AbsenceFact(1, at - dt.timedelta(days=1), at + dt.timedelta(days=1)),) if i % 5 == 0 else (),
        runbooks_complete=True,
    )
    for i, at in enumerate(instants[: N // 4])
]
t0 = time.perf_counter()
allowed = sum(may_escalate(f).allowed for f in facts)
elapsed = time.perf_counter() - t0
print(f"may_escalate: {len(facts) / elapsed:,.0f} decisions/s ({allowed / len(facts):.1%} allowed)")
