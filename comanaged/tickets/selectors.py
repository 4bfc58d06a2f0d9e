"""Reads of tickets, ready for reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Count, Q

from comanaged.tenancy.choices import UserLevel
from comanaged.tickets.choices import Status
from comanaged.tickets.models import Ticket

END_USER_LEVELS = (UserLevel.END_USER, UserLevel.VIP, UserLevel.PARTIAL, UserLevel.EMAIL_ONLY)


@dataclass(frozen=True)
class SelfResolution:
    category: str | None
    internal: int
    escalated: int

    @property
    def share(self) -> float | None:
        """The POC's share of end-user tickets handled without the desk (R15 expects ≥ 75%)."""
        total = self.internal + self.escalated
        return self.internal / total if total else None


def self_resolution(
    *, client_id: int, start: dt.datetime, end: dt.datetime, by_category: bool = False
) -> list[SelfResolution]:
    """R15: end-user tickets created in [start, end) that the POC resolved internally versus those
    escalated to the provider — overall, or per category."""
    tickets = Ticket.objects.filter(
        client_id=client_id,
        created_at__gte=start,
        created_at__lt=end,
        affected_person__level__in=END_USER_LEVELS,
    )
    counts = {
        "internal": Count("pk", filter=Q(escalated_at__isnull=True, status__in=[Status.RESOLVED, Status.CLOSED])),
        "escalated": Count("pk", filter=Q(escalated_at__isnull=False)),
    }
    if not by_category:
        row = tickets.aggregate(**counts)
        return [SelfResolution(None, row["internal"], row["escalated"])]
    rows = cast(list[dict[str, Any]], list(tickets.values("category__name").annotate(**counts)))
    rows.sort(key=lambda r: r["category__name"] or "")
    return [SelfResolution(r["category__name"], r["internal"], r["escalated"]) for r in rows]
