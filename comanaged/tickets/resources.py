"""Who may respond to a ticket (R17, R12): a technician of at least the required tier and, on a
vertical agreement, experienced in its vertical."""

from __future__ import annotations

from typing import Any

from comanaged.tenancy.models import StaffProfile
from comanaged.tickets.choices import Tier
from comanaged.tickets.models import Ticket

TIER_ORDER = (Tier.L1, Tier.L2, Tier.L3)
STAFF_TIER = {1: Tier.L1, 2: Tier.L2, 3: Tier.L3}


def vertical_fit(ticket: Ticket, staff: StaffProfile) -> bool:
    """R12: on a vertical ticket, is this technician experienced in its vertical?"""
    if ticket.desk_vertical_id is None:
        return True
    return staff.verticals.filter(pk=ticket.desk_vertical_id).exists()


def required_tier(ticket: Ticket) -> Tier:
    """R17: the least tier whose start counts — the triaged ``required_tier`` (L1 by default),
    or the tier the ticket was raised to if higher."""
    tiers = [Tier(t) for t in (ticket.required_tier, ticket.tier) if t in TIER_ORDER]
    return max(tiers, key=TIER_ORDER.index, default=Tier.L1)


def appropriate_resource(ticket: Ticket, staff: StaffProfile) -> bool:
    """R17: a technician of at least the required tier and, under R12, of the ticket's vertical.
    Only their start is the response; anyone else's start is recorded but does not count."""
    staff_tier = STAFF_TIER.get(staff.tier or 0)
    if staff_tier is None or not vertical_fit(ticket, staff):
        return False
    return TIER_ORDER.index(staff_tier) >= TIER_ORDER.index(required_tier(ticket))


def start_facts(ticket: Ticket, staff: StaffProfile) -> dict[str, Any]:
    """Who started work and how they measure against R17, kept on the ticket's and clock's events."""
    staff_tier = STAFF_TIER.get(staff.tier or 0)
    return {
        "staff": staff.pk,
        "staff_tier": staff_tier.value if staff_tier else None,
        "required_tier": required_tier(ticket).value,
        "vertical_fit": vertical_fit(ticket, staff),
    }
