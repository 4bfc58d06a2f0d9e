"""A priority suggestion from impact × urgency, matching the R16 definitions.

P1: the whole company, work stopped. P2: work stopped for a department or one user.
P3: degraded with a reasonable workaround. P4: an irritation rather than a stoppage.
"""

from __future__ import annotations

from comanaged.tickets.choices import Impact, Urgency


def suggest_priority(impact: str, urgency: str) -> str:
    """R16: the priority the definitions point to (the POC may still choose another)."""
    if urgency == Urgency.STOPPED:
        return "P1" if impact == Impact.COMPANY else "P2"
    if urgency == Urgency.DEGRADED:
        return "P3"
    return "P4"
